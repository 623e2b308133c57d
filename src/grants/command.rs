//! Tokens printed by a command, as pyFirecREST's `FIRECREST_TOKEN_COMMAND`
//! runs one, but cached by the token's JWT `exp` (or a lifetime the caller
//! sets) instead of run on every request, and killed after a timeout. The
//! command runs as `/bin/sh -c`, on the thread that needs the token, in its
//! own process group so that a timeout kills whatever it started.

use super::{FetchContext, Grant};
use crate::clock;
use crate::error::{Error, Result, Status};
use crate::oauth::TokenSet;
use crate::secret::Secret;
use std::io::Read;
use std::os::unix::io::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use zeroize::Zeroize;

/// Tokens are small; a command printing more than this is not printing one.
const MAX_OUTPUT: usize = 64 * 1024;

pub struct TokenCommand {
    command: Secret,
    lifetime: Option<Duration>,
}

impl TokenCommand {
    pub fn new(command: &str, lifetime: Option<Duration>) -> Result<TokenCommand> {
        if command.trim().is_empty() {
            return Err(Error::invalid_argument("the token command is empty"));
        }
        Ok(TokenCommand {
            command: Secret::new(command),
            lifetime,
        })
    }
}

fn failed(message: impl Into<String>) -> Error {
    Error::new(Status::CommandFailed, message)
}

impl Grant for TokenCommand {
    fn describe(&self) -> String {
        // The command line may hold a secret, so it is never shown.
        "the token command".to_owned()
    }

    fn uses_network(&self) -> bool {
        false
    }

    fn failure_status(&self) -> Status {
        Status::CommandFailed
    }

    fn shared_key(&self) -> Option<String> {
        Some(format!(
            "token-command {}",
            crate::store::file_name_for(self.command.expose())
        ))
    }

    fn fetch(&self, context: &FetchContext<'_>) -> Result<TokenSet> {
        let sent_at_ns = clock::monotonic_ns();
        let sent_at_unix = clock::unix_now();
        let timeout = context.http.total_timeout;
        let mut output = run(self.command.expose(), timeout)?;
        let token = String::from_utf8_lossy(&output).trim().to_owned();
        output.zeroize();
        if token.is_empty() {
            return Err(failed(
                "the token command exited with status 0 but printed no token",
            ));
        }
        Ok(TokenSet {
            access_token: Secret::new(token),
            expires_in: self.lifetime,
            refresh_token: None,
            scope: None,
            sent_at_ns,
            sent_at_unix,
        })
    }
}

fn run(command: &str, timeout: Duration) -> Result<Vec<u8>> {
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn()
        .map_err(|e| failed(format!("cannot start the token command with /bin/sh: {e}")))?;
    let deadline = Instant::now() + timeout;
    let kill = |child: &mut std::process::Child| {
        // SAFETY: signalling the process group the child leads.
        unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
        let _ = child.wait();
    };

    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut output = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut poll = libc::pollfd {
            fd: stdout.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for a descriptor we own.
        let ready =
            unsafe { libc::poll(&mut poll, 1, left.as_millis().min(i32::MAX as u128) as i32) };
        if ready == 0 || left.is_zero() {
            kill(&mut child);
            output.zeroize();
            return Err(failed(format!(
                "the token command did not finish within {} ms and was killed",
                timeout.as_millis()
            )));
        }
        if ready < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            kill(&mut child);
            return Err(failed("cannot wait for the token command's output"));
        }
        match stdout.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) if output.len() + n > MAX_OUTPUT => {
                kill(&mut child);
                output.zeroize();
                chunk.zeroize();
                return Err(failed(format!(
                    "the token command printed more than {MAX_OUTPUT} bytes"
                )));
            }
            Ok(n) => output.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                kill(&mut child);
                return Err(failed(format!(
                    "cannot read the token command's output: {e}"
                )));
            }
        }
    }
    chunk.zeroize();

    // Output ended; the shell should exit at once, but is bounded too.
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                kill(&mut child);
                output.zeroize();
                return Err(failed(
                    "the token command closed its output but did not exit",
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                output.zeroize();
                return Err(failed(format!("cannot wait for the token command: {e}")));
            }
        }
    };
    if !status.success() {
        output.zeroize();
        return Err(match (status.code(), status.signal()) {
            (Some(code), _) => failed(format!("the token command exited with status {code}")),
            (None, Some(signal)) => {
                failed(format!("the token command was killed by signal {signal}"))
            }
            _ => failed("the token command failed"),
        });
    }
    Ok(output)
}
