//! The handoff desk: what happens to a conversation event, and to a handoff over its life.
//!
//! Every operation here reads what it needs, asks the tenant's policies (in the sandbox),
//! and commits one write set: the message, the decision log entry, the handoff change, the
//! lifecycle events and their webhook deliveries together. Nothing is acknowledged before
//! that write is durable.

/// The name a channel gives a customer it knows nothing about (a web visitor who gave no
/// name): such a customer is their own, per conversation, never merged with another, and is
/// not greeted by it.
pub const ANONYMOUS_CUSTOMER: &str = "Web visitor";

mod abandon;
mod accept_link;
mod brief;
mod desk;
mod ingest;
mod lifecycle;
mod notice;
mod operations;
mod queue;
mod reroute;
mod roster;
pub mod segments;
mod transitions;
mod wait;
pub mod whole;
mod widget_turn;

pub use accept_link::{LinkAccepted, LinkOffer};
pub use brief::{build_brief, Brief};
pub use desk::{Desk, DeskError};
pub use ingest::{
    valid_conversation_id, DecisionView, IngestRequest, IngestResponse, Ingested, NoticeView,
    MAX_TEXT,
};
pub use lifecycle::{Outcome, ResolveRequest};
pub(crate) use roster::build as roster_of;
pub use transitions::AbandonedBy;
pub use wait::WaitEstimate;
pub use widget_turn::{TurnTaken, Visitor, WidgetTurn};
