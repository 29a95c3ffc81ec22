//! Opaque page tokens shared by every list method. A token carries the key after which the next page starts and a
//! fingerprint of the query it belongs to, so a token reused with another filter or order is INVALID_ARGUMENT.
//! Lists walk ordered maps from that key, so a page costs O(page), not O(store).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Fingerprint of the query parameters a token is bound to (everything but the page size and token).
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

pub fn encode(fingerprint: &str, last_key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{fingerprint}:{last_key}"))
}

/// Returns the key to continue after. `field` names the request field in errors (`pageToken`, `page_token`).
pub fn decode(token: &str, fingerprint: &str, field: &str) -> Result<String, ApiError> {
    let bad = || {
        ApiError::invalid_field(
            field,
            format!("page token `{token}` is not valid for this request"),
        )
    };
    let raw = URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (fp, key) = text.split_once(':').ok_or_else(bad)?;
    if fp != fingerprint {
        return Err(ApiError::invalid_field(
            field,
            format!(
                "page token `{token}` was issued for a different query (filter, order or parent changed)"
            ),
        ));
    }
    Ok(key.to_string())
}

/// Walks `items` (already positioned after the page token's key, in key order), keeps those `keep` accepts, and
/// takes at most `size` of them. Returns the rendered page and the next page token: bound to `fingerprint` and
/// pointing at the last key taken, or empty when nothing more matches.
pub fn take_page<'a, V: 'a, T>(
    items: impl Iterator<Item = (&'a String, &'a V)>,
    size: usize,
    fingerprint: &str,
    mut keep: impl FnMut(&str, &V) -> bool,
    mut render: impl FnMut(&V) -> T,
) -> (Vec<T>, String) {
    let mut page = Vec::with_capacity(size.min(1024));
    let mut last: Option<&String> = None;
    for (key, value) in items {
        if !keep(key, value) {
            continue;
        }
        if page.len() == size {
            return (
                page,
                last.map(|k| encode(fingerprint, k)).unwrap_or_default(),
            );
        }
        last = Some(key);
        page.push(render(value));
    }
    (page, String::new())
}

/// The entries of an ordered map strictly after `key` (the first page starts after "").
pub fn after<'a, V>(
    map: &'a std::collections::BTreeMap<String, V>,
    key: String,
) -> std::collections::btree_map::Range<'a, String, V> {
    map.range::<String, _>((std::ops::Bound::Excluded(key), std::ops::Bound::Unbounded))
}

/// Clamps a requested page size: `0` → `default`, larger than `max` → `max`, negative → INVALID_ARGUMENT.
pub fn page_size(
    requested: i64,
    default: usize,
    max: usize,
    field: &str,
) -> Result<usize, ApiError> {
    if requested < 0 {
        return Err(ApiError::invalid_field(
            field,
            format!("must not be negative, got {requested}"),
        ));
    }
    Ok(match requested as usize {
        0 => default,
        n => n.min(max),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_round_trips_and_is_bound_to_its_query() {
        let fp = fingerprint(&["accounts/A1", "domain = \"x\""]);
        let t = encode(&fp, "accounts/A1/customers/k");
        assert_eq!(
            decode(&t, &fp, "pageToken").expect("decodes"),
            "accounts/A1/customers/k"
        );
        let other = fingerprint(&["accounts/A1", ""]);
        let err = decode(&t, &other, "pageToken").expect_err("bound");
        assert!(err.message.contains("different query"), "{}", err.message);
        assert!(decode("%%%", &fp, "pageToken").is_err());
    }

    #[test]
    fn take_page_stops_at_size_and_points_after_the_last_item() {
        let map: std::collections::BTreeMap<String, u32> =
            (0..5).map(|i| (format!("k{i}"), i)).collect();
        let (page, next) = take_page(
            after(&map, String::new()),
            2,
            "fp",
            |_, v| v % 2 == 0,
            |v| *v,
        );
        assert_eq!(page, [0, 2]);
        assert_eq!(decode(&next, "fp", "t").ok().as_deref(), Some("k2"));
        let (page, next) = take_page(after(&map, "k2".into()), 2, "fp", |_, v| v % 2 == 0, |v| *v);
        assert_eq!(page, [4]);
        assert!(next.is_empty(), "no more matches, no token");
    }

    #[test]
    fn page_size_defaults_and_clamps() {
        assert_eq!(page_size(0, 10, 50, "pageSize").ok(), Some(10));
        assert_eq!(page_size(500, 10, 50, "pageSize").ok(), Some(50));
        assert!(page_size(-1, 10, 50, "pageSize").is_err());
    }
}
