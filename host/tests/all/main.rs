//! Baton's host integration tests: one binary, a module per concern (as wasmtime does).

mod alerts;
mod api;
mod channels;
mod cli;
mod contract;
mod durability;
mod engine;
mod event_parsing;
mod failover;
mod faults;
mod history;
mod host;
mod isolation;
mod lifecycle;
mod load;
mod multihost;
mod pg;
mod reload;
mod report;
mod sandbox;
mod scaffold;
mod scripted;
mod store;
mod support;
mod widget;
