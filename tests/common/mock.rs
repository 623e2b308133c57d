//! A scripted, fault-injecting HTTP/1.1 server for integration tests.
//!
//! It stands in for an OAuth2 token endpoint, a device-authorization endpoint
//! or a discovery document, where a real server cannot be made to misbehave on
//! demand. Only `std` and `serde_json` are used.
//!
//! ```ignore
//! let srv = MockServer::start();
//! srv.push("/token", Reply::json(400, r#"{"error":"authorization_pending"}"#));
//! srv.push("/token", Reply::json(200, r#"{"access_token":"t","token_type":"Bearer"}"#));
//! // ... point the client at srv.url("/token") ...
//! assert_eq!(srv.count("/token"), 2);
//! assert_eq!(srv.requests()[0].form()["grant_type"], "urn:ietf:params:oauth:grant-type:device_code");
//! ```
//!
//! * Replies are queued per path (the query string is ignored) and served in
//!   order; the last one left in a queue is repeated forever. A path with no
//!   reply scripted answers `404` with a JSON body.
//! * Every connection is served on its own thread, with keep-alive,
//!   pipelining, `Connection: close`, `Content-Length` request bodies and
//!   `Expect: 100-continue`. Chunked request bodies are refused with `501`.
//! * Dropping the [`MockServer`] stops and joins every thread it started,
//!   including ones that are delaying, hanging or streaming a huge body, and
//!   closes every connection.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How often blocked socket reads and writes look at the shutdown flag.
const POLL: Duration = Duration::from_millis(20);
/// Largest request head (request line plus headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Piece size used when streaming a padded (`huge`) body.
const PIECE: usize = 64 * 1024;

// ---------------------------------------------------------------------------
// Reply
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    /// Send the response.
    Answer,
    /// Read the request, then send nothing until the server is dropped.
    Hang,
    /// Read the request, then close the connection without a response.
    Close,
}

/// One scripted response.
#[derive(Clone, Debug)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Duration,
    action: Action,
    /// `Some(n)`: the body sent is exactly `n` bytes, streamed.
    size: Option<usize>,
    chunked: bool,
}

impl Reply {
    /// A response with this status, no headers (beyond the framing ones the
    /// server adds) and an empty body.
    pub fn new(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
            action: Action::Answer,
            size: None,
            chunked: false,
        }
    }

    /// `Content-Type: application/json`.
    pub fn json(status: u16, body: &str) -> Reply {
        Reply::new(status)
            .header("Content-Type", "application/json")
            .body(body)
    }

    /// `Content-Type: application/x-www-form-urlencoded` (as some old token
    /// endpoints answer).
    pub fn form(status: u16, body: &str) -> Reply {
        Reply::new(status)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
    }

    /// `Content-Type: text/html; charset=utf-8` (a login page or proxy error
    /// page where JSON was expected).
    pub fn html(status: u16, body: &str) -> Reply {
        Reply::new(status)
            .header("Content-Type", "text/html; charset=utf-8")
            .body(body)
    }

    /// `Content-Type: text/plain; charset=utf-8`.
    pub fn text(status: u16, body: &str) -> Reply {
        Reply::new(status)
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(body)
    }

    /// A redirect (`301`, `302`, `303`, `307`, `308`) to `location`, with an
    /// empty body.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::new(status).header("Location", location)
    }

    /// Replaces the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    /// Sets a header, replacing any header of the same name (compared
    /// case-insensitively), so `Reply::json(..).header("content-type", ..)`
    /// overrides the content type.
    ///
    /// The server adds `Content-Length` (or `Transfer-Encoding: chunked`) and,
    /// when it is about to close the connection, `Connection: close`, unless a
    /// header of that name was set here. So a wrong `Content-Length` can be
    /// scripted; add `Connection: close` with it to keep the connection from
    /// being reused after the garbled response.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Waits this long after the request was read before acting (answering,
    /// hanging or closing). Cut short when the server is dropped.
    pub fn delay(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }

    /// Reads the request and never answers; the connection stays open until
    /// the server is dropped. For total-timeout tests.
    pub fn hang(mut self) -> Reply {
        self.action = Action::Hang;
        self
    }

    /// Reads the request and closes the connection without answering (the
    /// client sees a transport error).
    pub fn close(mut self) -> Reply {
        self.action = Action::Close;
        self
    }

    /// Makes the body exactly `n_bytes` long: the scripted body (cut short if
    /// it is longer) followed by ASCII spaces, streamed in pieces rather than
    /// held in memory. A JSON body stays valid JSON, so only a client size
    /// limit makes it fail. `Content-Length` announces the full size unless
    /// [`Reply::chunked`] is used too.
    pub fn huge(mut self, n_bytes: usize) -> Reply {
        self.size = Some(n_bytes);
        self
    }

    /// Sends the body with `Transfer-Encoding: chunked` instead of
    /// `Content-Length`, so the client cannot know its size up front.
    pub fn chunked(mut self) -> Reply {
        self.chunked = true;
        self
    }

    fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    fn body_len(&self) -> usize {
        self.size.unwrap_or(self.body.len())
    }

    /// Whether the scripted headers ask for the connection to be closed.
    fn asks_close(&self) -> bool {
        self.headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("connection") && has_token(v, "close"))
    }
}

// ---------------------------------------------------------------------------
// Recorded
// ---------------------------------------------------------------------------

/// A request the server received.
#[derive(Clone)]
pub struct Recorded {
    pub method: String,
    /// Path without the query string, e.g. `/token`.
    pub path: String,
    /// Raw query string without the `?`; empty when there was none.
    pub query: String,
    /// Header names lower-cased, values trimmed, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the request head had been read in full.
    pub at: Instant,
}

impl Recorded {
    /// The first header of this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body decoded as `application/x-www-form-urlencoded` (`+` is a
    /// space, `%XX` a byte). A repeated name keeps its last value.
    pub fn form(&self) -> HashMap<String, String> {
        decode_form(&String::from_utf8_lossy(&self.body))
    }

    /// The query string decoded like [`Recorded::form`].
    pub fn query_params(&self) -> HashMap<String, String> {
        decode_form(&self.query)
    }
}

impl fmt::Debug for Recorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorded")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &self.headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .field("at", &self.at)
            .finish()
    }
}

/// Decodes `application/x-www-form-urlencoded` text into a map.
pub fn decode_form(s: &str) -> HashMap<String, String> {
    s.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// `+` becomes a space, `%XX` the byte XX; a `%` not followed by two hex
/// digits is kept as it is. Invalid UTF-8 is replaced.
fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------
// MockServer
// ---------------------------------------------------------------------------

/// A mock HTTP/1.1 server on `127.0.0.1`, serving scripted replies on
/// background threads until it is dropped.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    stop: AtomicBool,
    /// Paired with `wake` so that delays and hangs end as soon as the server
    /// is dropped.
    stop_lock: Mutex<()>,
    wake: Condvar,
    routes: Mutex<HashMap<String, VecDeque<Reply>>>,
    log: Mutex<Vec<Recorded>>,
    conns: Mutex<Vec<JoinHandle<()>>>,
}

/// Locks, ignoring poisoning: a panicking test must not turn `Drop` into a
/// second panic.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Sleeps for `d` (forever for `None`) or until the server stops.
    /// Returns `false` if the server stopped.
    fn wait(&self, d: Option<Duration>) -> bool {
        let deadline = d.and_then(|d| Instant::now().checked_add(d));
        let mut guard = lock(&self.stop_lock);
        loop {
            if self.stopped() {
                return false;
            }
            match deadline {
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return true;
                    }
                    guard = self
                        .wake
                        .wait_timeout(guard, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                // No deadline, or one too far off for `Instant`: forever.
                None => {
                    guard = self.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
                }
            }
        }
    }

    fn next_reply(&self, path: &str) -> Reply {
        let mut routes = lock(&self.routes);
        match routes.get_mut(path) {
            Some(queue) if queue.len() > 1 => queue.pop_front().unwrap(),
            Some(queue) if queue.len() == 1 => queue[0].clone(),
            _ => {
                let body = serde_json::json!({
                    "error": "not_found",
                    "error_description": format!("mock server: no reply scripted for {path}"),
                });
                Reply::json(404, &body.to_string())
            }
        }
    }
}

impl MockServer {
    /// Binds `127.0.0.1` on a free port and starts serving.
    pub fn start() -> MockServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("mock server: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("mock server: local_addr");
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            stop_lock: Mutex::new(()),
            wake: Condvar::new(),
            routes: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
            conns: Mutex::new(Vec::new()),
        });
        let sh = Arc::clone(&shared);
        let acceptor = thread::Builder::new()
            .name(format!("mock-accept-{}", addr.port()))
            .spawn(move || accept_loop(listener, sh))
            .expect("mock server: spawn accept thread");
        MockServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by `path` (a leading `/` is added if
    /// missing). The path may carry a query string.
    pub fn url(&self, path: &str) -> String {
        let sep = if path.starts_with('/') { "" } else { "/" };
        format!("http://{}{}{}", self.addr, sep, path)
    }

    /// Queues `reply` for `path` (any query string on `path` is ignored).
    /// Replies are served in the order pushed; the last one left is repeated
    /// for every later request.
    pub fn push(&self, path: &str, reply: Reply) {
        let key = split_target(path).0;
        lock(&self.shared.routes)
            .entry(key)
            .or_default()
            .push_back(reply);
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.log).clone()
    }

    /// The requests received for `path` (query string ignored), in order.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        let key = split_target(path).0;
        lock(&self.shared.log)
            .iter()
            .filter(|r| r.path == key)
            .cloned()
            .collect()
    }

    /// How many requests were received for `path` (query string ignored).
    pub fn count(&self, path: &str) -> usize {
        let key = split_target(path).0;
        lock(&self.shared.log)
            .iter()
            .filter(|r| r.path == key)
            .count()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        {
            let _guard = lock(&self.shared.stop_lock);
            self.shared.stop.store(true, Ordering::SeqCst);
            self.shared.wake.notify_all();
        }
        // Wake the blocking accept() with a connection of our own.
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)).is_ok();
        if let Some(acceptor) = self.acceptor.take() {
            if woke {
                let _ = acceptor.join();
            }
        }
        // Connection threads notice the flag within `POLL`.
        let conns = std::mem::take(&mut *lock(&self.shared.conns));
        for conn in conns {
            let _ = conn.join();
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stopped() {
            break;
        }
        let stream = match conn {
            Ok(stream) => stream,
            Err(_) => {
                // E.g. out of file descriptors: back off and retry.
                thread::sleep(Duration::from_millis(5));
                continue;
            }
        };
        let sh = Arc::clone(&shared);
        let spawned = thread::Builder::new()
            .name("mock-conn".into())
            .spawn(move || serve_connection(stream, sh));
        if let Ok(handle) = spawned {
            let mut conns = lock(&shared.conns);
            conns.retain(|h| !h.is_finished());
            conns.push(handle);
        }
    }
}

// ---------------------------------------------------------------------------
// One connection
// ---------------------------------------------------------------------------

struct Incoming {
    rec: Recorded,
    keep_alive: bool,
}

enum ReadError {
    /// Peer closed, socket error, or server stopping: just close.
    Gone,
    /// Malformed request: answer this status, then close.
    Bad(u16, &'static str),
}

fn serve_connection(mut stream: TcpStream, sh: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(POLL));
    let _ = stream.set_write_timeout(Some(POLL));
    let mut buf = Vec::new();
    loop {
        let incoming = match read_request(&mut stream, &mut buf, &sh) {
            Ok(incoming) => incoming,
            Err(ReadError::Gone) => break,
            Err(ReadError::Bad(status, why)) => {
                let reply = Reply::text(status, why);
                let _ = write_reply(&mut stream, &reply, false, false, &sh);
                break;
            }
        };
        let head_only = incoming.rec.method == "HEAD";
        let reply = sh.next_reply(&incoming.rec.path);
        lock(&sh.log).push(incoming.rec);

        if !reply.delay.is_zero() && !sh.wait(Some(reply.delay)) {
            break;
        }
        match reply.action {
            Action::Hang => {
                sh.wait(None);
                break;
            }
            Action::Close => break,
            Action::Answer => {
                let keep_alive = incoming.keep_alive && !reply.asks_close();
                if write_reply(&mut stream, &reply, keep_alive, head_only, &sh).is_err()
                    || !keep_alive
                {
                    break;
                }
            }
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// Reads more bytes into `buf`. Waits (polling the stop flag) until some
/// arrive; `Gone` on EOF, error or stop.
fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>, sh: &Shared) -> Result<(), ReadError> {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if sh.stopped() {
            return Err(ReadError::Gone);
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Err(ReadError::Gone),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return Ok(());
            }
            Err(e) if is_retry(&e) => continue,
            Err(_) => return Err(ReadError::Gone),
        }
    }
}

fn is_retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads one request from `stream`; bytes of a following (pipelined) request
/// stay in `buf`.
fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    sh: &Shared,
) -> Result<Incoming, ReadError> {
    let head_end = loop {
        // Tolerate empty lines before a request line (RFC 9112 §2.2).
        while buf.starts_with(b"\r\n") {
            buf.drain(..2);
        }
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return Err(ReadError::Bad(431, "request head too large"));
        }
        fill(stream, buf, sh)?;
    };
    let at = Instant::now();
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");

    let request_line = lines.next().unwrap_or("");
    let parts: Vec<&str> = request_line.split(' ').collect();
    let (method, target, version) = match parts.as_slice() {
        [m, t, v] if !m.is_empty() && !t.is_empty() && v.starts_with("HTTP/1.") => (*m, *t, *v),
        _ => return Err(ReadError::Bad(400, "malformed request line")),
    };

    let mut headers = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Bad(400, "malformed header line"));
        };
        if name.is_empty() || name.ends_with(' ') || name.ends_with('\t') {
            return Err(ReadError::Bad(400, "malformed header name"));
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };

    if get("transfer-encoding").is_some() {
        return Err(ReadError::Bad(
            501,
            "mock server: chunked request bodies are not supported",
        ));
    }
    let len = match get("content-length") {
        None => 0,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n <= MAX_BODY => n,
            Ok(_) => return Err(ReadError::Bad(413, "request body too large")),
            Err(_) => return Err(ReadError::Bad(400, "bad Content-Length")),
        },
    };
    let keep_alive = match get("connection") {
        Some(v) if has_token(v, "close") => false,
        Some(v) if has_token(v, "keep-alive") => true,
        _ => version != "HTTP/1.0",
    };

    let body_start = head_end + 4;
    let expects_continue = get("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if expects_continue && len > 0 && buf.len() < body_start + len {
        send(stream, b"HTTP/1.1 100 Continue\r\n\r\n", sh).map_err(|_| ReadError::Gone)?;
    }
    while buf.len() < body_start + len {
        fill(stream, buf, sh)?;
    }
    let body = buf[body_start..body_start + len].to_vec();
    buf.drain(..body_start + len);

    let (path, query) = split_target(target);
    Ok(Incoming {
        rec: Recorded {
            method: method.to_string(),
            path,
            query,
            headers,
            body,
            at,
        },
        keep_alive,
    })
}

/// Splits a request target (origin-form `/p?q` or absolute-form
/// `http://host/p?q`) into path and query, dropping any fragment.
fn split_target(target: &str) -> (String, String) {
    let mut rest = target;
    if let Some(i) = rest.find("://") {
        let after = &rest[i + 3..];
        rest = after.find('/').map_or("/", |j| &after[j..]);
    }
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    (path, query.to_string())
}

/// Whether a comma-separated header value contains `token`
/// (case-insensitive).
fn has_token(value: &str, token: &str) -> bool {
    value
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// `write_all` that keeps going through write timeouts but gives up as soon
/// as the server stops.
fn send(stream: &mut TcpStream, mut data: &[u8], sh: &Shared) -> io::Result<()> {
    while !data.is_empty() {
        if sh.stopped() {
            return Err(io::Error::other("mock server stopped"));
        }
        match stream.write(data) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(e) if is_retry(&e) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn write_reply(
    stream: &mut TcpStream,
    reply: &Reply,
    keep_alive: bool,
    head_only: bool,
    sh: &Shared,
) -> io::Result<()> {
    let len = reply.body_len();
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if reply.chunked {
        if !reply.has_header("transfer-encoding") {
            head.push_str("Transfer-Encoding: chunked\r\n");
        }
    } else if !reply.has_header("content-length") {
        head.push_str(&format!("Content-Length: {len}\r\n"));
    }
    if !keep_alive && !reply.has_header("connection") {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    send(stream, head.as_bytes(), sh)?;
    if head_only {
        return Ok(());
    }

    let mut out = |piece: &[u8]| -> io::Result<()> {
        if piece.is_empty() {
            return Ok(());
        }
        if reply.chunked {
            send(stream, format!("{:x}\r\n", piece.len()).as_bytes(), sh)?;
            send(stream, piece, sh)?;
            send(stream, b"\r\n", sh)
        } else {
            send(stream, piece, sh)
        }
    };
    let scripted = &reply.body[..reply.body.len().min(len)];
    out(scripted)?;
    let mut left = len - scripted.len();
    if left > 0 {
        let pad = vec![b' '; PIECE.min(left)];
        while left > 0 {
            let n = left.min(pad.len());
            out(&pad[..n])?;
            left -= n;
        }
    }
    if reply.chunked {
        send(stream, b"0\r\n\r\n", sh)?;
    }
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}
