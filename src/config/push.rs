//! The `[push]` VAPID contact: what push services will use to reach the operator.

/// Placeholder domains that must never reach a push service as the VAPID contact.
const PLACEHOLDER_DOMAINS: [&str; 3] = ["example.com", "example.org", "example.net"];
/// Reserved top-level names (RFC 2606, RFC 6761) that can never reach anyone.
const PLACEHOLDER_TLDS: [&str; 4] = [".invalid", ".example", ".test", ".localhost"];

/// Checks the VAPID `sub` claim: a `mailto:` with a plausible address or an `https:` URL,
/// and no placeholder (`example.com`, `example.org`, `example.net`, a `.invalid`,
/// `.example`, `.test` or `.localhost` domain, or `localhost` in a `mailto:`). Push
/// services use it to contact the operator, so it must be real.
pub fn validate_subject(sub: &str) -> Result<(), String> {
    let sub = sub.trim();
    let hint = "must be a mailto: address or an https: URL where the push service can \
                reach you, e.g. \"mailto:ops@your-domain\"";
    if sub.is_empty() {
        return Err(format!("is empty; it {hint}"));
    }
    let lower = sub.to_ascii_lowercase();
    if let Some(domain) = PLACEHOLDER_DOMAINS.iter().find(|d| lower.contains(*d)) {
        return Err(format!("{sub:?} is a placeholder ({domain}); it {hint}"));
    }
    let reserved_tld = |host: &str| {
        let host = host.trim_end_matches('.');
        PLACEHOLDER_TLDS
            .iter()
            .find(|tld| host == &tld[1..] || host.ends_with(*tld))
            .copied()
    };
    if let Some(address) = lower.strip_prefix("mailto:") {
        let address = address.split('?').next().unwrap_or_default();
        let Some((local, domain)) = address.rsplit_once('@') else {
            return Err(format!("{sub:?} has no address after mailto:; it {hint}"));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || !c.is_ascii());
        let local_ok = !local.is_empty()
            && !local.contains(|c: char| {
                c.is_whitespace() || c.is_control() || "<>\"(),;:@".contains(c)
            });
        if !domain_ok || !local_ok {
            return Err(format!(
                "{sub:?} is not a plausible email address; it {hint}"
            ));
        }
        if domain == "localhost" || domain.ends_with(".localhost") || lower.contains("localhost") {
            return Err(format!("{sub:?} is a placeholder (localhost); it {hint}"));
        }
        if let Some(tld) = reserved_tld(domain) {
            return Err(format!("{sub:?} is a placeholder ({tld}); it {hint}"));
        }
        return Ok(());
    }
    if lower.starts_with("https://") {
        let url =
            url::Url::parse(sub).map_err(|e| format!("{sub:?} is not a URL ({e}); it {hint}"))?;
        let host = url.host_str().unwrap_or_default();
        if host.is_empty() {
            return Err(format!("{sub:?} has no host; it {hint}"));
        }
        if let Some(tld) = reserved_tld(host) {
            return Err(format!("{sub:?} is a placeholder ({tld}); it {hint}"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!("{sub:?} must not carry credentials"));
        }
        return Ok(());
    }
    Err(format!("{sub:?} {hint}"))
}
