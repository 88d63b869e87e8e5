//! The client's address: the TCP peer, unless the peer is one of our reverse proxies
//! (`server.trusted_proxies`), whose `X-Forwarded-For` then names the client. Only a
//! trusted proxy's header is believed: anyone else can write any address into it.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The address a per-client limit counts for `req`.
pub fn of(req: &HttpRequest, trusted: &[IpNet]) -> IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let hops: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    resolve(peer, &hops, trusted)
}

/// Walks from the peer leftwards through `forwarded_for` (each proxy appends the
/// address it saw) while the hop is a trusted proxy: the first untrusted hop is the
/// client. Entries left of it were written by the client and prove nothing. An
/// unreadable hop stops the walk at the last address known.
pub fn resolve(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer;
    for hop in forwarded_for.iter().rev() {
        if !is_trusted(&client) {
            break;
        }
        match parse_hop(hop) {
            Some(ip) => client = ip,
            None => break,
        }
    }
    client
}

/// "203.0.113.7", "203.0.113.7:5100", "2001:db8::1" or "[2001:db8::1]:5100".
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_trusted_proxies_are_looked_through() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let proxy = ip("10.0.0.2");
        assert_eq!(
            resolve(ip("198.51.100.4"), &["203.0.113.7"], &trusted),
            ip("198.51.100.4")
        );
        assert_eq!(
            resolve(proxy, &["203.0.113.7"], &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(
            resolve(proxy, &["1.2.3.4", "203.0.113.7"], &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(
            resolve(proxy, &["203.0.113.7:5100", "10.1.1.1"], &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(
            resolve(proxy, &[" [2001:db8::1]:443"], &trusted),
            ip("2001:db8::1")
        );
        assert_eq!(
            resolve(proxy, &["10.9.9.9"], &trusted),
            ip("10.9.9.9"),
            "all trusted"
        );
        assert_eq!(resolve(proxy, &["garbage"], &trusted), proxy);
        assert_eq!(resolve(proxy, &[], &trusted), proxy);
        assert_eq!(
            resolve(ip("::1"), &["203.0.113.7"], &[]),
            ip("::1"),
            "none trusted"
        );
    }
}
