//! The library's one network thread. It is started lazily, the first time a
//! handle needs the network, runs a single-threaded tokio runtime, and is
//! never stopped. After `fork()` the child has no such thread, so the
//! runtime is keyed by process id and a child builds its own on first use.

use crate::error::{Error, Result, Status};
use once_cell::sync::Lazy;
use std::future::Future;
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread::ThreadId;

struct Runtime {
    pid: u32,
    handle: tokio::runtime::Handle,
    thread: ThreadId,
}

static RUNTIME: Lazy<Mutex<Option<Runtime>>> = Lazy::new(|| Mutex::new(None));

fn start() -> Result<Runtime> {
    // One blocking thread at most, started only by asynchronous calls that
    // need a fetch (see `spawn_blocking`).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .max_blocking_threads(1)
        .thread_name("f7t-worker")
        .build()
        .map_err(|e| Error::new(Status::Runtime, format!("cannot build the runtime: {e}")))?;
    let handle = runtime.handle().clone();
    let thread = std::thread::Builder::new()
        .name("f7t-net".into())
        .spawn(move || runtime.block_on(std::future::pending::<()>()))
        .map_err(|e| {
            Error::new(
                Status::Runtime,
                format!("cannot start the network thread: {e}"),
            )
        })?;
    Ok(Runtime {
        pid: std::process::id(),
        handle,
        thread: thread.thread().id(),
    })
}

/// The runtime of this process, started on first use.
pub fn handle() -> Result<tokio::runtime::Handle> {
    let mut slot = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    let pid = std::process::id();
    match slot.as_ref() {
        Some(rt) if rt.pid == pid => Ok(rt.handle.clone()),
        _ => {
            // In a forked child the parent's runtime has no thread behind it.
            // Dropping it could wait for that thread, so it is leaked instead.
            if let Some(stale) = slot.take() {
                std::mem::forget(stale);
            }
            let rt = start()?;
            let handle = rt.handle.clone();
            *slot = Some(rt);
            Ok(handle)
        }
    }
}

/// True when called on the library's network thread, where blocking would
/// deadlock it.
pub fn on_network_thread() -> bool {
    let slot = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    slot.as_ref()
        .is_some_and(|rt| rt.pid == std::process::id() && rt.thread == std::thread::current().id())
}

/// Runs `future` on the network thread and blocks the calling thread until
/// it completes. Every future given here carries its own timeouts.
pub fn block_on<T, F>(future: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    if on_network_thread() {
        return Err(Error::new(
            Status::LibraryThread,
            "a blocking firecrest-auth call was made from the library's own network thread \
             (for example from a completion callback); use the asynchronous call there",
        ));
    }
    let handle = handle()?;
    let (tx, rx) = mpsc::sync_channel(1);
    handle.spawn(async move {
        let _ = tx.send(future.await);
    });
    rx.recv()
        .unwrap_or_else(|_| Err(Error::internal("the network thread dropped a request")))
}

/// Runs `job` on the library's worker thread, started on first use. Jobs
/// run one after another; they may block (a token fetch), since the network
/// thread stays free to serve them.
pub fn spawn_blocking<F>(job: F) -> Result<()>
where
    F: FnOnce() + Send + 'static,
{
    handle()?.spawn_blocking(job);
    Ok(())
}
