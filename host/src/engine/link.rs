//! What loading a trigger and a routing plugin share: linking the compiled component into an
//! `InstancePre` with its interface's export indices, and turning the first `configure` into
//! a load error when it refuses the config or faults.

use super::cache::CompiledPlugin;
use super::fault::Fault;
use super::sandbox::HostState;
use super::wasm::Runtime;
use super::LoadError;
use std::path::Path;
use wasmtime::component::InstancePre;

/// Link `compiled` and look up its interface's exports with `indices`.
pub(crate) fn link<I>(
    runtime: &Runtime,
    compiled: &CompiledPlugin,
    path: &Path,
    indices: impl FnOnce(&InstancePre<HostState>) -> wasmtime::Result<I>,
) -> Result<(InstancePre<HostState>, I), LoadError> {
    let link_error = |e: wasmtime::Error| LoadError::Link {
        path: path.to_path_buf(),
        detail: format!("{e:#}"),
    };
    let pre = runtime
        .linker
        .instantiate_pre(&compiled.component)
        .map_err(link_error)?;
    let indices = indices(&pre).map_err(link_error)?;
    Ok((pre, indices))
}

/// The outcome of the `configure` run at load time, as a load error if it was not a success.
pub(crate) fn configured_at_load<G>(
    path: &Path,
    outcome: Result<Result<G, String>, Fault>,
) -> Result<(), LoadError> {
    match outcome {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(message)) => Err(LoadError::Config {
            path: path.to_path_buf(),
            message,
        }),
        Err(fault) => Err(LoadError::Fault {
            path: path.to_path_buf(),
            fault,
        }),
    }
}
