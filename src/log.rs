//! Diagnostics for the host program. Messages go to a callback the host
//! installs, and to stderr only when `F7T_LOG` names a level. No message
//! carries a secret: callers of `log!` pass endpoints, statuses and numbers.

use once_cell::sync::Lazy;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::RwLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(i32)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }

    fn parse(text: &str) -> Option<Level> {
        match text.trim().to_ascii_lowercase().as_str() {
            "error" | "1" => Some(Level::Error),
            "warn" | "warning" | "2" => Some(Level::Warn),
            "info" | "3" => Some(Level::Info),
            "debug" | "4" => Some(Level::Debug),
            _ => None,
        }
    }
}

/// A log sink installed by the host. It receives the level and one line.
pub type Sink = Box<dyn Fn(Level, &str) + Send + Sync>;

struct Logger {
    sink: Option<Sink>,
}

static LOGGER: Lazy<RwLock<Logger>> = Lazy::new(|| RwLock::new(Logger { sink: None }));

/// The most verbose level anyone listens to; 0 means nobody listens, which
/// keeps disabled logging to one atomic load.
static MAX_LEVEL: Lazy<AtomicI32> = Lazy::new(|| AtomicI32::new(stderr_level()));

fn stderr_level() -> i32 {
    std::env::var("F7T_LOG")
        .ok()
        .and_then(|v| Level::parse(&v))
        .map_or(0, |l| l as i32)
}

/// Installs (or with `None` removes) the host's sink, listening up to `level`.
pub fn set_sink(sink: Option<Sink>, level: Level) {
    let mut logger = LOGGER.write().unwrap_or_else(|e| e.into_inner());
    let listening = if sink.is_some() { level as i32 } else { 0 };
    logger.sink = sink;
    MAX_LEVEL.store(listening.max(stderr_level()), Ordering::Relaxed);
}

pub fn enabled(level: Level) -> bool {
    (level as i32) <= MAX_LEVEL.load(Ordering::Relaxed)
}

pub fn emit(level: Level, message: &str) {
    if !enabled(level) {
        return;
    }
    if (level as i32) <= stderr_level() {
        eprintln!("firecrest-auth {}: {}", level.name(), message);
    }
    let logger = LOGGER.read().unwrap_or_else(|e| e.into_inner());
    if let Some(sink) = &logger.sink {
        sink(level, message);
    }
}

macro_rules! log {
    ($level:expr, $($arg:tt)*) => {
        if $crate::log::enabled($level) {
            $crate::log::emit($level, &format!($($arg)*));
        }
    };
}
pub(crate) use log;
