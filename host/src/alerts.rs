//! Signed webhooks from the durable outbox: each lifecycle event a tenant's webhook wants is
//! written to the outbox in the same transaction as the change it reports, then posted with
//! retries and backoff, so an alert survives a restart.

mod deliver;
pub mod email;
mod sign;
pub mod sms;

pub use deliver::{run_deliveries, Deliverer};
pub use sign::{sign, verify, SIGNATURE_HEADER};
