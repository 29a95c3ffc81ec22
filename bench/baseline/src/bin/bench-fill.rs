//! bench/run.sh's own client, for what wrk and h2load cannot do (loopback only, bounded in time):
//!
//! - `fill PORT KIND N CONNS TAG`: exactly N creates over CONNS keep-alive connections (gives up after 120 s);
//! - `run PORT KIND SECS CONNS TAG`: creates for SECS seconds (gRPC creates: h2load sends one fixed body, and a
//!   create needs a unique one);
//!   both print `OK ERR SECONDS P99_MS`. OK counts HTTP 2xx, or gRPC `grpc-status: 0`.
//! - `body OUT get-customer NAME | list-customers PARENT TOKEN | get-user ID`: one length-prefixed gRPC request
//!   message (for h2load's `-d`);
//! - `call PORT PATH BODYFILE`: one gRPC call over h2c; prints `GRPC_STATUS DATA_BYTES` (the response's DATA
//!   payload, prefix included);
//! - `list-probe PORT PARENT`: ListCustomers over gRPC; prints a customer's name and the next page token.
//!
//! KIND: `channel`, `scp`, `yandex`, `cisend` (REST, HTTP/1.1); `channel-grpc`, `yandex-grpc` (h2c, one stream in
//! flight per connection). Unique names per TAG and request; `cisend` sends to `bench{i}@altostrat.com`, the
//! consumer accounts of the fixtures run.sh generates.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use prost::Message;
use provmock_baseline::channel::{
    Address, Contact, CreateCustomerRequest, Customer, GetCustomerRequest, ListCustomersRequest,
    ListCustomersResponse,
};
use provmock_baseline::idp::{CreateUserRequest, GetUserRequest, Password};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LIMIT: Duration = Duration::from_secs(120);

struct Counts {
    next: AtomicU64,
    ok: AtomicU64,
    err: AtomicU64,
}

/// One HTTP/1.1 request/response exchange; the response's status, `Err` on a broken connection.
async fn exchange(s: &mut TcpStream, req: &[u8], buf: &mut Vec<u8>) -> std::io::Result<u16> {
    s.write_all(req).await?;
    buf.clear();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| std::io::Error::other("no content-length"))?;
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(status)
}

/// The REST request for create number `i`: path, extra headers, JSON body.
fn rest_request(kind: &str, tag: &str, i: u64) -> (String, &'static str, String) {
    match kind {
        "channel" => {
            let d = format!("{tag}n{i}.fill.example");
            (
                "/v1/accounts/C07654321/customers".into(),
                "",
                format!(
                    r#"{{"orgDisplayName":"Org {i}","orgPostalAddress":{{"regionCode":"US","postalCode":"94043","addressLines":["1 Main St"]}},"domain":"{d}","primaryContactInfo":{{"email":"a@{d}"}}}}"#
                ),
            )
        }
        "scp" => (
            "/v1/accounts".into(),
            "Scp-API-Version: cloudcontrol 1.2\r\n",
            format!(
                r#"{{"name":"{tag}n{i}","email":"{tag}n{i}@fill.example.com","landing_zone_id":"2c8a138f8d78e1fc29a449dbfa8681","parent_unit_id":"ou-b30e9fcc39f84a20bf9e7458e5ec3801"}}"#
            ),
        ),
        "yandex" => (
            "/organization-manager/v1/idp/users".into(),
            "",
            format!(
                r#"{{"userpoolId":"ek0provmockpool00001","username":"{tag}n{i}@provmock.idp.yandexcloud.net","fullName":"Ivan Petrov","passwordSpec":{{"password":"S3cret-Passw0rd!"}}}}"#
            ),
        ),
        "cisend" => (
            format!("/v1/customers/C00000000/userinvitations/bench{i}@altostrat.com:send"),
            "",
            String::new(),
        ),
        _ => unreachable!("checked in main"),
    }
}

/// gRPC create number `i`: method path and the framed request.
fn grpc_request(kind: &str, tag: &str, i: u64) -> (&'static str, Bytes) {
    match kind {
        "channel-grpc" => {
            let d = format!("{tag}n{i}.fill.example");
            let m = CreateCustomerRequest {
                parent: "accounts/C07654321".into(),
                customer: Some(Customer {
                    org_display_name: format!("Org {i}"),
                    org_postal_address: Some(Address {
                        region_code: "US".into(),
                        postal_code: "94043".into(),
                        address_lines: vec!["1 Main St".into()],
                    }),
                    primary_contact_info: Some(Contact {
                        email: format!("a@{d}"),
                        ..Contact::default()
                    }),
                    domain: d,
                    ..Customer::default()
                }),
            };
            (
                "/google.cloud.channel.v1.CloudChannelService/CreateCustomer",
                frame(&m),
            )
        }
        "yandex-grpc" => {
            let m = CreateUserRequest {
                userpool_id: "ek0provmockpool00001".into(),
                username: format!("{tag}n{i}@provmock.idp.yandexcloud.net"),
                full_name: "Ivan Petrov".into(),
                password_spec: Some(Password {
                    password: "S3cret-Passw0rd!".into(),
                }),
            };
            (
                "/yandex.cloud.organizationmanager.v1.idp.UserService/Create",
                frame(&m),
            )
        }
        _ => unreachable!("checked in main"),
    }
}

/// The gRPC length-prefixed message: flag 0 (uncompressed), big-endian length, the protobuf bytes.
fn frame<M: Message>(m: &M) -> Bytes {
    let body = m.encode_to_vec();
    let mut out = Vec::with_capacity(5 + body.len());
    out.push(0);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out.into()
}

type H2 = h2::client::SendRequest<Bytes>;

async fn h2_connect(port: u16) -> Result<H2, Box<dyn std::error::Error>> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    tcp.set_nodelay(true)?;
    let (client, conn) = h2::client::handshake(tcp).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// One unary gRPC call: its `grpc-status` (`u32::MAX` when missing) and the response's DATA payload.
async fn grpc_call(
    client: H2,
    port: u16,
    path: &str,
    body: Bytes,
) -> Result<(H2, u32, Vec<u8>), h2::Error> {
    let mut client = client.ready().await?;
    let req = http::Request::builder()
        .method("POST")
        .uri(format!("http://127.0.0.1:{port}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .expect("request");
    let (resp, mut send) = client.send_request(req, false)?;
    send.send_data(body, true)?;
    let (parts, mut recv) = resp.await?.into_parts();
    let mut data = Vec::new();
    while let Some(chunk) = recv.data().await {
        let chunk = chunk?;
        let _ = recv.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
    }
    let trailers = recv.trailers().await?;
    let status = trailers
        .as_ref()
        .and_then(|t| t.get("grpc-status"))
        .or_else(|| parts.headers.get("grpc-status"))
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(u32::MAX);
    let status = if parts.status.is_success() {
        status
    } else {
        u32::MAX
    };
    Ok((client, status, data))
}

enum Conn {
    None,
    Http1(TcpStream),
    H2(H2),
}

async fn worker(
    port: u16,
    kind: Arc<str>,
    total: u64,
    until: Instant,
    tag: Arc<str>,
    c: Arc<Counts>,
) -> Vec<u32> {
    let grpc = kind.ends_with("-grpc");
    let mut conn = Conn::None;
    let mut buf = Vec::with_capacity(16 * 1024);
    let mut lat = Vec::new();
    loop {
        let i = c.next.fetch_add(1, Ordering::Relaxed);
        if i >= total || Instant::now() >= until {
            return lat;
        }
        if matches!(conn, Conn::None) {
            conn = if grpc {
                h2_connect(port).await.map_or(Conn::None, Conn::H2)
            } else {
                TcpStream::connect(("127.0.0.1", port))
                    .await
                    .map_or(Conn::None, Conn::Http1)
            };
        }
        let t0 = Instant::now();
        let ok = match std::mem::replace(&mut conn, Conn::None) {
            Conn::Http1(mut s) => {
                let (path, headers, body) = rest_request(&kind, &tag, i);
                let req = format!(
                    "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                match exchange(&mut s, req.as_bytes(), &mut buf).await {
                    Ok(st) => {
                        conn = Conn::Http1(s);
                        (200..300).contains(&st)
                    }
                    Err(_) => false,
                }
            }
            Conn::H2(client) => {
                let (path, body) = grpc_request(&kind, &tag, i);
                match grpc_call(client, port, path, body).await {
                    Ok((client, status, _)) => {
                        conn = Conn::H2(client);
                        status == 0
                    }
                    Err(_) => false,
                }
            }
            Conn::None => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                false
            }
        };
        lat.push(t0.elapsed().as_micros().min(u32::MAX as u128) as u32);
        if ok { &c.ok } else { &c.err }.fetch_add(1, Ordering::Relaxed);
    }
}

async fn creates(a: &[String], exact: bool) {
    let port: u16 = a[0].parse().expect("PORT");
    let kind: Arc<str> = a[1].as_str().into();
    if ![
        "channel",
        "scp",
        "yandex",
        "cisend",
        "channel-grpc",
        "yandex-grpc",
    ]
    .contains(&&*kind)
    {
        eprintln!("bench-fill: unknown KIND {kind}");
        std::process::exit(2);
    }
    let n: u64 = a[2].parse().expect("N or SECS");
    let (total, secs) = if exact {
        (n, LIMIT)
    } else {
        (u64::MAX, Duration::from_secs(n).min(LIMIT))
    };
    let conns: usize = a[3].parse().expect("CONNS");
    let tag: Arc<str> = a[4].as_str().into();
    let c = Arc::new(Counts {
        next: AtomicU64::new(0),
        ok: AtomicU64::new(0),
        err: AtomicU64::new(0),
    });
    let t0 = Instant::now();
    let until = t0 + secs;
    let tasks: Vec<_> = (0..conns)
        .map(|_| {
            tokio::spawn(worker(
                port,
                kind.clone(),
                total,
                until,
                tag.clone(),
                c.clone(),
            ))
        })
        .collect();
    let mut lat = Vec::new();
    let all = async {
        for t in tasks {
            if let Ok(l) = t.await {
                lat.extend(l);
            }
        }
    };
    if tokio::time::timeout(secs + Duration::from_secs(5), all)
        .await
        .is_err()
    {
        eprintln!("bench-fill: gave up after {} s", secs.as_secs() + 5);
    }
    lat.sort_unstable();
    let p99 = lat
        .get(lat.len().saturating_sub(1) * 99 / 100)
        .copied()
        .unwrap_or(0);
    println!(
        "{} {} {:.3} {:.3}",
        c.ok.load(Ordering::Relaxed),
        c.err.load(Ordering::Relaxed),
        t0.elapsed().as_secs_f64(),
        f64::from(p99) / 1000.0
    );
}

fn usage() -> ! {
    eprintln!(
        "usage: bench-fill fill|run PORT KIND N|SECS CONNS TAG\n       bench-fill body OUT get-customer NAME | list-customers PARENT TOKEN | get-user ID\n       bench-fill call PORT PATH BODYFILE\n       bench-fill list-probe PORT PARENT"
    );
    std::process::exit(2);
}

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    match (a.first().map(String::as_str), a.len()) {
        (Some("fill"), 6) => creates(&a[1..], true).await,
        (Some("run"), 6) => creates(&a[1..], false).await,
        (Some("body"), 4..=5) => {
            let body = match (a[2].as_str(), &a[3..]) {
                ("get-customer", [name]) => frame(&GetCustomerRequest { name: name.clone() }),
                ("list-customers", [parent, token]) => frame(&ListCustomersRequest {
                    parent: parent.clone(),
                    page_size: 50,
                    page_token: token.clone(),
                }),
                ("get-user", [id]) => frame(&GetUserRequest {
                    user_id: id.clone(),
                }),
                _ => usage(),
            };
            std::fs::write(&a[1], &body).expect("write body");
        }
        (Some("call"), 4) => {
            let port: u16 = a[1].parse().expect("PORT");
            let body = std::fs::read(&a[3]).expect("BODYFILE");
            let call = async {
                grpc_call(h2_connect(port).await.ok()?, port, &a[2], body.into())
                    .await
                    .ok()
            };
            match tokio::time::timeout(Duration::from_secs(10), call)
                .await
                .ok()
                .flatten()
            {
                Some((_, status, data)) => println!("{status} {}", data.len()),
                None => {
                    eprintln!("bench-fill: the call failed");
                    std::process::exit(1);
                }
            }
        }
        (Some("list-probe"), 3) => {
            let port: u16 = a[1].parse().expect("PORT");
            let body = frame(&ListCustomersRequest {
                parent: a[2].clone(),
                page_size: 50,
                page_token: String::new(),
            });
            let call = async {
                grpc_call(
                    h2_connect(port).await.ok()?,
                    port,
                    "/google.cloud.channel.v1.CloudChannelService/ListCustomers",
                    body,
                )
                .await
                .ok()
            };
            let page = match tokio::time::timeout(Duration::from_secs(10), call)
                .await
                .ok()
                .flatten()
            {
                Some((_, 0, data)) if data.len() >= 5 => {
                    ListCustomersResponse::decode(&data[5..]).ok()
                }
                _ => None,
            };
            match page {
                Some(p) if !p.customers.is_empty() && !p.next_page_token.is_empty() => {
                    println!("{} {}", p.customers[0].name, p.next_page_token)
                }
                _ => {
                    eprintln!("bench-fill: ListCustomers gave no second page");
                    std::process::exit(1);
                }
            }
        }
        _ => usage(),
    }
}
