//! Which IP addresses a push may be sent to: only globally routable unicast ones.
//!
//! Hand-written because std's `Ipv4Addr::is_global` / `Ipv6Addr::is_global` are unstable
//! (rust-lang/rust#27709) and, even when stable, would not do here: they treat
//! `::ffff:0:0/96` as never global instead of judging the IPv4 address a dual-stack socket
//! would really reach, call the NAT64 prefix `64:ff9b::/96` and 6to4 `2002::/16` global
//! whatever IPv4 address they embed (`64:ff9b::a9fe:a9fe` is the metadata service through
//! a NAT64), and call all unassigned IPv6 space global. `ipnet` provides the prefix
//! arithmetic; the tables are the IANA special-purpose registries.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

#[allow(clippy::too_many_arguments)] // the eight groups of an IPv6 address
const fn v6(a: u16, b: u16, c: u16, d: u16, e: u16, f: u16, g: u16, h: u16, len: u8) -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), len)
}

/// IPv4 blocks no push is sent to: the IANA IPv4 special-purpose registry's blocks that
/// are not globally reachable, plus multicast and the reserved 240/4 (with broadcast).
/// The whole of 192.0.0.0/24 is refused, although IANA marks 192.0.0.9 and 192.0.0.10
/// (PCP and TURN anycast) global: neither is ever a push service.
const V4_NOT_GLOBAL: &[Ipv4Net] = &[
    v4(0, 0, 0, 0, 8),       // "this network"
    v4(10, 0, 0, 0, 8),      // private
    v4(100, 64, 0, 0, 10),   // shared address space (carrier-grade NAT)
    v4(127, 0, 0, 0, 8),     // loopback
    v4(169, 254, 0, 0, 16),  // link-local (cloud metadata services)
    v4(172, 16, 0, 0, 12),   // private
    v4(192, 0, 0, 0, 24),    // IETF protocol assignments (incl. NAT64 discovery .170/.171)
    v4(192, 0, 2, 0, 24),    // documentation TEST-NET-1
    v4(192, 88, 99, 0, 24),  // deprecated 6to4 relay anycast
    v4(192, 168, 0, 0, 16),  // private
    v4(198, 18, 0, 0, 15),   // benchmarking
    v4(198, 51, 100, 0, 24), // documentation TEST-NET-2
    v4(203, 0, 113, 0, 24),  // documentation TEST-NET-3
    v4(224, 0, 0, 0, 4),     // multicast
    v4(240, 0, 0, 0, 4),     // reserved, and 255.255.255.255 broadcast
];

/// IPv6 global unicast space (RFC 4291 §2.4): everything outside it is unassigned or
/// special (`::/8` incl. IPv4-compatible `::a.b.c.d`, `100::/64` discard, `fc00::/7`
/// unique local, `fe80::/10` link-local, `fec0::/10` site-local, `ff00::/8` multicast),
/// so it is refused as a whole rather than block by block.
const V6_GLOBAL_UNICAST: Ipv6Net = v6(0x2000, 0, 0, 0, 0, 0, 0, 0, 3);

/// Blocks inside 2000::/3 that are not globally reachable. All of 2001::/23 is refused
/// (Teredo 2001::/32, benchmarking, ORCHID, ...), including the few anycast addresses
/// IANA marks global there: none is a push service.
const V6_NOT_GLOBAL: &[Ipv6Net] = &[
    v6(0x2001, 0, 0, 0, 0, 0, 0, 0, 23), // IETF protocol assignments, Teredo
    v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0, 32), // documentation
    v6(0x3fff, 0, 0, 0, 0, 0, 0, 0, 20), // documentation (RFC 9637)
];

/// The NAT64 well-known prefix (RFC 6052): the last 32 bits are the IPv4 destination.
const NAT64_WELL_KNOWN: Ipv6Net = v6(0x64, 0xff9b, 0, 0, 0, 0, 0, 0, 96);
/// 6to4 (RFC 3056): bits 16..48 are the IPv4 address of the site's relay.
const SIX_TO_FOUR: Ipv6Net = v6(0x2002, 0, 0, 0, 0, 0, 0, 0, 16);

/// True when `ip` is a globally routable unicast address, judging an IPv4 address
/// embedded in an IPv6 one (mapped, NAT64 well-known prefix, 6to4) by that IPv4 address.
/// The local-use NAT64 prefix `64:ff9b:1::/48` lies outside 2000::/3 and is refused.
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_global_v4(ip),
        IpAddr::V6(ip) => is_global_v6(ip),
    }
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    !V4_NOT_GLOBAL.iter().any(|net| net.contains(&ip))
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    if let Some(embedded) = ip.to_ipv4_mapped() {
        return is_global_v4(embedded);
    }
    let bits = u128::from(ip);
    if NAT64_WELL_KNOWN.contains(&ip) {
        return is_global_v4(Ipv4Addr::from(bits as u32));
    }
    if SIX_TO_FOUR.contains(&ip) {
        return is_global_v4(Ipv4Addr::from((bits >> 80) as u32));
    }
    V6_GLOBAL_UNICAST.contains(&ip) && !V6_NOT_GLOBAL.iter().any(|net| net.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(ip: &str) -> bool {
        is_global(ip.parse().unwrap_or_else(|e| panic!("{ip}: {e}")))
    }

    #[test]
    fn ipv4_special_purpose_blocks_are_not_global() {
        for ip in [
            "0.0.0.0",
            "0.255.255.255",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.1",
            "192.0.0.9",
            "192.0.0.170",
            "192.0.0.171",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!global(ip), "{ip}");
        }
    }

    #[test]
    fn public_ipv4_is_global_up_to_the_block_edges() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.0",
            "192.0.3.0",
            "192.88.98.255",
            "192.88.100.0",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "203.0.112.255",
            "203.0.114.0",
            "223.255.255.255",
            "142.250.185.74",
        ] {
            assert!(global(ip), "{ip}");
        }
    }

    #[test]
    fn ipv6_special_purpose_blocks_are_not_global() {
        for ip in [
            "::",
            "::1",
            "::127.0.0.1",      // IPv4-compatible (deprecated)
            "::8.8.8.8",        // IPv4-compatible, even of a public address
            "::ffff:0:8.8.8.8", // IPv4-translated (SIIT)
            "100::1",           // discard-only
            "2001::1",          // Teredo
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:2::1",        // benchmarking
            "2001:10::1",       // ORCHID
            "2001:1ff:ffff::1", // the end of 2001::/23
            "2001:db8::1",
            "3fff::1",
            "fc00::1",
            "fd12:3456:789a::1",
            "fe80::1",
            "febf:ffff::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
            "4000::1",              // unassigned, outside 2000::/3
            "64:ff9b:1::a9fe:a9fe", // local-use NAT64
        ] {
            assert!(!global(ip), "{ip}");
        }
    }

    #[test]
    fn embedded_ipv4_is_judged_by_the_ipv4_address() {
        for ip in [
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::1",
            "2002:c0a8:101::1",
        ] {
            assert!(!global(ip), "{ip}");
        }
        for ip in ["::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1"] {
            assert!(global(ip), "{ip}");
        }
    }

    #[test]
    fn public_ipv6_is_global() {
        for ip in [
            "2001:200::1",          // just past 2001::/23
            "2001:4860:4860::8888", // a public resolver
            "2a00:1450:4001:82b::200a",
            "2606:4700::1111",
            "2001:db9::1",
            "3ffe::1",
        ] {
            assert!(global(ip), "{ip}");
        }
    }
}
