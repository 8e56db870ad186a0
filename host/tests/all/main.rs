//! Baton's host integration tests: one binary, a module per concern (as wasmtime does).

mod api;
mod engine;
mod host;
mod store;
mod support;
