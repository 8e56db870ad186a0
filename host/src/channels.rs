//! Channels: where customers reach Baton besides a channel's own integration.
//!
//! - `widget`: the web-chat widget's sessions (its files and `/demo` are `api/web/widget.rs`);
//!   `bot` is its hook to the integrator's bot (and the scripted demo bot).
//! - `twilio`: the SMS bridge's inbound side (Twilio's webhook form and signature);
//!   `sms`: the outbound [`sms::SmsSender`] interface and its Twilio REST implementation.
//!
//! Replies, notices and agent alerts leave through the durable outbox (`outbox`).
//!
//! The HTTP handlers are `api/widget.rs` and `api/sms.rs`.

pub mod bot;
pub mod sms;
pub mod twilio;
pub mod widget;
