//! The integration tests: each spawns the real server and talks HTTP to it.

mod account;
mod analytics;
mod auth;
mod browser;
mod cli;
mod docs;
mod errors;
mod etags;
mod helpers;
mod hostile_input;
mod ideas;
mod idempotency;
mod linkedin_client;
mod linkedin_fake;
mod posts;
mod rate_limits;
mod revocation;
mod scope_matrix;
mod storage;
mod web;
mod web_browser;
mod web_burst;
mod web_client;
mod web_keys;
mod web_posts;
mod web_profile;
