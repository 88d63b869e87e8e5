//! The destination guard: a push goes only to a publicly routable address.
//!
//! A push endpoint is chosen by whoever registered the subscription, so without this the
//! sender could be aimed at the operator's own network (the cloud metadata service,
//! an admin port on loopback). Registration only looks at the URL as written; this guard
//! judges the addresses the sender actually connects to, at send time:
//!
//! - names go through [`GlobalOnlyResolver`], the push client's resolver, so a name
//!   that resolves (or later re-resolves: DNS rebinding) to a non-global address fails;
//! - literal IP hosts never reach a resolver in reqwest, so the sender checks them with
//!   [`check_literal`] before it sends;
//! - redirects are not followed, so no other destination is ever contacted.

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

use super::address::is_global;

/// A destination the guard refused; the sender reports it as a permanent failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} is not a public address; pushes go only to public push services", describe(.host, .ip))]
pub struct Refused {
    /// The name that was resolved, `None` for a literal IP host.
    pub host: Option<String>,
    pub ip: IpAddr,
}

fn describe(host: &Option<String>, ip: &IpAddr) -> String {
    match host {
        Some(host) => format!("push endpoint host {host} resolves to {ip}, which"),
        None => format!("push endpoint address {ip}"),
    }
}

/// The push client's resolver: the system resolver (getaddrinfo, through tokio), and a
/// failed lookup when any address is not global. It refuses rather than filters, so a
/// name that resolves to a public and a private address is refused as a whole.
#[derive(Debug, Default)]
pub(super) struct GlobalOnlyResolver;

impl Resolve for GlobalOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port (or the scheme's default) in its place.
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addrs = all_global(&host, addrs)?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// `addrs` unchanged when every one is global; otherwise the first that is not.
pub(super) fn all_global(host: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Refused> {
    match addrs.iter().find(|addr| !is_global(addr.ip())) {
        Some(addr) => Err(Refused {
            host: Some(host.to_string()),
            ip: addr.ip(),
        }),
        None => Ok(addrs),
    }
}

/// Refuses an endpoint whose host is a non-global IP literal (hyper connects to a
/// literal without asking the resolver).
pub(super) fn check_literal(endpoint: &Url) -> Result<(), Refused> {
    let ip = match endpoint.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        // `url` turns every IPv4 spelling of an http(s) host into `Host::Ipv4`; a domain
        // that still parses as an address would also skip the resolver, so check it too.
        Some(url::Host::Domain(domain)) => match domain.parse() {
            Ok(ip) => ip,
            Err(_) => return Ok(()),
        },
        None => return Ok(()),
    };
    if is_global(ip) {
        Ok(())
    } else {
        Err(Refused { host: None, ip })
    }
}

/// The guard's refusal inside a reqwest error, wherever in the chain of causes it is.
pub(super) fn refusal(error: &reqwest::Error) -> Option<&Refused> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(err) = source {
        if let Some(refused) = err.downcast_ref::<Refused>() {
            return Some(refused);
        }
        source = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(ips: &[&str]) -> Vec<SocketAddr> {
        ips.iter()
            .map(|ip| SocketAddr::new(ip.parse().unwrap(), 0))
            .collect()
    }

    #[test]
    fn a_name_is_refused_when_any_address_is_not_global() {
        let public = addrs(&["142.250.185.74", "2a00:1450:4001:82b::200a"]);
        assert_eq!(all_global("push.example", public.clone()), Ok(public));
        for mixed in [
            addrs(&["142.250.185.74", "127.0.0.1"]),
            addrs(&["10.0.0.1", "142.250.185.74"]),
            addrs(&["2a00:1450:4001:82b::200a", "::ffff:169.254.169.254"]),
        ] {
            let refused = all_global("rebind.example", mixed).unwrap_err();
            assert_eq!(refused.host.as_deref(), Some("rebind.example"));
            assert!(!is_global(refused.ip));
            assert!(
                refused.to_string().contains("rebind.example resolves to"),
                "{refused}"
            );
        }
    }

    #[test]
    fn literal_hosts_are_checked() {
        for bad in [
            "https://127.0.0.1/x",
            "https://2130706433/x",
            "https://0x7f.1/x",
            "https://[::1]/x",
            "https://[64:ff9b::a9fe:a9fe]/x",
            "https://[2002:7f00:1::1]/x",
            "http://127.0.0.1:1@169.254.169.254/latest",
        ] {
            let refused = check_literal(&Url::parse(bad).unwrap()).unwrap_err();
            assert_eq!(refused.host, None, "{bad}");
        }
        for fine in [
            "https://142.250.185.74/x",
            "https://push.example/x",
            "https://[2606:4700::1111]/",
        ] {
            assert_eq!(check_literal(&Url::parse(fine).unwrap()), Ok(()), "{fine}");
        }
    }

    #[tokio::test]
    async fn the_resolver_refuses_localhost() {
        let name: Name = "localhost".parse().unwrap();
        let err = match GlobalOnlyResolver.resolve(name).await {
            Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(err) => err,
        };
        let refused = err.downcast_ref::<Refused>().expect("a refusal");
        assert!(refused.ip.is_loopback(), "{refused}");
    }
}
