//! What a well-formed domain name and email address are: fixtures and every API family check them the same way.

/// A DNS name of at least two labels (letters, digits, inner hyphens), with a top-level label that is not all digits.
pub fn valid_domain(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().any(|c| c.is_ascii_alphabetic()))
}

/// `local@domain`, with a local part of at most 64 characters and a [`valid_domain`].
pub fn valid_email(e: &str) -> bool {
    match e.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local.len() <= 64
                && !local.chars().any(|c| c.is_whitespace() || c == '@')
                && valid_domain(domain)
        }
        None => false,
    }
}
