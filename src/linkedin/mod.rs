//! The LinkedIn client: connecting a member, publishing, deleting and reading analytics, with
//! one classification of failures and tokens sealed at rest.

pub mod crypto;
pub mod little_text;
pub mod secret;
