//! Plumbing every exported function goes through: the panic guard, the
//! thread-local last error, and conversion of C arguments (pointers, strings,
//! handles) into Rust values with a status instead of a crash.

use crate::error::{Error, Result, Status};
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

struct LastError {
    status: Status,
    message: CString,
}

thread_local! {
    static LAST_ERROR: RefCell<LastError> = RefCell::new(LastError {
        status: Status::Ok,
        message: CString::new("no error").expect("literal has no NUL"),
    });
}

pub fn set_last_error(error: &Error) {
    let text = format!("{} ({})", error.message(), error.status().description());
    let message = CString::new(text.replace('\0', " ")).unwrap_or_default();
    let _ = LAST_ERROR.try_with(|slot| {
        *slot.borrow_mut() = LastError {
            status: error.status(),
            message,
        }
    });
}

pub fn last_error_message() -> *const c_char {
    LAST_ERROR
        .try_with(|slot| slot.borrow().message.as_ptr())
        .unwrap_or(c"the last error is unavailable while the thread exits".as_ptr())
}

pub fn last_error_status() -> Status {
    LAST_ERROR
        .try_with(|slot| slot.borrow().status)
        .unwrap_or(Status::Internal)
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic")
}

/// Runs the body of an exported function: a failure becomes its status and
/// the thread's last error; a panic is caught and reported, never unwound
/// into the caller.
pub fn guard(function: &str, body: impl FnOnce() -> Result<()>) -> Status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => Status::Ok,
        Ok(Err(error)) => {
            set_last_error(&error);
            error.status()
        }
        Err(payload) => {
            let error = Error::new(
                Status::Panic,
                format!(
                    "{function} hit an internal error ({}); please report it",
                    panic_text(payload.as_ref())
                ),
            );
            set_last_error(&error);
            Status::Panic
        }
    }
}

/// Like `guard`, for functions that return a value instead of a status.
pub fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A required string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
pub unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::new(Status::NullArgument, format!("{name} is NULL")));
    }
    let bytes = CStr::from_ptr(ptr);
    let text = bytes.to_str().map_err(|e| {
        Error::new(
            Status::InvalidUtf8,
            format!(
                "{name} is not valid UTF-8 (bad byte at offset {})",
                e.valid_up_to()
            ),
        )
    })?;
    if text.is_empty() {
        return Err(Error::invalid_argument(format!("{name} is empty")));
    }
    Ok(text)
}

/// An optional string argument: NULL or "" mean "not set".
///
/// # Safety
/// As for [`str_arg`].
pub unsafe fn opt_str_arg<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if ptr.is_null() || *ptr == 0 {
        return Ok(None);
    }
    str_arg(ptr, name).map(Some)
}

/// A required out-parameter.
///
/// # Safety
/// `ptr` is NULL or valid for writes of a `T`.
pub unsafe fn out_arg<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T> {
    ptr.as_mut()
        .ok_or_else(|| Error::new(Status::NullArgument, format!("{name} is NULL")))
}

pub fn null(name: &str) -> Error {
    Error::new(Status::NullArgument, format!("{name} is NULL"))
}
