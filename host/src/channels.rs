//! Channels: where customers reach Baton besides a channel's own integration.
//!
//! - `widget`: the web-chat widget (`/widget.js`), its sessions and the `/demo` site;
//!   `bot` is its hook to the integrator's bot (and the scripted demo bot).
//! - `twilio`: the SMS bridge's inbound side (Twilio's webhook form and signature);
//!   `sms`: the outbound [`sms::SmsSender`] interface and its Twilio REST implementation.
//! - `outbound`: replies, notices and agent alerts that leave through the durable outbox.
//!
//! The HTTP handlers are `api/widget.rs` and `api/sms.rs`.

pub mod bot;
pub mod outbound;
pub mod sms;
pub mod twilio;
pub mod widget;
