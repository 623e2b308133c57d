//! firecrest-auth: OAuth2 access tokens for the FirecREST HPC API and any
//! other API behind Keycloak or a standard OpenID provider, for Rust and,
//! through the C ABI in [`ffi`], for C, C++, Fortran and Python programs.
//!
//! An [`Auth`] handle gets a token for its grant type, caches it, renews it
//! before it runs out, and hands it out without locking while it is fresh.

pub mod auth;
pub mod cache;
pub mod clock;
pub mod discovery;
pub mod error;
pub mod ffi;
pub mod grants;
pub mod http;
pub mod jwt;
pub mod log;
pub mod oauth;
pub mod runtime;
pub mod secret;
pub mod store;

pub use auth::Auth;
pub use error::{Error, Result, Status};
pub use oauth::ClientAuthMethod;
pub use secret::Secret;

/// The crate version, as the C header's version macros give it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
