//! Types that parse and validate what clients send, shared by handlers and background work.

pub mod post;
pub mod time;
