//! What webhook events carry: each record exactly as the API returns it.

use std::sync::Arc;

use serde_json::Value;

use crate::publisher::connection::ConnectionStatus;
use crate::store::publishing::LinkedInAccount;
use crate::store::webhooks::EventPayloads;
use crate::store::{Idea, Post};

use super::account::LinkedInView;
use super::ideas::IdeaView;
use super::posts::PostView;

/// The API's shapes, for the store to put in events.
pub struct ApiPayloads;

/// The payloads every store of the server uses.
pub fn payloads() -> Arc<dyn EventPayloads> {
    Arc::new(ApiPayloads)
}

fn to_value(view: impl serde::Serialize) -> Value {
    // Serializing a view of plain fields cannot fail.
    serde_json::to_value(view).unwrap_or(Value::Null)
}

impl EventPayloads for ApiPayloads {
    fn post(&self, post: &Post) -> Value {
        to_value(PostView::from(post.clone()))
    }

    fn idea(&self, idea: &Idea) -> Value {
        to_value(IdeaView::from(idea.clone()))
    }

    fn linkedin(&self, account: Option<&LinkedInAccount>, now: i64) -> Value {
        to_value(LinkedInView::from(ConnectionStatus::of(account, now)))
    }
}
