pub mod idp;
pub mod mock;
