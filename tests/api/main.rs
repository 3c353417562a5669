//! The integration tests: each spawns the real server and talks HTTP to it.

mod auth;
mod browser;
mod cli;
mod errors;
mod helpers;
mod posts;
mod rate_limits;
mod web;
mod web_browser;
mod web_client;
mod web_keys;
mod web_posts;
mod web_profile;
