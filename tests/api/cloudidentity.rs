//! Cloud Identity user invitations over REST: list (filter, orderBy, paging), get, isInvitableUser, send, cancel,
//! the end user's accept/decline through the control plane, `my_customer`, strict auth and concurrency.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::{R1, TestApp, spawn_app, spawn_strict};

const BASE: &str = "/v1/customers/C00000000/userinvitations";

fn emails(list: &Value) -> Vec<String> {
    list["userInvitations"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["name"].as_str())
                .map(|n| n.rsplit('/').next().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn send(app: &TestApp, email: &str) -> Value {
    app.post(&format!("{BASE}/{email}:send"), json!({}))
        .await
        .ok()
}

#[tokio::test]
async fn list_shows_unmanaged_accounts_of_verified_domains_as_not_yet_sent() {
    let app = spawn_app().await;
    let list = app.get(BASE).await.ok();
    let got = emails(&list);
    assert!(got.contains(&"writer@altostrat.com".to_string()), "{list}");
    assert!(
        got.contains(&"sam+news@altostrat.com".to_string()),
        "{list}"
    );
    assert!(!got.iter().any(|e| e == "managed@altostrat.com"), "{list}");
    assert!(got.iter().all(|e| e.ends_with("@altostrat.com")), "{list}");
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(got, sorted, "default order is email asc");
    let first = &list["userInvitations"][0];
    assert_eq!(first["state"], "NOT_YET_SENT");
    assert_eq!(first["mailsSentCount"], "0");
    assert!(
        first["updateTime"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert!(list.get("nextPageToken").is_none(), "{list}");
}

#[tokio::test]
async fn get_renders_the_documented_json() {
    let app = spawn_app().await;
    let inv = app.get(&format!("{BASE}/writer@altostrat.com")).await.ok();
    assert_eq!(
        inv,
        json!({"name": "customers/C00000000/userinvitations/writer@altostrat.com",
               "state": "NOT_YET_SENT", "updateTime": "2026-01-02T00:00:00Z", "mailsSentCount": "0"})
    );
    // The same under v1beta1.
    let beta = app
        .get("/v1beta1/customers/C00000000/userinvitations/writer@altostrat.com")
        .await
        .ok();
    assert_eq!(beta["name"], inv["name"]);
}

#[tokio::test]
async fn the_guide_sample_list_request_works_verbatim() {
    let app = spawn_app().await;
    send(&app, "bob@altostrat.com").await;
    send(&app, "carol@altostrat.com").await;
    app.post(
        "/_mock/invitations/customers/C00000000/userinvitations/carol@altostrat.com:accept",
        json!({}),
    )
    .await
    .ok();
    let list = app
        .get("/v1/customers/C00000000/userinvitations?filter=state!='accepted'&orderBy='updateTime desc'")
        .await
        .ok();
    let got = emails(&list);
    assert!(!got.contains(&"carol@altostrat.com".to_string()), "{list}");
    // bob was just sent: the newest update time comes first.
    assert_eq!(got.first().map(String::as_str), Some("bob@altostrat.com"));
    let times: Vec<&str> = list["userInvitations"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["updateTime"].as_str()).collect())
        .unwrap_or_default();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "{list}");
}

#[tokio::test]
async fn filter_with_or_and_order_by_email_desc() {
    let app = spawn_app().await;
    send(&app, "alice@altostrat.com").await;
    send(&app, "dave@altostrat.com").await;
    app.post(
        "/_mock/invitations/customers/C00000000/userinvitations/dave@altostrat.com:decline",
        json!({}),
    )
    .await
    .ok();
    let list = app
        .get(&format!(
            "{BASE}?filter=state%3D%3D'invited'%7C%7Cstate%3D%3D'declined'&orderBy=email+desc"
        ))
        .await
        .ok();
    assert_eq!(
        emails(&list),
        ["dave@altostrat.com", "alice@altostrat.com"],
        "{list}"
    );
    let list = app
        .get(&format!("{BASE}?filter=state=='accepted'"))
        .await
        .ok();
    assert_eq!(list, json!({}), "empty lists are {{}}");
}

#[tokio::test]
async fn bad_filter_and_order_are_invalid_argument_with_position() {
    let app = spawn_app().await;
    let r = app.get(&format!("{BASE}?filter=state=='INVITED'")).await;
    r.expect_error(400, "INVALID_ARGUMENT");
    assert!(r.error_message().contains("position 9"), "{}", r.body);
    let r = app.get(&format!("{BASE}?filter=status=='invited'")).await;
    r.expect_error(400, "INVALID_ARGUMENT");
    assert!(r.error_message().contains("position 1"), "{}", r.body);
    app.get(&format!("{BASE}?orderBy=email,update_time"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    app.get(&format!("{BASE}?orderBy=name"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    app.get(&format!("{BASE}?colour=red"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    app.get(&format!("{BASE}?pageSize=-1"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn paging_walks_every_invitation_once_and_tokens_are_bound() {
    let app = spawn_app().await;
    let all = emails(&app.get(BASE).await.ok());
    assert!(all.len() >= 5, "{all:?}");
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let mut url = format!("{BASE}?pageSize=2&orderBy=updateTime");
        if !token.is_empty() {
            url.push_str(&format!("&pageToken={token}"));
        }
        let page = app.get(&url).await.ok();
        let got = emails(&page);
        assert!(got.len() <= 2, "{page}");
        seen.extend(got);
        pages += 1;
        match page["nextPageToken"].as_str() {
            Some(t) if !t.is_empty() => token = t.to_string(),
            _ => break,
        }
        assert!(pages < 20, "paging does not end");
    }
    assert!(pages >= 3, "{pages}");
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), all.len(), "{seen:?}");
    assert_eq!(seen.len(), all.len(), "{seen:?}");
    // update_time asc: fixture accounts were created a day apart, writer first.
    assert_eq!(seen[0], "writer@altostrat.com");

    // A token is bound to its filter and order.
    let first = app.get(&format!("{BASE}?pageSize=2")).await.ok();
    let t = first["nextPageToken"].as_str().expect("token").to_string();
    app.get(&format!(
        "{BASE}?pageSize=2&orderBy=email%20desc&pageToken={t}"
    ))
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    app.get(&format!("{BASE}?pageToken=garbage"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    // A page size above the maximum is clamped, not refused.
    let big = app.get(&format!("{BASE}?pageSize=100000")).await.ok();
    assert_eq!(emails(&big).len(), all.len());
}

#[tokio::test]
async fn emails_with_plus_and_percent_encoding_are_one_invitation() {
    let app = spawn_app().await;
    let a = app
        .get(&format!("{BASE}/sam+news@altostrat.com"))
        .await
        .ok();
    assert_eq!(
        a["name"],
        "customers/C00000000/userinvitations/sam+news@altostrat.com"
    );
    let b = app
        .get(&format!("{BASE}/sam+news%40altostrat.com"))
        .await
        .ok();
    assert_eq!(a, b);
    let op = app
        .post(
            &format!("{BASE}/sam%2Bnews%40altostrat.com:send"),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(op["response"]["name"], a["name"], "{op}");
    let c = app
        .get(&format!("{BASE}/sam+news@altostrat.com"))
        .await
        .ok();
    assert_eq!(c["state"], "INVITED");
    // A space is not an email address.
    app.get(&format!("{BASE}/sam%20news@altostrat.com"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn send_creates_the_invitation_and_records_the_mail() {
    let app = spawn_app().await;
    let op = send(&app, "writer@altostrat.com").await;
    assert!(
        op["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("operations/")),
        "{op}"
    );
    assert_eq!(op["done"], true);
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.apps.cloudidentity.userinvitations.v1.UserInvitation"
    );
    assert_eq!(op["response"]["state"], "INVITED");
    assert_eq!(op["response"]["mailsSentCount"], "1");
    // Re-send from INVITED bumps the count; an empty body works too.
    let resp = app
        .raw("POST", &format!("{BASE}/writer@altostrat.com:send"), vec![])
        .await
        .ok();
    assert_eq!(resp["response"]["mailsSentCount"], "2");
    let mail = app.get("/_mock/mail").await.ok();
    let mail = mail["mail"].as_array().cloned().unwrap_or_default();
    assert_eq!(mail.len(), 2, "{mail:?}");
    assert_eq!(mail[1]["to"], "writer@altostrat.com");
    assert_eq!(mail[1]["customer"], "C00000000");
    assert_eq!(mail[1]["count"], 2);
    assert!(mail[1]["time"].is_string());
    // An unknown field in the body is refused.
    app.post(
        &format!("{BASE}/writer@altostrat.com:send"),
        json!({"colour": "red"}),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    // send is POST only.
    assert_eq!(
        app.get(&format!("{BASE}/writer@altostrat.com:send"))
            .await
            .status,
        405
    );
}

#[tokio::test]
async fn state_transitions_follow_the_rules() {
    let app = spawn_app().await;
    let e = "alice@altostrat.com";
    // cancel before sending
    let r = app.post(&format!("{BASE}/{e}:cancel"), json!({})).await;
    r.expect_error(400, "FAILED_PRECONDITION");
    assert!(r.error_message().contains("NOT_YET_SENT"), "{}", r.body);
    send(&app, e).await;
    let op = app
        .post(&format!("{BASE}/{e}:cancel"), json!({}))
        .await
        .ok();
    assert_eq!(op["response"]["state"], "NOT_YET_SENT");
    send(&app, e).await;
    // decline, then cancel is refused, send again works
    let declined = app
        .post(
            &format!("/_mock/invitations/customers/C00000000/userinvitations/{e}:decline"),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(declined["state"], "DECLINED");
    let r = app.post(&format!("{BASE}/{e}:cancel"), json!({})).await;
    r.expect_error(400, "FAILED_PRECONDITION");
    assert!(r.error_message().contains("DECLINED"), "{}", r.body);
    let op = send(&app, e).await;
    assert_eq!(op["response"]["state"], "INVITED");
    assert_eq!(op["response"]["mailsSentCount"], "3");
    // accept: the account becomes managed
    let accepted = app
        .post(
            &format!("/_mock/invitations/customers/C00000000/userinvitations/{e}:accept"),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(accepted["state"], "ACCEPTED");
    for verb in ["send", "cancel"] {
        let r = app.post(&format!("{BASE}/{e}:{verb}"), json!({})).await;
        r.expect_error(400, "FAILED_PRECONDITION");
        assert!(r.error_message().contains("ACCEPTED"), "{}", r.body);
    }
    let inv = app.get(&format!("{BASE}/{e}")).await.ok();
    assert_eq!(inv["state"], "ACCEPTED");
    let yes = app.get(&format!("{BASE}/{e}:isInvitableUser")).await.ok();
    assert_eq!(yes, json!({"isInvitableUser": false}));
    // accept/decline only from INVITED
    app.post(
        &format!("/_mock/invitations/customers/C00000000/userinvitations/{e}:decline"),
        json!({}),
    )
    .await
    .expect_error(400, "FAILED_PRECONDITION");
    app.post(
        "/_mock/invitations/customers/C00000000/userinvitations/bob@altostrat.com:accept",
        json!({}),
    )
    .await
    .expect_error(400, "FAILED_PRECONDITION");
    // The state export carries the records.
    let state = app.get("/_mock/state").await.ok();
    assert!(
        state["google"]["user_invitations"]
            .as_array()
            .is_some_and(|a| a
                .iter()
                .any(|i| i["email"] == e && i["state"] == "ACCEPTED")),
        "{}",
        state["google"]
    );
}

#[tokio::test]
async fn unknown_and_malformed_names() {
    let app = spawn_app().await;
    for email in [
        "nobody@altostrat.com",
        "jo@example.com",
        "managed@altostrat.com",
    ] {
        app.get(&format!("{BASE}/{email}"))
            .await
            .expect_error(404, "NOT_FOUND");
        app.post(&format!("{BASE}/{email}:send"), json!({}))
            .await
            .expect_error(404, "NOT_FOUND");
    }
    app.post(&format!("{BASE}/nobody@altostrat.com:cancel"), json!({}))
        .await
        .expect_error(404, "NOT_FOUND");
    app.get(&format!("{BASE}/not-an-email"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    app.get("/v1/customers/bad-id/userinvitations")
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    let r = app
        .post(
            &format!("{BASE}/writer@altostrat.com:frobnicate"),
            json!({}),
        )
        .await;
    r.expect_error(404, "NOT_FOUND");
    assert_eq!(
        r.body["error"]["details"][0]["domain"],
        "cloudidentity.googleapis.com"
    );
}

#[tokio::test]
async fn is_invitable_user_is_true_only_for_unmanaged_accounts_of_the_customer() {
    let app = spawn_app().await;
    let ask = |e: &str| format!("{BASE}/{e}:isInvitableUser");
    assert_eq!(
        app.get(&ask("writer@altostrat.com")).await.ok(),
        json!({"isInvitableUser": true})
    );
    for e in [
        "managed@altostrat.com",
        "nobody@altostrat.com",
        "jo@example.com",
        "lee@gmail.com",
    ] {
        assert_eq!(
            app.get(&ask(e)).await.ok(),
            json!({"isInvitableUser": false}),
            "{e}"
        );
    }
    app.get(&ask("nope"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn control_plane_adds_consumer_accounts() {
    let app = spawn_app().await;
    let a = app
        .post(
            "/_mock/google/consumer-accounts",
            json!({"email": "New.Person@altostrat.com"}),
        )
        .await
        .ok();
    assert_eq!(a["email"], "new.person@altostrat.com");
    app.post(
        "/_mock/google/consumer-accounts",
        json!({"email": "new.person@altostrat.com"}),
    )
    .await
    .expect_error(409, "ALREADY_EXISTS");
    app.post("/_mock/google/consumer-accounts", json!({"email": "bad"}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    app.post(
        "/_mock/google/consumer-accounts",
        json!({"mail": "x@y.com"}),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    let inv = app
        .get(&format!("{BASE}/new.person@altostrat.com"))
        .await
        .ok();
    assert_eq!(inv["state"], "NOT_YET_SENT");
    // reset forgets it
    app.post("/_mock/reset", json!({})).await.ok();
    app.get(&format!("{BASE}/new.person@altostrat.com"))
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn a_provisioned_cloud_identity_gets_its_own_invitations() {
    let app = spawn_app().await;
    app.post(
        "/_mock/google/consumer-accounts",
        json!({"email": "pat@newco.com"}),
    )
    .await
    .ok();
    let c = app.create_customer(R1, "newco.com").await;
    let name = c["name"].as_str().expect("name");
    let body = json!({"cloudIdentityInfo": {"customerType": "DOMAIN", "alternateEmail": "it@other.org"},
                      "user": {"email": "boss@newco.com", "givenName": "B", "familyName": "Oss"}});
    let op = app
        .post(&format!("/v1/{name}:provisionCloudIdentity"), body)
        .await
        .ok();
    let done = app
        .wait_operation(op["name"].as_str().expect("op name"))
        .await;
    let ci = done["response"]["cloudIdentityId"]
        .as_str()
        .expect("cloud identity id");
    let list = app
        .get(&format!("/v1/customers/{ci}/userinvitations"))
        .await
        .ok();
    assert_eq!(emails(&list), ["pat@newco.com"], "{list}");
}

#[tokio::test]
async fn my_customer_is_the_default_customer_in_permissive_mode() {
    let app = spawn_app().await;
    let a = app.get(BASE).await.ok();
    let b = app
        .get("/v1/customers/my_customer/userinvitations")
        .await
        .ok();
    assert_eq!(a, b);
    let op = app
        .post(
            "/v1/customers/my_customer/userinvitations/erin@altostrat.com:send",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        op["response"]["name"],
        "customers/C00000000/userinvitations/erin@altostrat.com"
    );
}

#[tokio::test]
async fn strict_auth_checks_the_caller_and_its_customer() {
    let app = spawn_strict().await;
    let r = app.call("GET", BASE, None, None).await;
    r.expect_error(401, "UNAUTHENTICATED");
    app.call("GET", BASE, None, Some("who-knows"))
        .await
        .expect_error(401, "UNAUTHENTICATED");
    // The customer's own admin.
    let own = app
        .call("GET", BASE, None, Some("altostrat-admin-token"))
        .await
        .ok();
    assert!(emails(&own).contains(&"writer@altostrat.com".to_string()));
    let mine = app
        .call(
            "GET",
            "/v1/customers/my_customer/userinvitations",
            None,
            Some("altostrat-admin-token"),
        )
        .await
        .ok();
    assert_eq!(own, mine);
    app.call(
        "POST",
        &format!("{BASE}/writer@altostrat.com:send"),
        Some(json!({})),
        Some("altostrat-admin-token"),
    )
    .await
    .ok();
    // Another reseller's principal may not manage it, and has no my_customer.
    app.call("GET", BASE, None, Some("reseller-two-token"))
        .await
        .expect_error(403, "PERMISSION_DENIED");
    app.call(
        "POST",
        &format!("{BASE}/writer@altostrat.com:send"),
        Some(json!({})),
        Some("reseller-two-token"),
    )
    .await
    .expect_error(403, "PERMISSION_DENIED");
    app.call(
        "GET",
        "/v1/customers/my_customer/userinvitations",
        None,
        Some("reseller-two-token"),
    )
    .await
    .expect_error(403, "PERMISSION_DENIED");
    // The admin of altostrat may not manage example.com.
    app.call(
        "GET",
        "/v1/customers/C0EXAMPL1/userinvitations",
        None,
        Some("altostrat-admin-token"),
    )
    .await
    .expect_error(403, "PERMISSION_DENIED");
}

#[tokio::test]
async fn parallel_sends_of_one_invitation_count_every_mail() {
    let app = spawn_app().await;
    let url = app.url(&format!("{BASE}/bob@altostrat.com:send"));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let http = app.http.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .json(&json!({}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    for t in tasks {
        let status = t.await.expect("task").expect("sent");
        assert_eq!(status, 200);
    }
    let inv = app.get(&format!("{BASE}/bob@altostrat.com")).await.ok();
    assert_eq!(inv["mailsSentCount"], "20");
    assert_eq!(inv["state"], "INVITED");
    let list = app
        .get(&format!("{BASE}?filter=state=='invited'"))
        .await
        .ok();
    assert_eq!(emails(&list), ["bob@altostrat.com"]);
    let mail = app.get("/_mock/mail").await.ok();
    assert_eq!(mail["mail"].as_array().map(Vec::len), Some(20));
}

#[tokio::test]
async fn numeric_enums_on_request() {
    let app = spawn_app().await;
    let inv = app
        .get(&format!(
            "{BASE}/writer@altostrat.com?%24alt=json%3Benum-encoding%3Dint"
        ))
        .await
        .ok();
    assert_eq!(inv["state"], 1, "{inv}");
}
