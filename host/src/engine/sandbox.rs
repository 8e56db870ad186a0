//! One sandboxed call: a fresh store with no capabilities, the tenant's memory cap, a
//! deadline enforced by epoch interruption (yielding to other tasks at every tick) and a
//! wall-clock backstop, and the mapping of whatever went wrong to a [`Fault`].

use super::fault::{Fault, FaultKind};
use super::wasm::Runtime;
use super::{Limits, PluginLabel};
use std::time::{Duration, Instant};
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, Trap, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// The per-call host state: an empty WASI context (made on the guest's first WASI call)
/// and the memory limiter.
pub(crate) struct HostState {
    wasi: Option<Wasi>,
    output_cap: usize,
    table: ResourceTable,
    limiter: MemoryCap,
    /// When the current call must be done; read by the epoch callback at every tick.
    deadline: Instant,
}

/// A WASI context that grants nothing, and the pipes that capture what the guest prints.
struct Wasi {
    ctx: WasiCtx,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

impl Wasi {
    fn new(output_cap: usize) -> Self {
        let stdout = MemoryOutputPipe::new(output_cap);
        let stderr = MemoryOutputPipe::new(output_cap);
        // No preopened directories, no environment, no arguments, no network.
        let ctx = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Wasi {
            ctx,
            stdout,
            stderr,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        // Built on first use: most calls never touch WASI, and building a context (its
        // random generators, its pipes) is a measurable share of a short call.
        let cap = self.output_cap;
        let wasi = self.wasi.get_or_insert_with(|| Wasi::new(cap));
        WasiCtxView {
            ctx: &mut wasi.ctx,
            table: &mut self.table,
        }
    }
}

/// Caps linear memory and table growth, and remembers a refusal so a trap that follows
/// it (a Rust guest aborts when allocation fails) is reported as out-of-memory.
struct MemoryCap {
    memory_bytes: usize,
    denied: bool,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.memory_bytes;
        self.denied |= !ok;
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= 100_000;
        self.denied |= !ok;
        Ok(ok)
    }
}

/// A store ready for one call, with the handles to what the guest printed.
pub(crate) struct Sandbox {
    pub store: Store<HostState>,
    started: Instant,
    limits: Limits,
}

impl Sandbox {
    pub fn new(runtime: &Runtime, limits: Limits) -> Self {
        let started = Instant::now();
        let state = HostState {
            wasi: None,
            output_cap: runtime.options.output_cap,
            table: ResourceTable::new(),
            limiter: MemoryCap {
                memory_bytes: limits.memory_bytes,
                denied: false,
            },
            deadline: started + limits.deadline,
        };
        let mut store = Store::new(&runtime.engine, state);
        store.limiter(|s| &mut s.limiter);
        // Check the wall clock at every epoch tick; yield to other tasks in between so a
        // looping plugin never starves the runtime. `yield_now` puts the call at the back
        // of its worker's queue: a plain wake would take the worker's next-task slot and
        // run the call again before the tasks already waiting there.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|cx| {
            if Instant::now() >= cx.data().deadline {
                Err(Trap::Interrupt.into())
            } else {
                Ok(UpdateDeadline::YieldCustom(
                    1,
                    Box::pin(tokio::task::yield_now()),
                ))
            }
        });
        Sandbox {
            store,
            started,
            limits,
        }
    }

    /// Run `call` under the deadline, with a wall-clock backstop for time spent outside
    /// Wasm (host calls), and classify a failure.
    pub async fn run<T>(
        &mut self,
        call: impl AsyncFnOnce(&mut Store<HostState>) -> wasmtime::Result<T>,
    ) -> Result<T, Fault> {
        let backstop = self.limits.deadline * 2 + Duration::from_millis(50);
        let outcome = tokio::time::timeout(backstop, call(&mut self.store)).await;
        match outcome {
            Err(_) if self.store.data().limiter.denied => Err(Fault::new(
                FaultKind::OutOfMemory,
                format!(
                    "asked for more than its {} MiB memory cap",
                    self.limits.memory_bytes >> 20
                ),
            )),
            Err(_) => Err(Fault::new(
                FaultKind::Timeout,
                format!(
                    "no answer within {} ms (stopped by the backstop after {} ms)",
                    self.limits.deadline.as_millis(),
                    self.started.elapsed().as_millis()
                ),
            )),
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(self.classify(error)),
        }
    }

    fn classify(&self, error: wasmtime::Error) -> Fault {
        if self.store.data().limiter.denied {
            return Fault::new(
                FaultKind::OutOfMemory,
                format!(
                    "asked for more than its {} MiB memory cap",
                    self.limits.memory_bytes >> 20
                ),
            );
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => Fault::new(
                FaultKind::Timeout,
                format!(
                    "ran past its {} ms deadline",
                    self.limits.deadline.as_millis()
                ),
            ),
            Some(trap) => Fault::new(
                FaultKind::Trap,
                format!("trapped: {trap}{}", self.stderr_tail()),
            ),
            None => Fault::new(FaultKind::Trap, format!("{error:#}{}", self.stderr_tail())),
        }
    }

    /// The plugin's own error, unless the memory cap refused it memory during the call: a
    /// runtime that survives its failed allocation (JavaScript's `out of memory`) reports it
    /// as an error, and that is the cap at work, so the fault is `out_of_memory`.
    pub fn guest_error(&self, message: String) -> Fault {
        if self.store.data().limiter.denied {
            Fault::new(
                FaultKind::OutOfMemory,
                format!(
                    "asked for more than its {} MiB memory cap ({message})",
                    self.limits.memory_bytes >> 20
                ),
            )
        } else {
            Fault::new(FaultKind::PluginError, message)
        }
    }

    /// What the guest wrote to stdout and stderr (empty if it never used WASI).
    fn output(&self) -> [(&'static str, Vec<u8>); 2] {
        match &self.store.data().wasi {
            Some(w) => [
                ("stdout", w.stdout.contents().to_vec()),
                ("stderr", w.stderr.contents().to_vec()),
            ],
            None => [("stdout", Vec::new()), ("stderr", Vec::new())],
        }
    }

    fn stderr_tail(&self) -> String {
        let [_, (_, err)] = self.output();
        if err.is_empty() {
            return String::new();
        }
        let text = String::from_utf8_lossy(&err);
        let last = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        format!(" (stderr: {last})")
    }

    /// Start a new call on the same store: the deadline counts again from now. Only the
    /// benchmark-only reused instance ([`super::reuse`]) calls this; serving makes a fresh
    /// sandbox per call.
    pub fn rearm(&mut self) {
        self.started = Instant::now();
        self.store.data_mut().deadline = self.started + self.limits.deadline;
        self.store.set_epoch_deadline(1);
    }

    /// Time since the sandbox was made.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Send what the guest printed to the host's log, tagged with tenant and plugin.
    pub fn log_output(&self, label: &PluginLabel) {
        for (stream, bytes) in self.output() {
            if !bytes.is_empty() {
                tracing::info!(
                    tenant = %label.tenant,
                    plugin = %label.plugin,
                    stream,
                    output = %String::from_utf8_lossy(&bytes),
                    "plugin output"
                );
            }
        }
    }
}
