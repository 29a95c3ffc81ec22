//! Property tests ("fuzzing" bounded to a fixed number of cases, so CI time is predictable) for every parser that
//! reads client input: no input may panic, and the parsers keep their promises on arbitrary text.
//! Any crash found here becomes a named regression case below.

use proptest::prelude::*;
use provmock::internals::scp::{SignedRequest, negotiate, rebuild_url, sign, verify};
use provmock::internals::{Query, RestPath, channel_filter, invitation_filter, paging};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text that looks like the grammar more often than random bytes would.
fn filterish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("domain".to_string()),
            Just("org_display_name".to_string()),
            Just("state".to_string()),
            Just(" = ".to_string()),
            Just(" : ".to_string()),
            Just("==".to_string()),
            Just("!=".to_string()),
            Just("||".to_string()),
            Just(" AND ".to_string()),
            Just(" OR ".to_string()),
            Just("(".to_string()),
            Just(")".to_string()),
            Just("\"".to_string()),
            Just("'".to_string()),
            Just("*".to_string()),
            Just("\\".to_string()),
            "[a-z.]{0,6}",
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

/// A well-formed term of the customers filter grammar.
fn channel_term() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("domain"),
            Just("org_display_name"),
            Just("cloud_identity_id")
        ],
        "[a-z.]{1,8}",
    )
        .prop_map(|(k, v)| format!("{k} = \"{v}\""))
}

/// Nesting and long runs: the shapes a flat generator never makes.
fn nested_or_long() -> impl Strategy<Value = String> {
    prop_oneof![
        // `(` × n, then text, then `)` × m (balanced or not)
        (0usize..5_000, filterish(), 0usize..5_000).prop_map(|(n, mid, m)| format!(
            "{}{mid}{}",
            "(".repeat(n),
            ")".repeat(m)
        )),
        // a long run of one token
        (
            prop_oneof![
                Just("("),
                Just(")"),
                Just(" AND "),
                Just(" OR "),
                Just("\\"),
                Just("\""),
                Just("||")
            ],
            0usize..20_000
        )
            .prop_map(|(t, n)| t.repeat(n)),
        // a valid term with a very long value
        (0usize..100_000).prop_map(|n| format!("domain = \"{}\"", "a".repeat(n))),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn channel_filter_nesting_is_bounded_and_named(depth in 0usize..200, term in channel_term(), joined in any::<bool>()) {
        let inner = if joined { format!("{term} OR {term}") } else { term };
        let f = format!("{}{inner}{}", "(".repeat(depth), ")".repeat(depth));
        match channel_filter::parse(&f) {
            Ok(_) => prop_assert!(depth <= channel_filter::MAX_DEPTH, "depth {depth} accepted"),
            Err(e) => {
                prop_assert!(depth > channel_filter::MAX_DEPTH, "depth {depth}: {}", e.message);
                prop_assert!(e.message.contains("nested deeper"), "{}", e.message);
                prop_assert!(e.message.contains(&format!("position {}", channel_filter::MAX_DEPTH + 1)), "{}", e.message);
                prop_assert!(e.message.len() < 600, "the message stays short");
            }
        }
    }

    #[test]
    fn channel_filter_never_panics(s in filterish()) {
        if let Err(e) = channel_filter::parse(&s) {
            prop_assert!(e.message.contains("filter"), "{}", e.message);
        }
    }

    #[test]
    fn channel_filter_never_panics_on_any_text(s in any::<String>()) {
        let _ = channel_filter::parse(&s);
    }
}

proptest! {
    // Inputs up to 100 000 characters: fewer cases, the same promises.
    #![proptest_config(ProptestConfig { cases: 200, ..config() })]

    #[test]
    fn parsers_survive_deep_nesting_and_long_runs(s in nested_or_long()) {
        if let Err(e) = channel_filter::parse(&s) {
            prop_assert!(e.message.len() < 1_000, "error messages stay short: {} bytes", e.message.len());
        }
        if let Err(e) = invitation_filter::parse_filter(&s) {
            prop_assert!(e.message.len() < 1_000, "error messages stay short: {} bytes", e.message.len());
        }
        let _ = invitation_filter::parse_order(&s);
        let _ = RestPath::parse(&format!("/v1/{s}"));
        let _ = Query::parse(Some(&s));
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn invitation_filter_and_order_never_panic(s in filterish(), o in "[a-zA-Z_' ]{0,30}") {
        let _ = invitation_filter::parse_filter(&s);
        let _ = invitation_filter::parse_order(&o);
        let _ = invitation_filter::parse_filter(&o);
    }

    #[test]
    fn rest_paths_and_custom_verbs_never_panic(s in any::<String>()) {
        if let Ok(p) = RestPath::parse(&s) {
            prop_assert!(p.verb.as_deref().is_none_or(|v| !v.contains('/')));
        }
        let q = Query::parse(Some(&s));
        let _ = q.int(&["pageSize"]);
        let _ = q.enums_as_int();
    }

    #[test]
    fn page_tokens_round_trip_and_reject_garbage(fp in "[0-9a-f]{12}", key in any::<String>(), junk in any::<String>()) {
        let t = paging::encode(&fp, &key);
        prop_assert_eq!(paging::decode(&t, &fp, "pageToken").ok(), Some(key));
        let _ = paging::decode(&junk, &fp, "pageToken");
    }

    #[test]
    fn scp_version_headers_never_panic(h in any::<String>(), days in 0i64..40_000) {
        let now = chrono::DateTime::from_timestamp(days * 86_400, 0).unwrap_or_default();
        let _ = negotiate(Some(&h), "cloudcontrol", now);
        let _ = negotiate(Some(&h), "organization", now);
    }

    #[test]
    fn scp_signatures_verify_only_their_own_input(
        method in "[A-Z]{3,6}", host in "[a-z0-9.:]{1,30}", path in "/[ -~]{0,40}", query in proptest::option::of("[ -~]{0,20}"),
        ts in "[0-9]{13}", key in "[A-Z0-9]{4,20}", secret in any::<String>(), account in "[a-z0-9]{0,8}", other in any::<String>(),
    ) {
        let url = rebuild_url("http", &host, &path, query.as_deref());
        let r = SignedRequest { method: &method, url: &url, timestamp: &ts, access_key: &key, account_id: &account, client_type: "Openapi" };
        let sig = sign(&secret, &r);
        prop_assert!(verify(&secret, &r, &sig));
        prop_assert!(!verify(&secret, &r, &other) || other.trim() == sig);
    }
}

/// Regression cases: inputs that once broke a parser (keep them here when proptest finds new ones).
#[test]
fn regression_cases() {
    for s in [
        "",
        "(",
        ")",
        "domain",
        "domain =",
        "domain = \"",
        "domain = \"a\\",
        "((((",
        "\u{0}",
    ] {
        let _ = channel_filter::parse(s);
        let _ = invitation_filter::parse_filter(s);
        let _ = invitation_filter::parse_order(s);
        let _ = RestPath::parse(s);
    }
    assert!(
        RestPath::parse("/v1/%FF%FE").is_err(),
        "invalid UTF-8 in a path is an error, not a panic"
    );
}
