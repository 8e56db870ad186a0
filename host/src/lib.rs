//! Baton's host: loads tenants' policies, runs them in a sandbox, and serves the handoff API.
//!
//! One event's way through the host, and the module that holds each step, is described in
//! the README's architecture section.

pub mod api;
pub mod channels;
pub mod cli;
pub mod clock;
pub mod config;
pub mod engine;
pub mod handoff;
pub mod load;
pub mod metrics;
pub mod outbox;
pub mod report;
pub mod server;
pub mod simulate;
pub mod stock;
pub mod store;
pub mod tenants;
