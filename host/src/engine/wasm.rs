//! The wasmtime runtime shared by every tenant: engine configuration, the pooling
//! allocator, the epoch ticker that enforces deadlines, and the linker.

use super::cache::CompileCache;
use super::sandbox::HostState;
use super::EngineOptions;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::Linker;
use wasmtime::{Config, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances; deadlines are checked at this granularity.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(1);

/// The shared runtime behind [`super::Engine`].
pub(crate) struct Runtime {
    pub engine: wasmtime::Engine,
    pub linker: Linker<HostState>,
    pub cache: CompileCache,
    /// Bounds the calls running at once (and so the instances alive) below what the pool
    /// holds, host-wide and per tenant.
    pub turns: super::turns::Turns,
    pub options: EngineOptions,
    stop_ticker: Arc<AtomicBool>,
}

impl Runtime {
    pub fn new(options: EngineOptions) -> Result<Self, super::EngineError> {
        let setup = |e: wasmtime::Error| super::EngineError(format!("{e:#}"));
        let engine = match wasmtime::Engine::new(&config(&options, true)) {
            Ok(engine) => engine,
            Err(e) => {
                // A machine that refuses the pool's address-space reservation still runs
                // plugins, only slower to instantiate.
                tracing::warn!(error = %e, "pooling allocator unavailable; using on-demand allocation");
                wasmtime::Engine::new(&config(&options, false)).map_err(setup)?
            }
        };
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(setup)?;
        let stop_ticker = Arc::new(AtomicBool::new(false));
        spawn_ticker(engine.clone(), stop_ticker.clone());
        Ok(Runtime {
            cache: CompileCache::new(&engine, options.cache_dir.clone()),
            turns: super::turns::Turns::new(
                options
                    .max_concurrent_calls
                    .clamp(1, options.max_instances.max(1)) as usize,
            ),
            engine,
            linker,
            options,
            stop_ticker,
        })
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}

fn config(options: &EngineOptions, pooling: bool) -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    // Plugins need little stack; a small one keeps a fresh instance cheap.
    config.max_wasm_stack(256 << 10);
    config.async_stack_size(512 << 10);
    if pooling {
        let n = options.max_instances.max(1);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(n)
            // A Python component holds 14 core instances; a Rust one 3 or 4.
            .max_core_instances_per_component(32)
            .total_core_instances(n.saturating_mul(16))
            .max_memories_per_component(4)
            .total_memories(n.saturating_mul(2))
            .max_tables_per_component(16)
            .total_tables(n.saturating_mul(4))
            .table_elements(20_000)
            .total_stacks(n)
            .max_memory_size(options.max_memory_bytes)
            .max_component_instance_size(4 << 20)
            // Reset the first MiB of a slot in place (memset, or a copy from the memory
            // image) instead of discarding it and page-faulting it in on the next instance.
            // It only pays off because plugins are linked with a small stack
            // (`.cargo/config.toml`): with Rust's default 1 MiB stack this MiB is mostly
            // untouched stack and the pages a call really uses lie above it (BENCHMARKS.md:
            // 1 MiB stack ~105 µs/decision, 128 KiB stack ~65 µs; 512 KiB–2 MiB kept all
            // measured within noise of each other, none kept ~80 µs).
            .linear_memory_keep_resident(1 << 20)
            // Same for tables (~10 µs per decision when set to 0).
            .table_keep_resident(64 << 10);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config
}

/// Advance the engine's epoch every [`EPOCH_TICK`] until the runtime is dropped.
fn spawn_ticker(engine: wasmtime::Engine, stop: Arc<AtomicBool>) {
    let spawned = std::thread::Builder::new()
        .name("baton-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        });
    if let Err(e) = spawned {
        // Without the ticker no deadline fires, but the timeout backstop still does.
        tracing::error!(error = %e, "cannot start the epoch ticker");
    }
}
