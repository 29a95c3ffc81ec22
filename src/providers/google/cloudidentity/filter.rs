//! The `filter` and `orderBy` mini-languages of `customers.userinvitations.list`.
//!
//! filter [doc]: `state=='invited'`, joined by `||` (`state=='accepted'||state=='declined'`); Google's own sample
//! also uses `state!='accepted'`. State names are lowercase in single quotes. Spaces between tokens are allowed
//! (guess: the docs show none). Any other text is INVALID_ARGUMENT naming its 1-based position.
//!
//! orderBy [doc]: `email` or `update_time` (Google's sample spells it `updateTime`), optionally followed by `asc` or
//! `desc`, optionally wrapped in quotes (`'updateTime desc'`, as in the sample). Default `email asc`. Two keys are
//! INVALID_ARGUMENT.

use crate::error::{ApiError, ApiResult, shown};
use crate::world::google::InvitationState;

/// One `state==...` or `state!=...` term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub negated: bool,
    pub state: InvitationState,
}

/// Terms joined by `||`; an empty filter matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub terms: Vec<Term>,
}

impl Filter {
    pub fn matches(&self, state: InvitationState) -> bool {
        self.terms.is_empty() || self.terms.iter().any(|t| (t.state == state) != t.negated)
    }
}

fn state_of(name: &str) -> Option<InvitationState> {
    match name {
        "not_yet_sent" => Some(InvitationState::NotYetSent),
        "invited" => Some(InvitationState::Invited),
        "accepted" => Some(InvitationState::Accepted),
        "declined" => Some(InvitationState::Declined),
        _ => None,
    }
}

fn bad_filter(filter: &str, pos: usize, what: &str) -> ApiError {
    ApiError::invalid_field(
        "filter",
        format!(
            "`{}` is not a valid filter: at position {pos}, {what} (use state=='invited', \
             state!='accepted', joined by ||)",
            shown(filter)
        ),
    )
}

/// A cursor over the filter's characters with 1-based positions for errors.
struct Cursor<'a> {
    text: &'a str,
    chars: Vec<char>,
    i: usize,
}

impl Cursor<'_> {
    fn skip_spaces(&mut self) {
        while self.chars.get(self.i).is_some_and(|c| c.is_whitespace()) {
            self.i += 1;
        }
    }
    fn eat(&mut self, s: &str) -> bool {
        let n = s.chars().count();
        let matches = self.chars.len() >= self.i + n
            && self.chars[self.i..self.i + n].iter().copied().eq(s.chars());
        if matches {
            self.i += n;
        }
        matches
    }
    fn err(&self, what: &str) -> ApiError {
        bad_filter(self.text, self.i + 1, what)
    }
    fn at_end(&self) -> bool {
        self.i >= self.chars.len()
    }
}

pub fn parse_filter(text: &str) -> ApiResult<Filter> {
    let mut c = Cursor {
        text,
        chars: text.chars().collect(),
        i: 0,
    };
    let mut terms = Vec::new();
    c.skip_spaces();
    if c.at_end() {
        return Ok(Filter::default());
    }
    loop {
        c.skip_spaces();
        if !c.eat("state") {
            return Err(c.err("expected `state`"));
        }
        c.skip_spaces();
        let negated = if c.eat("==") {
            false
        } else if c.eat("!=") {
            true
        } else {
            return Err(c.err("expected `==` or `!=`"));
        };
        c.skip_spaces();
        let start = c.i;
        if !c.eat("'") {
            return Err(c.err("expected a state name in single quotes"));
        }
        let name_start = c.i;
        while c.chars.get(c.i).is_some_and(|&ch| ch != '\'') {
            c.i += 1;
        }
        if c.at_end() {
            return Err(bad_filter(text, start + 1, "unterminated quote"));
        }
        let name: String = c.chars[name_start..c.i].iter().collect();
        let state = state_of(&name).ok_or_else(|| {
            bad_filter(
                text,
                name_start + 1,
                &format!(
                    "`{name}` is not a state (not_yet_sent, invited, accepted or declined, lowercase)"
                ),
            )
        })?;
        c.i += 1;
        terms.push(Term { negated, state });
        c.skip_spaces();
        if c.at_end() {
            return Ok(Filter { terms });
        }
        if !c.eat("||") {
            return Err(c.err("expected `||` or the end of the filter"));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKey {
    Email,
    UpdateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    pub key: OrderKey,
    pub descending: bool,
}

impl Default for Order {
    fn default() -> Self {
        Order {
            key: OrderKey::Email,
            descending: false,
        }
    }
}

impl Order {
    /// The canonical spelling (what page tokens are bound to).
    pub fn canonical(self) -> &'static str {
        match (self.key, self.descending) {
            (OrderKey::Email, false) => "email asc",
            (OrderKey::Email, true) => "email desc",
            (OrderKey::UpdateTime, false) => "update_time asc",
            (OrderKey::UpdateTime, true) => "update_time desc",
        }
    }
}

fn bad_order(text: &str, what: &str) -> ApiError {
    ApiError::invalid_field(
        "orderBy",
        format!(
            "`{text}` is not a valid order: {what} (use one of `email`, `update_time`, optionally \
             followed by `asc` or `desc`)"
        ),
    )
}

pub fn parse_order(text: &str) -> ApiResult<Order> {
    let mut t = text.trim();
    // guess: the sample quotes the whole value (`'updateTime desc'`); we accept single or double quotes.
    for q in ['\'', '"'] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            t = t[1..t.len() - 1].trim();
        }
    }
    if t.is_empty() {
        return Ok(Order::default());
    }
    if t.contains(',') {
        return Err(bad_order(text, "only one sort key is supported"));
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    let key = match words[0] {
        "email" => OrderKey::Email,
        "update_time" | "updateTime" => OrderKey::UpdateTime,
        other => return Err(bad_order(text, &format!("unknown sort key `{other}`"))),
    };
    let descending = match words.get(1).map(|w| w.to_ascii_lowercase()) {
        None => false,
        Some(w) if w == "asc" => false,
        Some(w) if w == "desc" => true,
        Some(w) if w == "email" || w == "update_time" || w == "updatetime" => {
            return Err(bad_order(text, "only one sort key is supported"));
        }
        Some(w) => return Err(bad_order(text, &format!("`{w}` is not asc or desc"))),
    };
    if words.len() > 2 {
        return Err(bad_order(text, "only one sort key is supported"));
    }
    Ok(Order { key, descending })
}

#[cfg(test)]
mod tests {
    use super::*;
    use InvitationState::*;

    #[test]
    fn empty_filter_matches_everything() {
        let f = parse_filter("  ").expect("parses");
        assert!(InvitationState::ALL.iter().all(|s| f.matches(*s)));
    }

    #[test]
    fn equality_terms_are_ored() {
        let f = parse_filter("state=='invited'||state=='declined'").expect("parses");
        assert!(f.matches(Invited) && f.matches(Declined));
        assert!(!f.matches(Accepted) && !f.matches(NotYetSent));
        let f = parse_filter(" state == 'not_yet_sent' || state=='accepted' ").expect("spaces");
        assert!(f.matches(NotYetSent) && f.matches(Accepted) && !f.matches(Invited));
    }

    #[test]
    fn the_guide_sample_not_equal_works() {
        let f = parse_filter("state!='accepted'").expect("parses");
        assert!(!f.matches(Accepted));
        assert!(f.matches(Invited) && f.matches(NotYetSent) && f.matches(Declined));
    }

    #[test]
    fn errors_name_the_position() {
        let e = parse_filter("status=='invited'").expect_err("bad field");
        assert!(e.message.contains("position 1"), "{}", e.message);
        let e = parse_filter("state='invited'").expect_err("bad operator");
        assert!(e.message.contains("position 6"), "{}", e.message);
        let e = parse_filter("state=='INVITED'").expect_err("uppercase");
        assert!(e.message.contains("position 9"), "{}", e.message);
        let e = parse_filter("state==\"invited\"").expect_err("double quotes");
        assert!(e.message.contains("position 8"), "{}", e.message);
        let e = parse_filter("state=='invited' && state=='accepted'").expect_err("and");
        assert!(e.message.contains("position 18"), "{}", e.message);
        let e = parse_filter("state=='invited").expect_err("unterminated");
        assert!(e.message.contains("position 8"), "{}", e.message);
        let e = parse_filter("state=='invited'||").expect_err("dangling or");
        assert!(e.message.contains("position 19"), "{}", e.message);
    }

    #[test]
    fn order_accepts_both_spellings_quotes_and_directions() {
        assert_eq!(parse_order("").expect("empty"), Order::default());
        assert_eq!(
            parse_order("'updateTime desc'").expect("sample"),
            Order {
                key: OrderKey::UpdateTime,
                descending: true
            }
        );
        assert_eq!(
            parse_order("update_time").expect("snake").canonical(),
            "update_time asc"
        );
        assert_eq!(
            parse_order("email DESC").expect("desc").canonical(),
            "email desc"
        );
    }

    #[test]
    fn two_keys_or_unknown_keys_are_rejected() {
        assert!(parse_order("email, update_time").is_err());
        assert!(parse_order("email update_time").is_err());
        assert!(parse_order("email desc update_time").is_err());
        assert!(parse_order("name").is_err());
        assert!(parse_order("email sideways").is_err());
    }
}
