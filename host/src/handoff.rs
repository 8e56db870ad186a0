//! The handoff desk: what happens to a conversation event, and to a handoff over its life.
//!
//! Every operation here reads what it needs, asks the tenant's policies (in the sandbox),
//! and commits one write set: the message, the decision log entry, the handoff change, the
//! lifecycle events and their webhook deliveries together. Nothing is acknowledged before
//! that write is durable.

mod brief;
mod desk;
mod ingest;
mod lifecycle;
mod notice;
mod queue;
mod retry;
mod roster;
mod wait;

pub use brief::{build_brief, Brief};
pub use desk::{Desk, DeskError};
pub use ingest::{
    valid_conversation_id, DecisionView, IngestRequest, IngestResponse, NoticeView, MAX_TEXT,
};
pub use lifecycle::{Outcome, ResolveRequest};
pub use wait::WaitEstimate;
