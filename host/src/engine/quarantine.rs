//! The threads where a struggling plugin's calls run, apart from the request threads.
//!
//! A plugin call is CPU work that yields only at epoch ticks (every millisecond). A policy
//! that loops to its deadline on every call would otherwise keep a request thread busy, and
//! every request task that lands on that thread would wait for its slices at each step
//! (reading the body, each store read, the write, the answer). Once a plugin's call has run
//! out of time ([`super::turns`]), its calls run here, at a lower CPU priority, until one
//! finishes in time. Healthy calls never come here, so they pay nothing for it. These
//! threads share only brief locks with the request threads (the instance pool's slot
//! index), so their lower priority does not hold a healthy call back.

use std::future::Future;
use std::sync::OnceLock;

/// One set of threads per process, shared by every engine (as the machine's cores are).
fn threads() -> Option<&'static tokio::runtime::Runtime> {
    static THREADS: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    THREADS
        .get_or_init(|| {
            let n = std::thread::available_parallelism().map_or(2, |n| n.get());
            match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(n)
                .thread_name("baton-quarantine")
                .on_thread_start(lower_priority)
                .enable_time()
                .build()
            {
                Ok(runtime) => Some(runtime),
                Err(e) => {
                    tracing::error!(error = %e, "cannot start the quarantine threads; struggling plugins' calls stay on the request threads");
                    None
                }
            }
        })
        .as_ref()
}

/// How much less CPU weight the quarantine threads get than the request threads (Linux
/// niceness 10: about a tenth when both want a core). A looping call still ends at its
/// deadline, which is wall-clock time; it only burns less of the CPU others need on the way.
#[cfg(target_os = "linux")]
const NICENESS: i32 = 10;

#[cfg(target_os = "linux")]
fn lower_priority() {
    extern "C" {
        fn setpriority(which: i32, who: u32, prio: i32) -> i32;
    }
    // PRIO_PROCESS with `who = 0`: on Linux, niceness is per thread and this is the calling
    // thread. A failure leaves the thread at normal priority.
    // SAFETY: a plain system call with no pointers.
    unsafe {
        setpriority(0, 0, NICENESS);
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

/// Run `call` on the quarantine threads and wait for it (in place when they could not
/// start).
pub(crate) async fn run<F>(call: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let Some(threads) = threads() else {
        return call.await;
    };
    match threads.spawn(call).await {
        Ok(output) => output,
        // These threads are never shut down, so a call ends only by finishing or panicking.
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
