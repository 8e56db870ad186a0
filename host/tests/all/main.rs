//! Baton's host integration tests: one binary, a module per concern (as wasmtime does).

mod engine;
mod store;
mod support;
