//! `baton load`: drive one or more real hosts over HTTP with synthetic conversations and
//! measure durable ingest (events per second, latency percentiles, errors by status, the CPU
//! of the generator and of the server), against a baseline in the same run.
//!
//! | module | concern |
//! |---|---|
//! | `workload` | the conversations sent: scripts, escalating share, ids, keys |
//! | `conn` | one HTTP/1.1 keep-alive connection (hyper's client connection) |
//! | `phase` | one phase: open loop at a fixed rate (scheduled, no coordinated omission) or closed loop |
//! | `measure` | latency percentiles, statuses, CPU time from `/proc` |
//! | `verify` | every acknowledged event read back from its host's store |
//! | `prepare` | a policies folder (demo or N generated tenants) and a channel key per tenant |
//! | `report` | the table and the ratios against the baseline |

pub mod conn;
pub mod measure;
pub mod phase;
pub mod prepare;
pub mod report;
pub mod verify;
pub mod workload;
