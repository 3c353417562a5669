//! Standard Webhooks delivery: signatures, the private-network guard, the client, the retries.

pub mod signing;
