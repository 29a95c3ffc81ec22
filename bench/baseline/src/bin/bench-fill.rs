//! bench/run.sh's fill: exactly N creates (`POST` with a unique domain each) over C keep-alive HTTP/1.1 connections to
//! 127.0.0.1, then prints `OK ERR SECONDS`. Bounded: gives up after 120 s.
//!
//! Usage: bench-fill PORT PATH N CONNECTIONS TAG

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Counts {
    next: AtomicU64,
    ok: AtomicU64,
    err: AtomicU64,
}

/// One request/response exchange; the response's status, `Err` on a broken connection.
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

async fn worker(port: u16, path: Arc<str>, total: u64, tag: Arc<str>, c: Arc<Counts>) {
    let mut s = None;
    let mut buf = Vec::with_capacity(16 * 1024);
    loop {
        let i = c.next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            return;
        }
        let d = format!("{tag}n{i}.fill.example");
        let body = format!(
            r#"{{"orgDisplayName":"Org {i}","orgPostalAddress":{{"regionCode":"US","postalCode":"94043","addressLines":["1 Main St"]}},"domain":"{d}","primaryContactInfo":{{"email":"a@{d}"}}}}"#
        );
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if s.is_none() {
            s = TcpStream::connect(("127.0.0.1", port)).await.ok();
        }
        let ok = match s.as_mut() {
            Some(conn) => match exchange(conn, req.as_bytes(), &mut buf).await {
                Ok(st) => (200..300).contains(&st),
                Err(_) => {
                    s = None;
                    false
                }
            },
            None => false,
        };
        if ok { &c.ok } else { &c.err }.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 6 {
        eprintln!("usage: bench-fill PORT PATH N CONNECTIONS TAG");
        std::process::exit(2);
    }
    let port: u16 = a[1].parse().expect("PORT");
    let path: Arc<str> = a[2].as_str().into();
    let total: u64 = a[3].parse().expect("N");
    let conns: usize = a[4].parse().expect("CONNECTIONS");
    let tag: Arc<str> = a[5].as_str().into();
    let c = Arc::new(Counts { next: AtomicU64::new(0), ok: AtomicU64::new(0), err: AtomicU64::new(0) });
    let t0 = Instant::now();
    let tasks: Vec<_> =
        (0..conns).map(|_| tokio::spawn(worker(port, path.clone(), total, tag.clone(), c.clone()))).collect();
    let all = async {
        for t in tasks {
            let _ = t.await;
        }
    };
    if tokio::time::timeout(Duration::from_secs(120), all).await.is_err() {
        eprintln!("bench-fill: gave up after 120 s");
    }
    println!("{} {} {:.3}", c.ok.load(Ordering::Relaxed), c.err.load(Ordering::Relaxed), t0.elapsed().as_secs_f64());
}
