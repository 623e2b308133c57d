//! The token store: an opt-in file holding a login's refresh token (and the
//! current access token with its expiry), so that a person logs in once on
//! a login node and batch jobs started later reuse the login.
//!
//! The file is created with mode 0600 and replaced atomically (write a
//! temporary file, then rename), so a crash never leaves it half written. A
//! store that others could read is refused. A lock file beside it makes
//! processes that share the store take turns to refresh, so two of them
//! never spend the same single-use refresh token.

use crate::clock;
use crate::error::{Error, Result, Status};
use crate::secret::Secret;
use serde_json::{json, Value};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const FORMAT_VERSION: i64 = 1;

/// What a store holds for one client at one provider.
#[derive(Debug, Default)]
pub struct StoredTokens {
    pub refresh_token: Option<Secret>,
    pub access_token: Option<Secret>,
    /// Unix seconds; 0 when unknown.
    pub expires_at: i64,
}

pub struct TokenStore {
    path: PathBuf,
}

/// Held while a process refreshes through the store; unlocks on drop, and
/// the kernel unlocks it if the process dies.
pub struct StoreLock {
    _file: File,
}

fn store_error(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::new(
        Status::TokenStore,
        format!("token store {}: {what}", path.display()),
    )
}

impl TokenStore {
    pub fn new(path: PathBuf) -> TokenStore {
        TokenStore { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Waits up to `timeout` for the store's lock.
    pub fn lock(&self, timeout: Duration) -> Result<StoreLock> {
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.exists() {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(parent)
                    .map_err(|e| {
                        store_error(&self.path, format!("cannot create its folder: {e}"))
                    })?;
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(self.lock_path())
            .map_err(|e| store_error(&self.path, format!("cannot open its lock file: {e}")))?;
        let deadline = Instant::now() + timeout;
        loop {
            // SAFETY: a valid descriptor owned by `file`.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return Ok(StoreLock { _file: file });
            }
            if Instant::now() >= deadline {
                return Err(store_error(
                    &self.path,
                    "another process held its lock for longer than the total timeout",
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Reads the store for this client and provider. A missing store, or one
    /// written for another client or provider, reads as `None`.
    pub fn load(&self, provider: &str, client_id: &str) -> Result<Option<StoredTokens>> {
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(store_error(&self.path, format!("cannot be read: {e}"))),
        };
        let metadata = file.metadata().map_err(|e| store_error(&self.path, e))?;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(store_error(
                &self.path,
                format!(
                    "has mode {mode:o}, so other users may read the tokens in it; it is not used \
                     (run chmod 600 on it, or delete it)"
                ),
            ));
        }
        // SAFETY: getuid cannot fail.
        if metadata.uid() != unsafe { libc::getuid() } {
            return Err(store_error(
                &self.path,
                "belongs to another user; it is not used",
            ));
        }
        let text =
            Secret::new(std::io::read_to_string(file).map_err(|e| store_error(&self.path, e))?);
        let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(text.expose()) else {
            return Err(store_error(&self.path, "is not a token store (not JSON)"));
        };
        let text_field = |fields: &serde_json::Map<String, Value>, name: &str| {
            fields.get(name).and_then(Value::as_str).map(str::to_owned)
        };
        if fields.get("version").and_then(Value::as_i64) != Some(FORMAT_VERSION) {
            return Err(store_error(&self.path, "has an unknown format version"));
        }
        if text_field(&fields, "provider").as_deref() != Some(provider)
            || text_field(&fields, "client_id").as_deref() != Some(client_id)
        {
            return Ok(None);
        }
        let stored = StoredTokens {
            refresh_token: text_field(&fields, "refresh_token").map(Secret::new),
            access_token: text_field(&fields, "access_token").map(Secret::new),
            expires_at: fields
                .get("expires_at")
                .and_then(Value::as_i64)
                .unwrap_or(0),
        };
        wipe_strings(&mut fields);
        Ok(Some(stored))
    }

    /// Replaces the store atomically with `tokens`.
    pub fn save(&self, provider: &str, client_id: &str, tokens: &StoredTokens) -> Result<()> {
        let mut document = json!({
            "version": FORMAT_VERSION,
            "provider": provider,
            "client_id": client_id,
            "refresh_token": tokens.refresh_token.as_ref().map(Secret::expose),
            "access_token": tokens.access_token.as_ref().map(Secret::expose),
            "expires_at": tokens.expires_at,
            "saved_at": clock::unix_now(),
        });
        let text = Secret::new(document.to_string());
        if let Value::Object(fields) = &mut document {
            wipe_strings(fields);
        }

        let mut temporary = self.path.as_os_str().to_owned();
        temporary.push(format!(".tmp.{}", std::process::id()));
        let temporary = PathBuf::from(temporary);
        let _ = std::fs::remove_file(&temporary);
        let written = (|| -> std::io::Result<()> {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&temporary)?;
            file.write_all(text.expose().as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&temporary, &self.path)
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(store_error(&self.path, format!("cannot be written: {e}")));
        }
        Ok(())
    }
}

/// A stable file name for a cache key (SHA-256, first 128 bits in hex):
/// the same in every process and build, and revealing nothing of the key,
/// which may include a hash of a client secret.
pub fn file_name_for(key: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
    digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Refuses a shared cache directory that another user owns or may write
/// to: they could plant or replace token files in it.
pub fn check_shared_dir(dir: &Path) -> Result<()> {
    let metadata = match std::fs::metadata(dir) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(store_error(dir, format!("cannot be read: {e}"))),
    };
    let mode = metadata.permissions().mode() & 0o7777;
    // SAFETY: getuid cannot fail.
    if metadata.uid() != unsafe { libc::getuid() } || mode & 0o022 != 0 {
        return Err(store_error(
            dir,
            format!(
                "is owned by another user or writable by others (mode {mode:o}); use a \
                 folder of your own with mode 0700, such as $XDG_RUNTIME_DIR/f7t"
            ),
        ));
    }
    Ok(())
}

/// The stored access token as a token set, if it has enough life left to be
/// handed out for a while (more than twice the margin).
pub fn fresh_access_token(
    stored: &StoredTokens,
    margin: Duration,
    rejected: Option<&Secret>,
) -> Option<crate::oauth::TokenSet> {
    let access_token = stored.access_token.clone()?;
    if rejected.is_some_and(|r| r == &access_token) {
        return None;
    }
    let left = stored.expires_at - clock::unix_now();
    let needed = (margin.as_secs() * 2).max(1) as i64;
    if stored.expires_at == 0 || left <= needed {
        return None;
    }
    Some(crate::oauth::TokenSet {
        access_token,
        expires_in: Some(Duration::from_secs(left as u64)),
        refresh_token: None,
        scope: None,
        sent_at_ns: clock::monotonic_ns(),
        sent_at_unix: clock::unix_now(),
    })
}

fn wipe_strings(fields: &mut serde_json::Map<String, Value>) {
    use zeroize::Zeroize;
    for value in fields.values_mut() {
        if let Value::String(text) = value {
            text.zeroize();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("f7t-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn saves_with_mode_0600_and_reads_back() {
        let dir = temp_dir("roundtrip");
        let store = TokenStore::new(dir.join("tokens.json"));
        let _lock = store.lock(Duration::from_secs(1)).unwrap();
        assert!(store.load("https://idp", "cli").unwrap().is_none());
        let tokens = StoredTokens {
            refresh_token: Some(Secret::new("rt-1")),
            access_token: Some(Secret::new("at-1")),
            expires_at: 1234,
        };
        store.save("https://idp", "cli", &tokens).unwrap();
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        let back = store.load("https://idp", "cli").unwrap().unwrap();
        assert_eq!(back.refresh_token.unwrap().expose(), "rt-1");
        assert_eq!(back.expires_at, 1234);
        assert!(store.load("https://idp", "other-client").unwrap().is_none());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_store_others_can_read_is_refused() {
        let dir = temp_dir("mode");
        let path = dir.join("tokens.json");
        std::fs::write(&path, "{}").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = TokenStore::new(path).load("p", "c").unwrap_err();
        assert_eq!(err.status(), Status::TokenStore);
        assert!(err.message().contains("mode 644"), "{}", err.message());
        let _ = std::fs::remove_dir_all(dir);
    }
}
