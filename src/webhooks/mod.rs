//! Standard Webhooks delivery: signatures, the private-network guard, the client, the retries.

pub mod address;
pub mod client;
pub mod schedule;
pub mod settings;
pub mod signing;
