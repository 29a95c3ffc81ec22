//! The dashboard's server side: the page and its assets, paged reads (`GET /_mock/resources`, the journal's
//! `after`/`before`), the change notices of `GET /_mock/events`, and the control token on all of them.

use std::time::{Duration, Instant};

use provmock::Config;
use provmock::internals::Customer;
use serde_json::{Value, json};

use crate::helpers::{R1, TestApp, spawn_app, spawn_with};

const TOKEN: &str = "s3cret-control";

/// An open `GET /_mock/events`, read frame by frame.
struct Events {
    resp: reqwest::Response,
    buf: String,
}

impl Events {
    async fn open(app: &TestApp, auth: Option<(&str, &str)>) -> Events {
        let mut req = app.http.get(app.url("/_mock/events"));
        if let Some((name, value)) = auth {
            req = req.header(name, value);
        }
        let resp = req.send().await.expect("events request");
        assert_eq!(resp.status(), 200, "{:?}", resp.headers());
        assert_eq!(
            resp.headers()["content-type"],
            "text/event-stream",
            "{:?}",
            resp.headers()
        );
        let mut events = Events {
            resp,
            buf: String::new(),
        };
        let hello = events.frame().await;
        assert!(hello.contains("event: hello"), "{hello}");
        events
    }

    /// The next frame (up to a blank line), waiting at most 5 s.
    async fn frame(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(at) = self.buf.find("\n\n") {
                let frame = self.buf[..at].to_string();
                self.buf.drain(..at + 2);
                return frame;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let chunk = tokio::time::timeout(left, self.resp.chunk())
                .await
                .expect("a frame within 5 s")
                .expect("stream readable")
                .expect("stream still open");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next change notice, skipping heartbeats.
    async fn change(&mut self) -> Value {
        loop {
            let frame = self.frame().await;
            if frame.starts_with(':') {
                continue;
            }
            let data = frame
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .unwrap_or_else(|| panic!("no data in {frame}"));
            assert!(frame.starts_with("event: change"), "{frame}");
            return serde_json::from_str(data).expect("notice is JSON");
        }
    }

    /// Change notices until one satisfies `want` (others are skipped), at most 20.
    async fn until(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..20 {
            let n = self.change().await;
            if want(&n) {
                return n;
            }
        }
        panic!("no matching notice among 20");
    }
}

fn token_app() -> Config {
    Config {
        no_tls: true,
        control_token: Some(TOKEN.into()),
        ..Config::default()
    }
}

#[tokio::test]
async fn the_page_and_its_assets_are_embedded_small_and_locked_down() {
    let app = spawn_app().await;
    let page = app
        .http
        .get(app.url("/_mock/ui"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let h = page.headers().clone();
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    let csp = h["content-security-policy"].to_str().unwrap_or("");
    for rule in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(rule), "{csp}");
    }
    let html = page.text().await.expect("html");
    assert!(html.contains(r#"<script src="/_mock/ui/app.js""#), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the page fetches nothing from elsewhere"
    );
    let mut total = html.len();
    for (path, ct) in [
        ("/_mock/ui/app.js", "text/javascript; charset=utf-8"),
        ("/_mock/ui/app.css", "text/css; charset=utf-8"),
    ] {
        let r = app.http.get(app.url(path)).send().await.expect("asset");
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], ct, "{path}");
        let text = r.text().await.expect("asset text");
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{path} fetches nothing from elsewhere"
        );
        total += text.len();
    }
    assert_eq!(total, provmock::internals::PAGE_BYTES);
    assert!(total < 64 * 1024, "the page is {total} bytes");
    assert_eq!(app.post("/_mock/ui", json!({})).await.status, 405);
    assert_eq!(app.post("/_mock/events", json!({})).await.status, 405);
    assert_eq!(app.get("/_mock/ui/app.wasm").await.status, 404);
    assert_eq!(app.get("/_mock/events/x").await.status, 404);
}

#[tokio::test]
async fn with_a_control_token_only_the_page_loads_without_it() {
    let app = spawn_with(token_app()).await;
    for path in ["/_mock/ui", "/_mock/ui/app.js", "/_mock/ui/app.css"] {
        assert_eq!(app.get(path).await.status, 200, "{path}");
    }
    for path in [
        "/_mock/resources",
        "/_mock/resources?family=channel&kind=customers",
        "/_mock/events",
        "/_mock/events:ticket",
        "/_mock/journal?after=0",
        "/_mock/ui/nope",
    ] {
        app.get(path).await.expect_error(401, "UNAUTHENTICATED");
        app.call("GET", path, None, Some("guess"))
            .await
            .expect_error(401, "UNAUTHENTICATED");
    }
    let summary = app
        .call("GET", "/_mock/resources", None, Some(TOKEN))
        .await
        .ok();
    assert_eq!(summary["channel"]["customers"], 1);
    // Bearer works for the stream too.
    Events::open(&app, Some(("authorization", &format!("Bearer {TOKEN}")))).await;
}

#[tokio::test]
async fn the_events_cookie_holds_a_ticket_that_opens_the_stream_and_nothing_else() {
    let app = spawn_with(token_app()).await;
    let r = app
        .http
        .get(app.url("/_mock/events:ticket"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("ticket");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/_mock/events"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(
        !cookie.contains(TOKEN),
        "the cookie never carries the token: {cookie}"
    );
    let pair = cookie.split(';').next().expect("name=value").to_string();
    let port = app.server.addr().port();
    assert!(
        pair.starts_with(&format!("provmock_events_{port}=")),
        "{pair}"
    );

    let mut events = Events::open(&app, Some(("cookie", &format!("other=1; {pair}")))).await;
    app.post(
        &format!("/v1/{R1}/customers:import"),
        json!({"domain": "altostrat.com"}),
    )
    .await
    .ok();
    assert_eq!(events.change().await["family"], "channel");

    // Not for any other call, and a forged ticket opens nothing.
    let state = app
        .http
        .get(app.url("/_mock/state"))
        .header("cookie", &pair)
        .send()
        .await
        .expect("state");
    assert_eq!(state.status(), 401);
    let forged = app
        .http
        .get(app.url("/_mock/events"))
        .header(
            "cookie",
            format!("provmock_events_{port}={}", "0".repeat(64)),
        )
        .send()
        .await
        .expect("forged");
    assert_eq!(forged.status(), 401);
    let plain = app
        .http
        .get(app.url("/_mock/events"))
        .header("cookie", format!("provmock_events_{port}={TOKEN}"))
        .send()
        .await
        .expect("token as cookie");
    assert_eq!(plain.status(), 401, "the token itself is no ticket");

    // Without a control token there is no cookie to set.
    let open = spawn_app().await;
    let r = open
        .http
        .get(open.url("/_mock/events:ticket"))
        .send()
        .await
        .expect("ticket");
    assert!(r.headers().get("set-cookie").is_none());
    assert_eq!(
        r.json::<Value>().await.expect("json")["cookie"],
        Value::Null
    );
}

#[tokio::test]
async fn events_announce_requests_control_calls_and_finished_operations() {
    let app = spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::from_millis(100),
        ..Config::default()
    })
    .await;
    assert!(!provmock::internals::app(&app.server).events.listening());
    let mut events = Events::open(&app, None).await;
    assert!(provmock::internals::app(&app.server).events.listening());

    let c = app.create_customer(R1, "events.example").await;
    let n = events.change().await;
    assert_eq!(n["kind"], "request");
    assert_eq!(n["family"], "channel");
    assert_eq!(n["method"], "POST");
    assert_eq!(n["name"], format!("/v1/{R1}/customers"));
    assert_eq!(
        (n["status"].clone(), n["changed"].clone()),
        (json!(200), json!(true))
    );

    app.get(&format!("/v1/{R1}/customers")).await.ok();
    let n = events.change().await;
    assert_eq!(
        (n["method"].clone(), n["changed"].clone()),
        (json!("GET"), json!(false))
    );

    let missing = app
        .get(&format!("/v1/{R1}/customers/S0NOSUCHCUSTOMER"))
        .await;
    assert_eq!(missing.status, 404);
    let n = events.change().await;
    assert_eq!(
        (n["status"].clone(), n["changed"].clone()),
        (json!(404), json!(false))
    );

    app.post(
        "/_mock/faults",
        json!({"match": {"method": "Nothing"}, "latency_ms": 1}),
    )
    .await
    .ok();
    let n = events.change().await;
    assert_eq!(
        (n["kind"].clone(), n["name"].clone()),
        (json!("control"), json!("/_mock/faults"))
    );
    assert_eq!(n["family"], Value::Null);
    // Control reads announce nothing; the next notice is the provision below.
    app.get("/_mock/faults").await.ok();

    let name = c["name"].as_str().expect("name");
    let op = app
        .post(
            &format!("/v1/{name}:provisionCloudIdentity"),
            json!({"user": {"email": "a@events.example"}}),
        )
        .await
        .ok();
    let n = events.change().await;
    assert_eq!(n["name"], format!("/v1/{name}:provisionCloudIdentity"));
    let op_name = op["name"].as_str().expect("op name");
    let n = events.until(|n| n["kind"] == "operation").await;
    assert_eq!(n["name"], op_name);
    assert_eq!(n["family"], "channel");
    let seq = n["seq"].as_u64().expect("seq");
    assert!(seq >= 6, "notices are numbered: {n}");

    drop(events);
    for _ in 0..100 {
        if !provmock::internals::app(&app.server).events.listening() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("a closed stream is no longer counted");
}

#[tokio::test]
async fn an_event_stream_beats_through_the_idle_timeout() {
    let app = spawn_with(Config {
        no_tls: true,
        idle_timeout: Duration::from_millis(600),
        header_timeout: Duration::from_millis(600),
        ..Config::default()
    })
    .await;
    let mut events = Events::open(&app, None).await;
    let started = Instant::now();
    let mut beats = 0;
    while started.elapsed() < Duration::from_millis(2000) {
        let frame = events.frame().await;
        assert_eq!(frame, ": keep-alive", "nothing changed meanwhile");
        beats += 1;
    }
    assert!(beats >= 4, "{beats} heartbeats in 2 s with a 300 ms period");
    // Still open, still delivering, three idle timeouts later.
    app.create_customer(R1, "still-open.example").await;
    assert_eq!(events.change().await["kind"], "request");
}

#[tokio::test]
async fn event_streams_are_limited() {
    let app = spawn_app().await;
    let mut open = Vec::new();
    for _ in 0..provmock::internals::MAX_LISTENERS {
        open.push(Events::open(&app, None).await);
    }
    let over = app.get("/_mock/events").await;
    over.expect_error(429, "RESOURCE_EXHAUSTED");
    open.pop();
    tokio::time::sleep(Duration::from_millis(100)).await;
    Events::open(&app, None).await;
}

fn customer(i: usize) -> Customer {
    let t = chrono::DateTime::<chrono::Utc>::from_timestamp(1_767_225_600, 0).unwrap_or_default();
    Customer {
        name: format!("accounts/C0BULK000/customers/S0{i:012}"),
        org_display_name: format!("Bulk {i}"),
        org_postal_address: Default::default(),
        primary_contact_info: None,
        alternate_email: String::new(),
        domain: format!("bulk{i}.example"),
        create_time: t,
        update_time: t,
        cloud_identity_id: None,
        language_code: String::new(),
        channel_partner_id: String::new(),
        correlation_id: String::new(),
        customer_attestation_state: 0,
        provisioning_operation: None,
    }
}

#[tokio::test]
async fn resources_page_through_100_000_customers_a_page_at_a_time() {
    let app = spawn_app().await;
    {
        let mut st = provmock::internals::app(&app.server).lock();
        for i in 0..100_000 {
            st.world.google.put_customer(customer(i));
        }
    }
    let url = "/_mock/resources?family=channel&kind=customers&page_size=200";
    let started = Instant::now();
    let first = app.get(url).await;
    let elapsed = started.elapsed();
    let bytes = first.body.to_string().len();
    let first = first.ok();
    assert_eq!(first["total"], 100_001);
    let items = first["items"].as_array().expect("items");
    assert_eq!(items.len(), 200);
    // Highest name first (a parent's ids rise as they are drawn, so that is its newest).
    assert_eq!(
        items[0]["name"],
        "accounts/C0BULK000/customers/S0000000099999"
    );
    assert_eq!(
        items[199]["name"],
        "accounts/C0BULK000/customers/S0000000099800"
    );
    assert!(bytes < 200 * 1024, "a page of 200 is {bytes} bytes");
    assert!(
        elapsed < Duration::from_secs(2),
        "first page took {elapsed:?}"
    );

    let token = first["next_page_token"].as_str().expect("token");
    let second = app.get(&format!("{url}&page_token={token}")).await.ok();
    let names: Vec<&str> = second["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names.len(), 200);
    assert_eq!(names[0], "accounts/C0BULK000/customers/S0000000099799");
    assert!(names.windows(2).all(|w| w[0] > w[1]), "descending");

    let asc = app
        .get("/_mock/resources?family=channel&kind=customers&order=asc&page_size=3")
        .await
        .ok();
    assert_eq!(
        asc["items"][0]["name"],
        "accounts/C01234567/customers/S0NEWCUSTOMER1"
    );
    assert_eq!(
        asc["items"][1]["name"],
        "accounts/C0BULK000/customers/S0000000000000"
    );
    assert_eq!(asc["items"].as_array().map(Vec::len), Some(3));

    // A search looks at a bounded number of entries per page; the token carries on from there.
    let q = "/_mock/resources?family=channel&kind=customers&q=bulk99&page_size=5";
    let found = app.get(q).await.ok();
    let hits: Vec<&str> = found["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["domain"].as_str())
        .collect();
    assert_eq!(hits.len(), 5, "{found}");
    assert!(hits.iter().all(|d| d.starts_with("bulk99")), "{hits:?}");
    let nothing = app
        .get("/_mock/resources?family=channel&kind=customers&q=no-such-domain")
        .await
        .ok();
    assert_eq!(nothing["items"], json!([]));
    let budget = provmock::internals::SCAN_BUDGET;
    assert!(budget < 100_000);
    let mut token = nothing["next_page_token"]
        .as_str()
        .expect("more to scan")
        .to_string();
    let mut pages = 1;
    while !token.is_empty() {
        let page = app
            .get(&format!(
                "/_mock/resources?family=channel&kind=customers&q=no-such-domain&page_token={token}"
            ))
            .await
            .ok();
        assert_eq!(page["items"], json!([]));
        token = page["next_page_token"].as_str().unwrap_or("").to_string();
        pages += 1;
    }
    assert_eq!(
        pages,
        100_001usize.div_ceil(budget),
        "the whole store, a budget at a time"
    );

    // Tokens are bound to their query; sizes are bounded.
    let other = app
        .get(&format!(
            "{url}&q=bulk&page_token={}",
            first["next_page_token"].as_str().unwrap_or("")
        ))
        .await;
    other.expect_error(400, "INVALID_ARGUMENT");
    assert!(
        other.error_message().contains("different query"),
        "{}",
        other.body
    );
    app.get(&format!("{url}&page_token=%%%"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    let big = app
        .get("/_mock/resources?family=channel&kind=customers&page_size=100000")
        .await
        .ok();
    assert_eq!(big["items"].as_array().map(Vec::len), Some(500));
    app.get("/_mock/resources?family=channel&kind=customers&page_size=-1")
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    app.get("/_mock/resources?family=channel&kind=nope")
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    app.get("/_mock/resources?family=nope&kind=customers")
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    let summary = app.get("/_mock/resources").await.ok();
    assert_eq!(summary["channel"]["customers"], 100_001);
}

#[tokio::test]
async fn resources_of_every_family_and_the_operations() {
    let app = spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::from_secs(3600),
        ..Config::default()
    })
    .await;
    let page = |kind: &str| format!("/_mock/resources?{kind}");

    // Invitations of one Cloud Identity, by state, with their counts.
    let inv = app
        .get(&page(
            "family=cloudidentity&kind=invitations&customer=C00000000&page_size=3",
        ))
        .await
        .ok();
    assert_eq!(inv["total"], 7);
    assert_eq!(inv["counts"]["NOT_YET_SENT"], 7);
    assert_eq!(
        inv["items"][0]["name"],
        "customers/C00000000/userinvitations/alice@altostrat.com"
    );
    let mut seen = 3;
    let mut token = inv["next_page_token"].as_str().unwrap_or("").to_string();
    while !token.is_empty() {
        let p = app
            .get(&page(&format!(
                "family=cloudidentity&kind=invitations&customer=C00000000&page_size=3&page_token={token}"
            )))
            .await
            .ok();
        seen += p["items"].as_array().map(Vec::len).unwrap_or(0);
        token = p["next_page_token"].as_str().unwrap_or("").to_string();
    }
    assert_eq!(seen, 7);
    app.post(
        "/v1/customers/C00000000/userinvitations/bob@altostrat.com:send",
        json!({}),
    )
    .await
    .ok();
    let invited = app
        .get(&page(
            "family=cloudidentity&kind=invitations&customer=C00000000&state=invited",
        ))
        .await
        .ok();
    assert_eq!(invited["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(invited["items"][0]["email"], "bob@altostrat.com");
    assert_eq!(invited["counts"]["INVITED"], 1);
    let mail = app.get(&page("family=cloudidentity&kind=mail")).await.ok();
    assert_eq!(mail["items"][0]["to"], "bob@altostrat.com");
    app.get(&page("family=cloudidentity&kind=invitations"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    let summary = app.get("/_mock/resources").await.ok();
    assert_eq!(summary["cloudidentity"]["invitations"]["INVITED"], 1);
    assert_eq!(
        summary["cloudidentity"]["invitations"]["NOT_YET_SENT"], 7,
        "{summary}"
    );

    // An SCP account, pending until its job finishes; then the operations.
    let created = app
        .raw(
            "POST",
            "/v1/accounts",
            serde_json::to_vec(&json!({"name": "ui-account", "email": "ui@example.com",
                "landing_zone_id": "2c8a138f8d78e1fc29a449dbfa8681",
                "parent_unit_id": "ou-b30e9fcc39f84a20bf9e7458e5ec3801"}))
            .unwrap_or_default(),
        )
        .await
        .ok();
    let pending = app
        .get(&page("family=scp&kind=accounts&state=PENDING"))
        .await
        .ok();
    assert_eq!(pending["items"][0]["id"], created["account_id"]);
    let active = app
        .get(&page("family=scp&kind=accounts&state=active"))
        .await
        .ok();
    assert_eq!(active["items"], json!([]));
    let ops = app.get(&page("kind=operations&done=false")).await.ok();
    assert_eq!(ops["items"].as_array().map(Vec::len), Some(1), "{ops}");
    assert_eq!(ops["items"][0]["name"], created["job_id"]);
    let scp_ops = app.get(&page("kind=operations&family=yandex")).await.ok();
    assert_eq!(scp_ops["items"], json!([]));
    assert_eq!(
        app.get("/_mock/resources").await.ok()["scp"]["accounts"]["PENDING"],
        1
    );

    let pools = app.get(&page("family=yandex&kind=userpools")).await.ok();
    assert_eq!(pools["items"][0]["id"], "ek0provmockpool00001");
    let users = app
        .get(&page(
            "family=yandex&kind=users&userpool=ek0provmockpool00001",
        ))
        .await
        .ok();
    assert_eq!(
        users["total"],
        users["items"].as_array().map(Vec::len).unwrap_or(0)
    );
    let units = app
        .get(&page("family=scp&kind=organization_units"))
        .await
        .ok();
    assert_eq!(units["total"], 3);
}

#[tokio::test]
async fn the_journal_reads_what_came_after_or_before_a_sequence_number() {
    let app = spawn_app().await;
    for _ in 0..5 {
        app.get(&format!("/v1/{R1}/customers")).await.ok();
    }
    let all = app.get("/_mock/journal").await.ok();
    let seqs: Vec<u64> = all["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["seq"].as_u64())
        .collect();
    assert_eq!(seqs.len(), 5);
    let after = app
        .get(&format!("/_mock/journal?after={}", seqs[2]))
        .await
        .ok();
    assert_eq!(after["entries"].as_array().map(Vec::len), Some(2));
    let before = app
        .get(&format!("/_mock/journal?before={}&limit=1", seqs[2]))
        .await
        .ok();
    assert_eq!(before["entries"][0]["seq"], seqs[1], "the newest before");
    let count = app
        .get(&format!("/_mock/journal:count?after={}", seqs[0]))
        .await
        .ok();
    assert_eq!(count["count"], 4);
    app.get("/_mock/journal?after=x")
        .await
        .expect_error(400, "INVALID_ARGUMENT");
}
