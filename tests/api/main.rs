//! The integration tests: each spawns the real server and talks HTTP to it.

mod auth;
mod cli;
mod errors;
mod helpers;
mod posts;
mod rate_limits;
mod web;
mod web_client;
