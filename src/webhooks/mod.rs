//! Standard Webhooks delivery: signatures, the private-network guard, the client, the retries,
//! and the worker that sends what the store's outbox queued.

pub mod address;
pub mod client;
pub mod schedule;
pub mod settings;
pub mod signing;
pub mod worker;

pub use worker::Webhooks;
