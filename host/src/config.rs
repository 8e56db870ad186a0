//! The tenant TOML schema (being written).
