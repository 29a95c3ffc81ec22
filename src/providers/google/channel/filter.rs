//! The customers.list `filter` grammar: keys `domain`, `org_display_name`, `cloud_identity_id`,
//! `channel_partner_id` (case-insensitive); exact `key = "value"`; prefix `key : "pre*"` (domain and
//! org_display_name only); `AND` / `OR`, with parentheses required where they are mixed. A malformed filter is
//! INVALID_ARGUMENT naming the position (1-based character offset) of the problem.
//!
//! The parser recurses once per parenthesis, so nesting is bounded ([`MAX_DEPTH`]): a hostile filter of thousands of
//! `(` is an error, not a stack overflow. guess: Google documents no limit; 32 levels is far beyond any real filter.

use crate::error::{ApiError, ApiResult, shown};

/// The deepest parenthesis nesting a filter may have.
pub const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Domain,
    OrgDisplayName,
    CloudIdentityId,
    ChannelPartnerId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    Eq(Key, String),
    Prefix(Key, String),
    And(Vec<Filter>),
    Or(Vec<Filter>),
}

/// The fields of a customer a filter looks at.
pub struct Subject<'a> {
    pub domain: &'a str,
    pub org_display_name: &'a str,
    pub cloud_identity_id: &'a str,
    pub channel_partner_id: &'a str,
}

impl Filter {
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        let field = |k: Key| match k {
            Key::Domain => s.domain,
            Key::OrgDisplayName => s.org_display_name,
            Key::CloudIdentityId => s.cloud_identity_id,
            Key::ChannelPartnerId => s.channel_partner_id,
        };
        match self {
            // guess: domains compare case-insensitively (DNS names are), other keys exactly.
            Filter::Eq(Key::Domain, v) => field(Key::Domain).eq_ignore_ascii_case(v),
            Filter::Eq(k, v) => field(*k) == v,
            Filter::Prefix(k, p) => field(*k)
                .to_ascii_lowercase()
                .starts_with(&p.to_ascii_lowercase()),
            Filter::And(fs) => fs.iter().all(|f| f.matches(s)),
            Filter::Or(fs) => fs.iter().any(|f| f.matches(s)),
        }
    }
}

/// Parses a filter; an empty or blank filter is `None` (everything matches).
pub fn parse(input: &str) -> ApiResult<Option<Filter>> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    let mut p = Parser {
        chars: input.chars().collect(),
        pos: 0,
        depth: 0,
        input,
    };
    let f = p.expr()?;
    p.skip_ws();
    if p.pos < p.chars.len() {
        return Err(p.error("unexpected text after the end of the filter"));
    }
    Ok(Some(f))
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    /// Open parentheses around the current position.
    depth: usize,
    input: &'a str,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> ApiError {
        ApiError::invalid_field(
            "filter",
            format!(
                "malformed filter `{}` at position {}: {what}",
                shown(self.input),
                self.pos + 1
            ),
        )
    }

    fn skip_ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn keyword(&mut self) -> Option<&'static str> {
        self.skip_ws();
        for kw in ["AND", "OR"] {
            let end = self.pos + kw.len();
            if end <= self.chars.len() {
                let word: String = self.chars[self.pos..end].iter().collect();
                let boundary = self
                    .chars
                    .get(end)
                    .is_none_or(|c| c.is_whitespace() || *c == '(');
                if word == kw && boundary {
                    self.pos = end;
                    return Some(kw);
                }
            }
        }
        None
    }

    fn expr(&mut self) -> ApiResult<Filter> {
        let first = self.term()?;
        let mut items = vec![first];
        let mut op: Option<&'static str> = None;
        loop {
            let save = self.pos;
            match self.keyword() {
                Some(kw) => {
                    if op.is_some_and(|o| o != kw) {
                        self.pos = save;
                        self.skip_ws();
                        return Err(self.error("AND and OR cannot be mixed without parentheses"));
                    }
                    op = Some(kw);
                    items.push(self.term()?);
                }
                None => {
                    self.pos = save;
                    break;
                }
            }
        }
        Ok(match (op, items.len()) {
            (_, 1) => items.remove(0),
            (Some("OR"), _) => Filter::Or(items),
            _ => Filter::And(items),
        })
    }

    fn term(&mut self) -> ApiResult<Filter> {
        self.skip_ws();
        if self.chars.get(self.pos) == Some(&'(') {
            if self.depth == MAX_DEPTH {
                return Err(self.error(&format!(
                    "parentheses nested deeper than {MAX_DEPTH} levels"
                )));
            }
            self.depth += 1;
            self.pos += 1;
            let f = self.expr()?;
            self.depth -= 1;
            self.skip_ws();
            if self.chars.get(self.pos) != Some(&')') {
                return Err(self.error("expected `)`"));
            }
            self.pos += 1;
            return Ok(f);
        }
        let key_start = self.pos;
        while self
            .chars
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            self.pos += 1;
        }
        let name: String = self.chars[key_start..self.pos].iter().collect();
        if name.is_empty() {
            return Err(self.error(
                "expected a key (domain, org_display_name, cloud_identity_id, channel_partner_id)",
            ));
        }
        let key = match name.to_ascii_lowercase().as_str() {
            "domain" => Key::Domain,
            "org_display_name" => Key::OrgDisplayName,
            "cloud_identity_id" => Key::CloudIdentityId,
            "channel_partner_id" => Key::ChannelPartnerId,
            _ => {
                self.pos = key_start;
                return Err(self.error(&format!(
                    "unknown key `{name}` (use domain, org_display_name, cloud_identity_id or channel_partner_id)"
                )));
            }
        };
        self.skip_ws();
        let op = match self.chars.get(self.pos) {
            Some('=') => '=',
            Some(':') => ':',
            _ => return Err(self.error("expected `=` or `:`")),
        };
        self.pos += 1;
        self.skip_ws();
        let value = self.string()?;
        if op == '=' {
            return Ok(Filter::Eq(key, value));
        }
        if !matches!(key, Key::Domain | Key::OrgDisplayName) {
            return Err(self.error(&format!(
                "prefix match `:` is only supported on domain and org_display_name, not `{name}`"
            )));
        }
        let Some(prefix) = value.strip_suffix('*') else {
            return Err(self.error("a prefix match needs a value ending in `*`"));
        };
        Ok(Filter::Prefix(key, prefix.to_string()))
    }

    fn string(&mut self) -> ApiResult<String> {
        let quote = match self.chars.get(self.pos) {
            Some(q @ ('"' | '\'')) => *q,
            _ => return Err(self.error("expected a quoted value")),
        };
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.chars.get(self.pos) {
                None => return Err(self.error("unterminated string")),
                Some('\\') => {
                    if let Some(c) = self.chars.get(self.pos + 1) {
                        out.push(*c);
                    }
                    self.pos += 2;
                }
                Some(c) if *c == quote => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(c) => {
                    out.push(*c);
                    self.pos += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject<'a>(domain: &'a str, org: &'a str) -> Subject<'a> {
        Subject {
            domain,
            org_display_name: org,
            cloud_identity_id: "C0X",
            channel_partner_id: "",
        }
    }

    #[test]
    fn exact_prefix_and_boolean_filters() {
        let f = parse(r#"domain = "altostrat.com""#)
            .expect("ok")
            .expect("some");
        assert!(f.matches(&subject("ALTOSTRAT.com", "")));
        assert!(!f.matches(&subject("example.com", "")));
        let f = parse(r#"org_display_name : "Alto*" OR domain = "example.com""#)
            .expect("ok")
            .expect("some");
        assert!(f.matches(&subject("x.com", "Altostrat")));
        assert!(f.matches(&subject("example.com", "Other")));
        let f = parse(r#"(DOMAIN : "a*" OR domain : "b*") AND cloud_identity_id = "C0X""#)
            .expect("ok")
            .expect("some");
        assert!(f.matches(&subject("b.com", "")));
        assert_eq!(parse("  ").expect("ok"), None);
    }

    #[test]
    fn malformed_filters_name_the_position() {
        let err = parse(r#"domain = "a" AND domain = "b" OR domain = "c""#).expect_err("mixed");
        assert!(err.message.contains("position 31"), "{}", err.message);
        let err = parse(r#"colour = "red""#).expect_err("unknown key");
        assert!(
            err.message.contains("position 1") && err.message.contains("colour"),
            "{}",
            err.message
        );
        let err = parse(r#"domain = "open"#).expect_err("unterminated");
        assert!(err.message.contains("unterminated"), "{}", err.message);
        assert!(parse(r#"cloud_identity_id : "C0*""#).is_err());
        assert!(parse(r#"domain = "a")"#).is_err());
    }
}
