//! The pages and files the host serves beside its API: the agent inbox (`/inbox`), the
//! web-chat widget's script and stylesheet, and the `/demo` site. Embedded in the binary
//! and served with strong ETags (`asset`).

mod asset;
pub mod inbox;
pub mod widget;
