//! Harness for the real OpenID provider in `tests/idp/server.js`
//! (oidc-provider on Node), for integration tests.
//!
//! ```ignore
//! let idp = Idp::shared();                       // one server per test binary
//! let id = unique_client_id("cc");
//! idp.register_client(serde_json::json!({
//!     "client_id": id, "client_secret": "s",
//!     "token_endpoint_auth_method": "client_secret_post",
//!     "grant_types": ["client_credentials"], "access_token_ttl": 2,
//! }));
//! // ... point the client under test at idp.token_endpoint ...
//! assert_eq!(idp.token_requests(&id), 1);
//! ```
//!
//! * Give every test its own client (`unique_client_id`): counters, injected
//!   failures and lifetimes are per client, so tests sharing one server stay
//!   independent.
//! * Static clients: `cc-post`/`cc-post-secret` (client_secret_post),
//!   `cc-basic`/`a+b/c=d:e%f&g h` (client_secret_basic), `device-public`
//!   (no secret), `device-confidential`/`device-secret` (client_secret_post).
//! * The server dies with the test process: it exits when its stdin (a pipe
//!   held here) closes, which also covers the never-dropped `Idp::shared()`.
//! * With TLS, the issuer and OAuth endpoints are HTTPS only, while the `/test/`
//!   control API stays reachable over plain HTTP on the same port, so this
//!   harness needs no TLS client.
//!
//! Only `std`, `serde_json` and `rcgen` are used.

#![allow(dead_code)]

use std::fs::{self, OpenOptions};
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// Longest wait for `server.js` to print its issuer.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Socket timeout for control-API requests.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// A `npm ci` lock older than this was left by a killed process.
const STALE_LOCK: Duration = Duration::from_secs(300);
const ISSUER_PREFIX: &str = "F7T_IDP_ISSUER=";
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A running `server.js`. Dropping it stops the server.
pub struct Idp {
    /// e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub issuer: String,
    pub token_endpoint: String,
    /// The device authorization endpoint (RFC 8628).
    pub device_endpoint: String,
    pub discovery_url: String,
    pub jwks_uri: String,
    /// Where the plain-HTTP control API (`/test/...`) is served.
    pub addr: SocketAddr,
    pub tls: bool,
    child: Child,
    stdin: Option<ChildStdin>,
    /// Holds the TLS material; removed on drop.
    temp_dir: Option<PathBuf>,
}

impl Idp {
    /// Starts a plain-HTTP provider of its own.
    pub fn start() -> Idp {
        Idp::spawn(&[], None)
    }

    /// Starts a provider whose discovery document names no device
    /// authorization endpoint, like a provider without the device grant.
    pub fn start_without_device() -> Idp {
        Idp::spawn(&["--no-device".to_string()], None)
    }

    /// Starts an HTTPS provider with a fresh test CA and a server certificate
    /// for `127.0.0.1` and `localhost`. Returns the CA's PEM file, which lives
    /// as long as the `Idp`.
    pub fn start_tls() -> (Idp, PathBuf) {
        let dir = unique_temp_dir("f7t-idp-tls");
        let (ca_pem, cert_pem, key_pem) = make_test_pki();
        let ca = dir.join("ca.pem");
        let cert = dir.join("server.pem");
        let key = dir.join("server-key.pem");
        fs::write(&ca, ca_pem).expect("write ca.pem");
        fs::write(&cert, cert_pem).expect("write server.pem");
        fs::write(&key, key_pem).expect("write server-key.pem");
        let args = [
            "--tls-cert".to_string(),
            cert.display().to_string(),
            "--tls-key".to_string(),
            key.display().to_string(),
        ];
        let idp = Idp::spawn(&args, Some(dir));
        (idp, ca)
    }

    /// One plain-HTTP provider for the whole test binary, started on first use.
    pub fn shared() -> &'static Idp {
        static SHARED: OnceLock<Idp> = OnceLock::new();
        SHARED.get_or_init(Idp::start)
    }

    fn spawn(args: &[String], temp_dir: Option<PathBuf>) -> Idp {
        let dir = idp_dir();
        ensure_node_modules(&dir);

        let node = std::env::var_os("F7T_NODE").unwrap_or_else(|| "node".into());
        let mut child = Command::new(&node)
            .arg(dir.join("server.js"))
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {node:?} (is Node.js installed?): {e}"));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");

        // The reader keeps draining stdout after the issuer line so the server
        // can never block on a full pipe.
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(issuer) = line.strip_prefix(ISSUER_PREFIX) {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(issuer.trim().to_string());
                    }
                }
            }
        });

        let issuer = match rx.recv_timeout(START_TIMEOUT) {
            Ok(issuer) => issuer,
            Err(e) => {
                let _ = child.kill();
                let status = child.wait();
                panic!("server.js did not report its issuer ({e}); exit: {status:?}");
            }
        };
        let authority = issuer
            .split_once("://")
            .map(|(_, rest)| rest)
            .expect("issuer has a scheme");
        let addr: SocketAddr = authority.parse().expect("issuer is http(s)://IP:PORT");

        Idp {
            token_endpoint: format!("{issuer}/token"),
            device_endpoint: format!("{issuer}/device/auth"),
            discovery_url: format!("{issuer}/.well-known/openid-configuration"),
            jwks_uri: format!("{issuer}/jwks"),
            tls: issuer.starts_with("https://"),
            issuer,
            addr,
            child,
            stdin,
            temp_dir,
        }
    }

    /// `issuer + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    // -- control API -------------------------------------------------------

    fn control(&self, method: &str, path: &str, body: Option<&Value>) -> HttpResponse {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let headers: &[(&str, &str)] = if body.is_empty() {
            &[]
        } else {
            &[("Content-Type", "application/json")]
        };
        http_request(self.addr, method, path, headers, body.as_bytes())
            .unwrap_or_else(|e| panic!("{method} {path} to the test IdP failed: {e}"))
    }

    fn control_ok(&self, method: &str, path: &str, body: &Value, want: u16) {
        let resp = self.control(method, path, Some(body));
        assert_eq!(
            resp.status, want,
            "{method} {path} {body} answered {}: {}",
            resp.status, resp.body
        );
    }

    /// Registers a client at run time; see `tests/idp/server.js` for the
    /// fields (`client_id`, `client_secret`, `token_endpoint_auth_method`,
    /// `grant_types` (`device_code` is accepted for the URN), `scope`,
    /// `access_token_ttl`, `refresh_token_ttl`, `device_code_ttl`,
    /// `device_interval`, `slow_down_increment`). Panics unless it worked.
    pub fn register_client(&self, spec: Value) {
        self.control_ok("POST", "/test/clients", &spec, 201);
    }

    /// A fresh client_secret_post client for the client credentials grant.
    /// Returns `(client_id, client_secret)`.
    pub fn new_cc_client(&self, prefix: &str, access_token_ttl: u64) -> (String, String) {
        let id = unique_client_id(prefix);
        let secret = format!("{id}-secret");
        self.register_client(json!({
            "client_id": id,
            "client_secret": secret,
            "token_endpoint_auth_method": "client_secret_post",
            "grant_types": ["client_credentials"],
            "access_token_ttl": access_token_ttl,
        }));
        (id, secret)
    }

    /// `{"token_requests": N, "by_grant_type": {...},
    /// "device_authorization_requests": N}` for this client; `by_grant_type`
    /// is keyed by the raw `grant_type` value (the device grant is the URN).
    pub fn token_counts(&self, client_id: &str) -> Value {
        let path = format!("/test/count?client_id={}", form_urlencode(client_id));
        let resp = self.control("GET", &path, None);
        assert_eq!(resp.status, 200, "count: {}", resp.body);
        resp.json()
    }

    /// Every POST to the token endpoint attributed to this client, whether
    /// it succeeded, failed or was answered by an injected failure.
    pub fn token_requests(&self, client_id: &str) -> u64 {
        self.token_counts(client_id)["token_requests"]
            .as_u64()
            .expect("token_requests is a number")
    }

    /// POSTs to the device authorization endpoint by this client.
    pub fn device_authorization_requests(&self, client_id: &str) -> u64 {
        self.token_counts(client_id)["device_authorization_requests"]
            .as_u64()
            .unwrap_or(0)
    }

    pub fn token_requests_by_grant(&self, client_id: &str, grant_type: &str) -> u64 {
        self.token_counts(client_id)["by_grant_type"][grant_type]
            .as_u64()
            .unwrap_or(0)
    }

    /// The next `count` token requests of this client get `status` with
    /// `body` (default: a JSON `temporarily_unavailable` error) instead of
    /// reaching the provider. Calls queue up.
    pub fn fail_next(&self, client_id: &str, count: u32, status: u16, body: Option<&str>) {
        let mut spec = json!({ "client_id": client_id, "count": count, "status": status });
        if let Some(body) = body {
            spec["body"] = json!(body);
        }
        self.fail_next_with(spec);
    }

    /// Like `fail_next` with every field: `client_id`, `count`, `status`,
    /// `body`, `content_type`, `retry_after` (seconds, sent as `Retry-After`).
    pub fn fail_next_with(&self, spec: Value) {
        self.control_ok("POST", "/test/fail", &spec, 200);
    }

    /// Plays the user approving a pending device login: every requested scope
    /// (including `offline_access`, so a refresh token is issued) is granted.
    pub fn approve_device(&self, user_code: &str, account_id: &str) {
        let spec = json!({ "user_code": user_code, "account_id": account_id });
        self.control_ok("POST", "/test/device/approve", &spec, 200);
    }

    /// Plays the user refusing: the next poll gets `access_denied`.
    pub fn deny_device(&self, user_code: &str) {
        let spec = json!({ "user_code": user_code });
        self.control_ok("POST", "/test/device/deny", &spec, 200);
    }

    // -- raw OAuth requests (plain HTTP only) ------------------------------

    fn plain_only(&self) {
        assert!(
            !self.tls,
            "the harness has no TLS client; raw OAuth requests need Idp::start()"
        );
    }

    /// GET `path` on the provider.
    pub fn get(&self, path: &str) -> HttpResponse {
        self.plain_only();
        http_request(self.addr, "GET", path, &[], b"").expect("GET to the test IdP")
    }

    /// POSTs an `application/x-www-form-urlencoded` body to `path` (e.g.
    /// `/token`), optionally with HTTP Basic client authentication done the
    /// RFC 6749 2.3.1 way (see `basic_auth`).
    pub fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> HttpResponse {
        self.plain_only();
        let body = encode_form(form);
        let auth = basic.map(|(id, secret)| basic_auth(id, secret));
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        if let Some(auth) = &auth {
            headers.push(("Authorization", auth.as_str()));
        }
        http_request(self.addr, "POST", path, &headers, body.as_bytes())
            .expect("POST to the test IdP")
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        // EOF on stdin makes the server exit by itself; kill only a laggard.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) => thread::sleep(Duration::from_millis(20)),
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = self.temp_dir.take() {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A client id no other test (in this or a concurrent test binary) uses.
pub fn unique_client_id(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{n}-{nanos:08x}", std::process::id())
}

/// `application/x-www-form-urlencoded` encoding of one name or value.
pub fn form_urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn encode_form(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", form_urlencode(k), form_urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `Authorization` value for client_secret_basic: RFC 6749 2.3.1 wants id and
/// secret form-urlencoded before base64, and oidc-provider decodes them so.
pub fn basic_auth(client_id: &str, client_secret: &str) -> String {
    let raw = format!(
        "{}:{}",
        form_urlencode(client_id),
        form_urlencode(client_secret)
    );
    format!("Basic {}", base64_encode(raw.as_bytes()))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | ((b as u32) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes base64 or base64url, padded or not.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The claims of a JWT (unverified), or `None` if `token` is not a JWT, e.g.
/// an opaque access token.
pub fn jwt_claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_header, payload) = (parts.next()?, parts.next()?);
    parts.next()?;
    serde_json::from_slice(&base64_decode(payload)?).ok()
}

fn idp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("idp")
}

fn unique_temp_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique_client_id(prefix));
    fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// `(ca_pem, server_cert_pem, server_key_pem)`.
fn make_test_pki() -> (String, String, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };

    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.distinguished_name
        .push(DnType::CommonName, "firecrest-auth test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).expect("self-sign CA");

    let key = KeyPair::generate().expect("server key");
    // rcgen turns "127.0.0.1" into an IP-address SAN, which is what clients
    // check when connecting to an IP.
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("server params");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params
        .signed_by(&key, &ca_cert, &ca_key)
        .expect("sign server cert");

    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

/// Runs `npm ci` once if `node_modules` is missing. Guarded against other
/// threads by a mutex and against other test binaries (or a parallel
/// `cargo test`) by a lock file, because `npm ci` first deletes
/// `node_modules` and would pull it from under a running server.
fn ensure_node_modules(dir: &Path) {
    static IN_PROCESS: Mutex<()> = Mutex::new(());
    let _guard = IN_PROCESS.lock().unwrap_or_else(|e| e.into_inner());

    let lock = dir.join(".npm-ci.lock");
    // npm writes node_modules/.package-lock.json at the end of an install,
    // so its presence means a complete one.
    let installed = || {
        dir.join("node_modules/oidc-provider/package.json")
            .is_file()
            && dir.join("node_modules/.package-lock.json").is_file()
    };
    let started = Instant::now();
    loop {
        if !lock.exists() && installed() {
            return;
        }
        match OpenOptions::new().write(true).create_new(true).open(&lock) {
            Ok(mut file) => {
                let _ = writeln!(file, "{}", std::process::id());
                struct Unlock<'a>(&'a Path);
                impl Drop for Unlock<'_> {
                    fn drop(&mut self) {
                        let _ = fs::remove_file(self.0);
                    }
                }
                let _unlock = Unlock(&lock);
                if !installed() {
                    run_npm_ci(dir);
                }
                return;
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                let age = fs::metadata(&lock)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok());
                if age.is_some_and(|a| a > STALE_LOCK) {
                    let _ = fs::remove_file(&lock);
                    continue;
                }
                assert!(
                    started.elapsed() < STALE_LOCK * 2,
                    "gave up waiting for {} to go away",
                    lock.display()
                );
                thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("cannot create {}: {e}", lock.display()),
        }
    }
}

fn run_npm_ci(dir: &Path) {
    let npm = std::env::var_os("F7T_NPM").unwrap_or_else(|| "npm".into());
    let out = Command::new(&npm)
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {npm:?} (is Node.js installed?): {e}"));
    assert!(
        out.status.success(),
        "npm ci in {} failed ({}):\n{}\n{}",
        dir.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------
// Minimal HTTP/1.1 client (one request per connection)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics (showing the body) if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.body))
    }
}

pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<HttpResponse> {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;

    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" || method == "PUT" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)?;

    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, msg.to_string())
}

fn parse_response(raw: &[u8]) -> io::Result<HttpResponse> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of response head"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| bad("response head not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };

    let mut body = raw[end + 4..].to_vec();
    if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        body = dechunk(&body)?;
    } else if let Some(len) = find("content-length").and_then(|v| v.parse::<usize>().ok()) {
        if body.len() < len {
            return Err(bad("body shorter than Content-Length"));
        }
        body.truncate(len);
    }
    Ok(HttpResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut data: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| bad("truncated chunk size"))?;
        let size_line = std::str::from_utf8(&data[..eol]).map_err(|_| bad("bad chunk size"))?;
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| bad("bad chunk size"))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err(bad("truncated chunk"));
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}
