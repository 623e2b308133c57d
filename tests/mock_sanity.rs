//! Checks the mock HTTP server in `tests/common/mock.rs` with a raw
//! `std::net::TcpStream` client, so that later failures in the real client's
//! tests can be trusted to come from the client.

#[path = "common/mock.rs"]
mod mock;

use mock::{MockServer, Reply};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A parsed response: status, lower-cased headers, de-chunked body.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A raw HTTP/1.1 client connection that keeps leftover bytes between
/// responses.
struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn open(srv: &MockServer) -> Conn {
        let s = TcpStream::connect(srv.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Conn { s, buf: Vec::new() }
    }

    fn send(&mut self, raw: &str) {
        self.s.write_all(raw.as_bytes()).unwrap();
    }

    /// Reads until `buf` holds at least `n` bytes; false on EOF.
    fn fill_to(&mut self, n: usize) -> bool {
        let mut chunk = [0u8; 64 * 1024];
        while self.buf.len() < n {
            match self.s.read(&mut chunk) {
                Ok(0) => return false,
                Ok(k) => self.buf.extend_from_slice(&chunk[..k]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return false,
                Err(e) => panic!("read: {e}"),
            }
        }
        true
    }

    fn line(&mut self) -> String {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8(self.buf[..i].to_vec()).unwrap();
                self.buf.drain(..i + 2);
                return line;
            }
            let want = self.buf.len() + 1;
            assert!(self.fill_to(want), "connection closed mid-response");
        }
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        assert!(self.fill_to(n), "connection closed mid-body");
        self.buf.drain(..n).collect()
    }

    /// Reads one response (skipping `100 Continue`).
    fn recv(&mut self) -> Resp {
        loop {
            let status_line = self.line();
            let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
            let mut headers = Vec::new();
            loop {
                let l = self.line();
                if l.is_empty() {
                    break;
                }
                let (n, v) = l.split_once(':').unwrap();
                headers.push((n.to_ascii_lowercase(), v.trim().to_string()));
            }
            if status == 100 {
                continue;
            }
            let mut resp = Resp {
                status,
                headers,
                body: Vec::new(),
            };
            if resp.header("transfer-encoding") == Some("chunked") {
                loop {
                    let size = usize::from_str_radix(&self.line(), 16).unwrap();
                    let data = self.take(size);
                    resp.body.extend_from_slice(&data);
                    assert_eq!(self.line(), "");
                    if size == 0 {
                        break;
                    }
                }
            } else {
                let len: usize = resp.header("content-length").unwrap().parse().unwrap();
                resp.body = self.take(len);
            }
            return resp;
        }
    }

    /// True if the server closed the connection (EOF) with nothing more sent.
    fn closed(&mut self) -> bool {
        self.buf.is_empty() && !self.fill_to(1)
    }
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n")
}

fn post_form(path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// One request on a fresh connection.
fn once(srv: &MockServer, raw: &str) -> Resp {
    let mut c = Conn::open(srv);
    c.send(raw);
    c.recv()
}

#[test]
fn url_and_basic_reply() {
    let srv = MockServer::start();
    assert_eq!(
        srv.url("/token"),
        format!("http://127.0.0.1:{}/token", srv.addr().port())
    );
    assert_eq!(srv.url("token"), srv.url("/token"));

    srv.push(
        "/token",
        Reply::json(200, r#"{"access_token":"abc"}"#).header("X-Extra", "1"),
    );
    let r = once(&srv, &get("/token"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-extra"), Some("1"));
    assert_eq!(r.text(), r#"{"access_token":"abc"}"#);
}

#[test]
fn unscripted_path_is_json_404() {
    let srv = MockServer::start();
    let r = once(&srv, &get("/nowhere?x=1"));
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["error"], "not_found");
    assert_eq!(srv.count("/nowhere"), 1);
}

#[test]
fn records_requests_and_ignores_query_for_matching() {
    let srv = MockServer::start();
    srv.push("/authorize?ignored=1", Reply::text(200, "ok"));
    let r = once(
        &srv,
        "GET /authorize?client_id=my%20app&scope=openid+email HTTP/1.1\r\nHost: test\r\n\
         X-Mixed-Case:  v  \r\n\r\n",
    );
    assert_eq!(r.status, 200);
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    let q = &reqs[0];
    assert_eq!(q.method, "GET");
    assert_eq!(q.path, "/authorize");
    assert_eq!(q.query, "client_id=my%20app&scope=openid+email");
    assert_eq!(q.query_params()["client_id"], "my app");
    assert_eq!(q.query_params()["scope"], "openid email");
    assert!(q
        .headers
        .iter()
        .any(|(n, v)| n == "x-mixed-case" && v == "v"));
    assert_eq!(q.header("X-MIXED-CASE"), Some("v"));
    assert_eq!(q.header("absent"), None);
    assert!(q.body.is_empty());
    assert_eq!(srv.count("/authorize?other"), 1);
    assert_eq!(srv.requests_to("/authorize").len(), 1);
}

#[test]
fn form_body_is_decoded() {
    let srv = MockServer::start();
    srv.push("/token", Reply::json(200, "{}"));
    let body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code\
                &device_code=a+b%2Bc&empty=&flag&check=%E2%9C%93&bad=100%&dup=1&dup=2";
    let r = once(&srv, &post_form("/token", body));
    assert_eq!(r.status, 200);
    let q = &srv.requests()[0];
    assert_eq!(q.method, "POST");
    assert_eq!(q.text(), body);
    assert_eq!(
        q.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let f = q.form();
    assert_eq!(
        f["grant_type"],
        "urn:ietf:params:oauth:grant-type:device_code"
    );
    assert_eq!(f["device_code"], "a b+c");
    assert_eq!(f["empty"], "");
    assert_eq!(f["flag"], "");
    assert_eq!(f["check"], "\u{2713}");
    assert_eq!(f["bad"], "100%");
    assert_eq!(f["dup"], "2");
    assert_eq!(f.len(), 7);
}

#[test]
fn queue_order_then_repeat_last() {
    let srv = MockServer::start();
    srv.push(
        "/token",
        Reply::json(400, r#"{"error":"authorization_pending"}"#),
    );
    srv.push("/token", Reply::json(400, r#"{"error":"slow_down"}"#));
    srv.push("/token", Reply::json(200, r#"{"access_token":"t"}"#));
    srv.push("/other", Reply::text(201, "other"));

    let mut got = Vec::new();
    for _ in 0..5 {
        let r = once(&srv, &post_form("/token", "a=b"));
        got.push((r.status, r.text()));
    }
    assert_eq!(
        got[0],
        (400, r#"{"error":"authorization_pending"}"#.to_string())
    );
    assert_eq!(got[1], (400, r#"{"error":"slow_down"}"#.to_string()));
    for g in &got[2..] {
        assert_eq!(*g, (200, r#"{"access_token":"t"}"#.to_string()));
    }
    // Queues are per path.
    assert_eq!(once(&srv, &get("/other")).status, 201);
    assert_eq!(once(&srv, &get("/other")).status, 201);
    assert_eq!(srv.count("/token"), 5);
    assert_eq!(srv.count("/other"), 2);
    assert_eq!(srv.requests().len(), 7);
}

#[test]
fn keep_alive_pipelining_and_connection_close() {
    let srv = MockServer::start();
    srv.push("/a", Reply::text(200, "one"));
    srv.push("/a", Reply::text(200, "two"));
    srv.push("/b", Reply::json(200, "{}"));

    let mut c = Conn::open(&srv);
    c.send(&get("/a"));
    let r = c.recv();
    assert_eq!(
        (r.status, r.text().as_str(), r.header("connection")),
        (200, "one", None)
    );
    c.send(&post_form("/b", "x=1"));
    assert_eq!(c.recv().status, 200);
    // Two requests in one write (pipelined) get two responses, in order.
    c.send(&format!("{}{}", get("/a"), post_form("/b", "y=2")));
    assert_eq!(c.recv().text(), "two");
    assert_eq!(c.recv().text(), "{}");
    // `Connection: close` is honoured.
    c.send("GET /a HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    let r = c.recv();
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.closed());

    let paths: Vec<_> = srv.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/a", "/b", "/a", "/b", "/a"]);
    assert_eq!(srv.requests()[3].form()["y"], "2");

    // HTTP/1.0 without keep-alive closes too.
    let mut c = Conn::open(&srv);
    c.send("GET /a HTTP/1.0\r\n\r\n");
    assert_eq!(c.recv().header("connection"), Some("close"));
    assert!(c.closed());
}

#[test]
fn expect_continue_gets_100_first() {
    let srv = MockServer::start();
    srv.push("/token", Reply::json(200, "{}"));
    let mut c = Conn::open(&srv);
    c.send("POST /token HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
    assert_eq!(c.line(), "HTTP/1.1 100 Continue");
    assert_eq!(c.line(), "");
    c.send("a=b");
    assert_eq!(c.recv().status, 200);
    assert_eq!(srv.requests()[0].form()["a"], "b");
}

#[test]
fn delay_and_arrival_times() {
    let srv = MockServer::start();
    srv.push(
        "/slow",
        Reply::json(200, "{}").delay(Duration::from_millis(300)),
    );
    let t0 = Instant::now();
    let r = once(&srv, &get("/slow"));
    let took = t0.elapsed();
    assert_eq!(r.status, 200);
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");

    // Arrival instants let tests check polling gaps.
    srv.push("/poll", Reply::json(400, "{}"));
    once(&srv, &get("/poll"));
    std::thread::sleep(Duration::from_millis(200));
    once(&srv, &get("/poll"));
    let polls = srv.requests_to("/poll");
    let gap = polls[1].at - polls[0].at;
    assert!(
        gap >= Duration::from_millis(200) && gap < Duration::from_secs(2),
        "{gap:?}"
    );
    assert!(srv.requests()[0].at >= t0);
}

#[test]
fn close_without_answer() {
    let srv = MockServer::start();
    srv.push("/token", Reply::json(200, "{}").close());
    let mut c = Conn::open(&srv);
    c.send(&post_form("/token", "a=b"));
    assert!(c.closed());
    assert_eq!(srv.count("/token"), 1);
}

#[test]
fn hang_until_drop() {
    let srv = MockServer::start();
    srv.push("/token", Reply::json(200, "{}").hang());
    let mut c = Conn::open(&srv);
    c.s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    c.send(&post_form("/token", "a=b"));
    let mut byte = [0u8; 1];
    let e = c.s.read(&mut byte).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{e:?}"
    );
    assert_eq!(srv.count("/token"), 1);

    let t0 = Instant::now();
    drop(srv);
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "drop took {:?}",
        t0.elapsed()
    );
    c.s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert!(c.closed(), "hanging connection is closed at drop");
}

#[test]
fn drop_does_not_wait_for_delays_or_idle_connections() {
    let srv = MockServer::start();
    srv.push(
        "/slow",
        Reply::json(200, "{}").delay(Duration::from_secs(60)),
    );
    let mut slow = Conn::open(&srv);
    slow.send(&get("/slow"));
    let idle = Conn::open(&srv); // keep-alive connection with no request
    let mut used = Conn::open(&srv); // keep-alive connection after one request
    used.send(&get("/x"));
    assert_eq!(used.recv().status, 404);
    while srv.count("/slow") == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let t0 = Instant::now();
    drop(srv);
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "drop took {:?}",
        t0.elapsed()
    );
    assert!(slow.closed());
    assert!(used.closed());
    drop(idle);
}

#[test]
fn huge_body_streamed() {
    let srv = MockServer::start();
    let n = 5 * 1024 * 1024 + 7;
    srv.push("/big", Reply::json(200, r#"{"access_token":"t"}"#).huge(n));
    srv.push(
        "/bigchunked",
        Reply::json(200, "{}").huge(200_000).chunked(),
    );

    let mut c = Conn::open(&srv);
    c.send(&get("/big"));
    let r = c.recv();
    assert_eq!(r.header("content-length"), Some(n.to_string().as_str()));
    assert_eq!(r.body.len(), n);
    assert!(r.body.starts_with(br#"{"access_token":"t"}"#));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["access_token"], "t");

    // Same connection still usable; chunked variant has no Content-Length.
    c.send(&get("/bigchunked"));
    let r = c.recv();
    assert_eq!(r.header("content-length"), None);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.body.len(), 200_000);

    // A client that stops reading a huge body does not keep drop waiting.
    let mut stuck = Conn::open(&srv);
    stuck.send(&get("/big"));
    assert!(stuck.fill_to(1));
    let t0 = Instant::now();
    drop(srv);
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "drop took {:?}",
        t0.elapsed()
    );
}

#[test]
fn redirect_html_form_and_header_override() {
    let srv = MockServer::start();
    srv.push("/old", Reply::redirect(302, "/new"));
    srv.push("/page", Reply::html(200, "<html>login</html>"));
    srv.push(
        "/legacy",
        Reply::form(200, "access_token=t&token_type=bearer"),
    );
    srv.push(
        "/typed",
        Reply::json(200, "{}").header("content-type", "text/plain"),
    );
    srv.push(
        "/liar",
        Reply::json(200, "{}")
            .header("Content-Length", "100")
            .header("Connection", "close"),
    );

    let r = once(&srv, &get("/old"));
    assert_eq!((r.status, r.header("location")), (302, Some("/new")));
    assert!(r.body.is_empty());

    let r = once(&srv, &get("/page"));
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(r.text(), "<html>login</html>");

    let r = once(&srv, &get("/legacy"));
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );

    let r = once(&srv, &get("/typed"));
    let types: Vec<_> = r
        .headers
        .iter()
        .filter(|(n, _)| n == "content-type")
        .collect();
    assert_eq!(types.len(), 1);
    assert_eq!(types[0].1, "text/plain");

    // A lying Content-Length: the body is cut short by the close.
    let mut c = Conn::open(&srv);
    c.send(&get("/liar"));
    let status = c.line();
    assert!(status.starts_with("HTTP/1.1 200"));
    loop {
        if c.line().is_empty() {
            break;
        }
    }
    assert!(!c.fill_to(100));
    assert_eq!(c.buf, b"{}");
}

#[test]
fn malformed_requests_get_errors() {
    let srv = MockServer::start();
    let r = once(&srv, "NONSENSE\r\n\r\n");
    assert_eq!(r.status, 400);
    let r = once(
        &srv,
        "POST /t HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert_eq!(r.status, 501);
    assert!(srv.requests().is_empty());
}

#[test]
fn head_has_no_body() {
    let srv = MockServer::start();
    srv.push("/d", Reply::json(200, r#"{"k":1}"#));
    let mut c = Conn::open(&srv);
    c.send("HEAD /d HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = c.line();
    assert!(head.starts_with("HTTP/1.1 200"));
    let mut saw_len = false;
    loop {
        let l = c.line();
        if l.is_empty() {
            break;
        }
        saw_len |= l.eq_ignore_ascii_case("content-length: 7");
    }
    assert!(saw_len);
    // Next request on the same connection is answered right after.
    c.send(&get("/d"));
    assert_eq!(c.recv().text(), r#"{"k":1}"#);
}
