//! Everything that leaves the host goes through the durable outbox: signed webhooks, replies
//! and notices to a customer's phone, and offer alerts to an agent's phone or email. A row is
//! written in the same transaction as the change it reports, then sent with retries and
//! backoff, so nothing is lost to a restart.
//!
//! Where a row goes is a typed [`Destination`] (the store keeps its kind in its own column);
//! a new channel is a new variant. `enqueue` decides which rows an event calls for,
//! `deliver` claims due rows and sends each through its adapter: HTTP for webhooks (signed
//! by `sign`), the tenant's SMS sender (`channels::sms`) and the SMTP relay (`email`), with
//! alert texts written by `alert_text`, each carrying a one-time link that accepts the
//! offer (`accept_link`).

pub mod accept_link;
pub mod alert_text;
mod channel;
mod deliver;
pub mod email;
mod enqueue;
mod sign;

pub use crate::store::Destination;
pub use channel::ChannelSender;
pub use deliver::{run_deliveries, Deliverer, MAX_ATTEMPTS};
pub(crate) use enqueue::push;
pub use sign::{sign, verify, SIGNATURE_HEADER};
