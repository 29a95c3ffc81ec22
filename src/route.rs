//! What a route is, as data, and the one matcher of AIP-127 path templates every family's route table uses.
//!
//! A template is `/`-separated parts, then optionally a custom verb: literals (`customers`), `*` (one segment),
//! `**` (one or more segments), `{var}` (one segment, captured), `{var=accounts/*/customers/*}` (the segments the
//! inner pattern matches, captured), and `:verb` at the end (`{parent=accounts/*}/customers:import`). It is matched
//! against a [`RestPath`]'s segments, already percent-decoded (an encoded `/` stays inside its segment) and with the
//! verb split off: nothing is allocated while matching, and captures are segment ranges.

use http::Method;

use crate::request::RestPath;

/// One route of a family: an HTTP method on a path template, the RPC it stands for (shared with its gRPC method,
/// `package.Service/Method`; invented names for families without gRPC), whether it may change the world (a data dir
/// syncs those), the family's REST handler and, for an RPC served over gRPC too, its gRPC binding (on one route of
/// the RPC: the others are the same RPC on other paths).
#[derive(Clone)]
pub struct Route<H: 'static, G: 'static = ()> {
    pub method: Method,
    pub template: &'static str,
    pub rpc: &'static str,
    pub writes: bool,
    pub handler: H,
    pub grpc: Option<G>,
}

/// Most variables a template captures.
pub const MAX_VARS: usize = 4;

/// The variables a match captured, as ranges of the path's segments (after `skip`, the segments the table left out,
/// such as the API version).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Vars {
    len: u8,
    vars: [(&'static str, u16, u16); MAX_VARS],
}

impl Vars {
    /// The segment range a variable captured.
    pub fn range(&self, name: &str) -> Option<(usize, usize)> {
        self.vars[..self.len as usize]
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|&(_, a, b)| (a as usize, b as usize))
    }

    /// A variable's value: its segments joined with `/` (empty when the template has no such variable).
    pub fn get(&self, path: &RestPath, name: &str) -> String {
        match self.range(name) {
            Some((a, b)) => path.segments[a..b].join("/"),
            None => String::new(),
        }
    }

    fn push(&mut self, name: &'static str, from: usize, to: usize) -> bool {
        let i = self.len as usize;
        if i >= MAX_VARS {
            return false;
        }
        self.vars[i] = (name, from as u16, to as u16);
        self.len += 1;
        true
    }
}

/// Splits a template into its path and custom verb (the `:` after the last `/` and `}`).
fn split_verb(template: &'static str) -> (&'static str, Option<&'static str>) {
    let tail = template.rfind(['/', '}']).map_or(0, |i| i + 1);
    match template[tail..].find(':') {
        Some(i) => (&template[..tail + i], Some(&template[tail + i + 1..])),
        None => (template, None),
    }
}

/// The top-level parts of a template path: `{…}` groups stay whole even when they hold `/`.
fn parts(path: &'static str) -> impl Iterator<Item = &'static str> {
    let mut rest = Some(path);
    std::iter::from_fn(move || {
        let s = rest?;
        let end = if s.starts_with('{') {
            s.find('}').map_or(s.len(), |i| i + 1)
        } else {
            s.find('/').unwrap_or(s.len())
        };
        let (part, after) = s.split_at(end);
        rest = after.strip_prefix('/');
        Some(part)
    })
}

/// How many segments a part consumes at least, and whether it can take more (`**`).
fn width(part: &str) -> (usize, bool) {
    let inner = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
        Some(v) => match v.split_once('=') {
            Some((_, pat)) => pat,
            None => "*",
        },
        None => part,
    };
    let n = inner.split('/').count();
    (n, inner.split('/').any(|s| s == "**"))
}

/// Matches one pattern segment (literal, `*`) against one path segment.
fn seg_matches(pattern: &str, seg: &str) -> bool {
    pattern == "*" || pattern == "**" || pattern == seg
}

/// Whether `template` matches `segs` and `verb`; on a match, the captures (indices offset by `skip`).
pub fn matches(
    template: &'static str,
    segs: &[String],
    verb: Option<&str>,
    skip: usize,
) -> Option<Vars> {
    let (path, tverb) = split_verb(template);
    if tverb != verb {
        return None;
    }
    // The segments a `**` takes: whatever the other parts leave over.
    let (fixed, deep) = parts(path).fold((0, false), |(n, d), p| {
        let (w, dd) = width(p);
        (n + w, d || dd)
    });
    if segs.len() < fixed || (!deep && segs.len() != fixed) {
        return None;
    }
    let extra = segs.len() - fixed;
    let mut vars = Vars::default();
    let mut i = 0;
    for part in parts(path) {
        let (name, pattern) = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(v) => match v.split_once('=') {
                Some((n, pat)) => (Some(n), pat),
                None => (Some(v), "*"),
            },
            None => (None, part),
        };
        let start = i;
        for p in pattern.split('/') {
            let take = if p == "**" { 1 + extra } else { 1 };
            if !segs[i..i + take].iter().all(|s| seg_matches(p, s)) {
                return None;
            }
            i += take;
        }
        if let Some(n) = name
            && !vars.push(n, start + skip, i + skip)
        {
            return None;
        }
    }
    Some(vars)
}

/// What looking a request up in a table found.
pub enum Found<'t, H: 'static, G: 'static = ()> {
    Route(&'t Route<H, G>, Vars),
    /// The path is known, not with this method: the methods it takes, in table order.
    WrongMethod(Vec<Method>),
    /// No route of the table has the path.
    Nothing,
}

/// The first route of `table` for `method` whose template matches the path after its first `skip` segments.
pub fn find<'t, H, G>(
    table: &'t [Route<H, G>],
    method: &Method,
    path: &RestPath,
    skip: usize,
) -> Found<'t, H, G> {
    let segs = path.segments.get(skip..).unwrap_or(&[]);
    let verb = path.verb.as_deref();
    let mut other = false;
    for r in table {
        if let Some(vars) = matches(r.template, segs, verb, skip) {
            if r.method == *method {
                return Found::Route(r, vars);
            }
            other = true;
        }
    }
    if !other {
        return Found::Nothing;
    }
    let mut allowed: Vec<Method> = Vec::new();
    for r in table {
        if !allowed.contains(&r.method) && matches(r.template, segs, verb, skip).is_some() {
            allowed.push(r.method.clone());
        }
    }
    Found::WrongMethod(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> RestPath {
        RestPath::parse(p).expect("parses")
    }

    fn m(template: &'static str, p: &str) -> Option<Vec<(String, String)>> {
        let rp = path(p);
        let vars = matches(template, &rp.segments, rp.verb.as_deref(), 0)?;
        Some(
            vars.vars[..vars.len as usize]
                .iter()
                .map(|(n, _, _)| (n.to_string(), vars.get(&rp, n)))
                .collect(),
        )
    }

    fn one(name: &str, value: &str) -> Option<Vec<(String, String)>> {
        Some(vec![(name.to_string(), value.to_string())])
    }

    #[test]
    fn literals_single_and_multi_segment_captures() {
        assert_eq!(m("v1/accounts", "/v1/accounts"), Some(vec![]));
        assert_eq!(m("v1/accounts", "/v1/accounts/x"), None);
        assert_eq!(m("v1/{id}", "/v1/abc"), one("id", "abc"));
        assert_eq!(
            m("{name=accounts/*/customers/*}", "/accounts/A1/customers/C1"),
            one("name", "accounts/A1/customers/C1")
        );
        assert_eq!(
            m("{name=accounts/*/customers/*}", "/accounts/A1/offers/C1"),
            None
        );
        assert_eq!(
            m(
                "{parent=accounts/*}/customers/{c}",
                "/accounts/A/customers/C"
            ),
            Some(vec![
                ("parent".into(), "accounts/A".into()),
                ("c".into(), "C".into())
            ])
        );
    }

    #[test]
    fn double_star_takes_one_or_more_segments() {
        assert_eq!(
            m("{name=operations/**}", "/operations/a"),
            one("name", "operations/a")
        );
        assert_eq!(
            m("{name=operations/**}", "/operations/a/b/c"),
            one("name", "operations/a/b/c")
        );
        assert_eq!(m("{name=operations/**}", "/operations"), None);
        assert_eq!(m("operations", "/operations"), Some(vec![]));
    }

    #[test]
    fn custom_verbs_must_agree() {
        let t = "{parent=accounts/*}/customers:import";
        assert_eq!(
            m(t, "/accounts/A/customers:import"),
            one("parent", "accounts/A")
        );
        assert_eq!(m(t, "/accounts/A/customers"), None);
        assert_eq!(m(t, "/accounts/A/customers:export"), None);
        assert_eq!(
            m(
                "{name=accounts/*/customers/*}",
                "/accounts/A/customers/C:import"
            ),
            None
        );
        assert_eq!(
            m("{name=operations/**}:cancel", "/operations/x/y:cancel"),
            one("name", "operations/x/y")
        );
        assert_eq!(split_verb("a/{b=c/*}"), ("a/{b=c/*}", None));
        assert_eq!(split_verb("a/{b=c/*}:v"), ("a/{b=c/*}", Some("v")));
    }

    #[test]
    fn trailing_slash_and_encoded_slashes_are_segments_as_before() {
        // A trailing slash is an empty last segment, which `*` takes (as the hand-written matches did).
        assert_eq!(m("accounts/{a}", "/accounts/"), one("a", ""));
        assert_eq!(m("accounts", "/accounts/"), None);
        // `%2F` decodes inside its segment: one segment still.
        assert_eq!(m("accounts/{a}", "/accounts/x%2Fy"), one("a", "x/y"));
        assert_eq!(m("", "/"), Some(vec![]));
    }

    #[test]
    fn find_tells_a_wrong_method_from_an_unknown_path() {
        let table = [
            Route {
                method: Method::GET,
                template: "c/{id}",
                rpc: "Get",
                writes: false,
                handler: (),
                grpc: None::<()>,
            },
            Route {
                method: Method::DELETE,
                template: "c/{id}",
                rpc: "Delete",
                writes: true,
                handler: (),
                grpc: None::<()>,
            },
        ];
        let p = path("/v1/c/9");
        match find(&table, &Method::DELETE, &p, 1) {
            Found::Route(r, vars) => {
                assert_eq!(r.rpc, "Delete");
                assert_eq!(vars.get(&p, "id"), "9");
            }
            _ => panic!("finds DELETE"),
        }
        match find(&table, &Method::PUT, &p, 1) {
            Found::WrongMethod(m) => assert_eq!(m, [Method::GET, Method::DELETE]),
            _ => panic!("405"),
        }
        assert!(matches!(
            find(&table, &Method::GET, &path("/v1/d/9"), 1),
            Found::Nothing
        ));
    }
}
