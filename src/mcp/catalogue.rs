//! The tools `/mcp` offers: their names, arguments (the REST fields, camelCase), input schemas,
//! one-line descriptions, hints, and the scopes each needs. The names and arguments are a
//! contract with the assistants that call them; `tools/list` shows a key only what it may use.

use std::sync::Arc;

use rmcp::model::{Tool, ToolAnnotations};
use serde_json::{json, Value};

use crate::domain::Scope;

/// What kind of change a tool makes, for the hints an assistant reads before calling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Reads only (and `validate_post`, which changes nothing).
    Read,
    /// Creates something new each time.
    Create,
    /// Sets fields to the values sent: the same call twice leaves the same state.
    Update,
    /// Removes something for good.
    Delete,
    /// Sends something to the outside world (LinkedIn) that cannot be taken back.
    Send,
}

/// One tool.
#[derive(Debug)]
pub struct ToolSpec {
    pub name: &'static str,
    pub description: &'static str,
    /// Every scope the key must hold, as the REST endpoint behind it needs.
    pub scopes: &'static [Scope],
    pub effect: Effect,
    /// The input schema's `properties`.
    properties: fn() -> Value,
    /// The arguments that must be present.
    required: &'static [&'static str],
}

impl ToolSpec {
    /// Whether a key with `scopes` may call this tool.
    pub fn allowed(&self, scopes: crate::domain::Scopes) -> bool {
        self.scopes.iter().all(|scope| scopes.contains(*scope))
    }

    /// The tool as `tools/list` describes it.
    pub fn describe(&self) -> Tool {
        let schema = json!({
            "type": "object",
            "properties": (self.properties)(),
            "required": self.required,
            "additionalProperties": false,
        });
        let Value::Object(schema) = schema else {
            unreachable!("the schema is an object")
        };
        let hints = ToolAnnotations::new()
            .read_only(self.effect == Effect::Read)
            .destructive(matches!(self.effect, Effect::Delete | Effect::Send))
            .idempotent(matches!(
                self.effect,
                Effect::Read | Effect::Update | Effect::Delete
            ))
            // Only publishing reaches beyond this server's own data.
            .open_world(self.effect == Effect::Send);
        Tool::new(self.name, self.description, Arc::new(schema)).annotate(hints)
    }
}

/// The tool named `name`.
pub fn find(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|tool| tool.name == name)
}

/// Every tool, in the order `tools/list` gives them.
pub static TOOLS: &[ToolSpec] = &[
    ToolSpec {
        name: "list_posts",
        description: "List your LinkedIn posts, newest first, optionally only those with one status.",
        scopes: &[Scope::PostsRead],
        effect: Effect::Read,
        properties: || json!({"status": post_status_filter(), "limit": limit(), "offset": offset()}),
        required: &[],
    },
    ToolSpec {
        name: "get_post",
        description: "Read one post by its id (post_…): text, status, schedule, LinkedIn link.",
        scopes: &[Scope::PostsRead],
        effect: Effect::Read,
        properties: || json!({"id": post_id()}),
        required: &["id"],
    },
    ToolSpec {
        name: "create_post",
        description: "Create a post as a draft, or scheduled for a future time (status scheduled plus scheduledAt).",
        scopes: &[Scope::PostsWrite],
        effect: Effect::Create,
        properties: || json!({"content": content(), "status": settable_status(), "scheduledAt": scheduled_at()}),
        required: &["content"],
    },
    ToolSpec {
        name: "update_post",
        description: "Change a post's content, status or schedule; fields left out stay as they are.",
        scopes: &[Scope::PostsWrite],
        effect: Effect::Update,
        properties: || json!({"id": post_id(), "content": content(), "status": settable_status(), "scheduledAt": scheduled_at()}),
        required: &["id"],
    },
    ToolSpec {
        name: "delete_post",
        description: "Delete a post from LinkedGrow for good (a published post stays on LinkedIn).",
        scopes: &[Scope::PostsDelete],
        effect: Effect::Delete,
        properties: || json!({"id": post_id()}),
        required: &["id"],
    },
    ToolSpec {
        name: "publish_post",
        description: "Publish a draft, scheduled or failed post on LinkedIn now, publicly.",
        scopes: &[Scope::PostsWrite],
        effect: Effect::Send,
        properties: || json!({"id": post_id()}),
        required: &["id"],
    },
    ToolSpec {
        name: "list_ideas",
        description: "List your post ideas, newest first, optionally only those with one tag.",
        scopes: &[Scope::IdeasRead],
        effect: Effect::Read,
        properties: || json!({"tag": {"type": "string", "description": "Only ideas carrying exactly this tag."}, "limit": limit(), "offset": offset()}),
        required: &[],
    },
    ToolSpec {
        name: "get_idea",
        description: "Read one idea by its id (idea_…): content, notes, tags, the post it became.",
        scopes: &[Scope::IdeasRead],
        effect: Effect::Read,
        properties: || json!({"id": idea_id()}),
        required: &["id"],
    },
    ToolSpec {
        name: "create_idea",
        description: "Save an idea for a future post, with optional notes and tags.",
        scopes: &[Scope::IdeasWrite],
        effect: Effect::Create,
        properties: || json!({"content": content(), "notes": notes(), "tags": tags()}),
        required: &["content"],
    },
    ToolSpec {
        name: "update_idea",
        description: "Change an idea's content, notes (null removes them) or tags (replacing them); fields left out stay.",
        scopes: &[Scope::IdeasWrite],
        effect: Effect::Update,
        properties: || json!({"id": idea_id(), "content": content(), "notes": nullable(notes()), "tags": tags()}),
        required: &["id"],
    },
    ToolSpec {
        name: "delete_idea",
        description: "Delete an idea for good; a post made from it stays.",
        scopes: &[Scope::IdeasWrite],
        effect: Effect::Delete,
        properties: || json!({"id": idea_id()}),
        required: &["id"],
    },
    ToolSpec {
        name: "convert_idea",
        description: "Turn an idea into a draft post with its content; an idea converts once.",
        scopes: &[Scope::IdeasWrite, Scope::PostsWrite],
        effect: Effect::Create,
        properties: || json!({"id": idea_id()}),
        required: &["id"],
    },
    ToolSpec {
        name: "get_analytics",
        description: "Account figures (impressions, reach, reactions, comments, reposts) per day and in total over a date range.",
        scopes: &[Scope::AnalyticsRead],
        effect: Effect::Read,
        properties: || json!({
            "from": day("First day (UTC); default 29 days before `to`."),
            "to": day("Last day (UTC), included; default today; at most 366 days after `from`."),
        }),
        required: &[],
    },
    ToolSpec {
        name: "get_post_analytics",
        description: "One published post's figures per day and in total, from its publication day to today by default.",
        scopes: &[Scope::AnalyticsRead],
        effect: Effect::Read,
        properties: || json!({
            "id": post_id(),
            "from": day("First day (UTC); default the day of publication."),
            "to": day("Last day (UTC), included; default today."),
        }),
        required: &["id"],
    },
    ToolSpec {
        name: "get_profile",
        description: "Your account: name, email, plan, timezone and the connected LinkedIn member.",
        scopes: &[Scope::ProfileRead],
        effect: Effect::Read,
        properties: || json!({}),
        required: &[],
    },
    ToolSpec {
        name: "validate_post",
        description: "Dry run: would this post be accepted, how long is it against 3,000 characters, and the exact text LinkedIn would receive. Changes nothing.",
        scopes: &[Scope::PostsRead],
        effect: Effect::Read,
        properties: || json!({"content": content(), "scheduledAt": scheduled_at()}),
        required: &["content"],
    },
];

fn post_id() -> Value {
    json!({"type": "string", "pattern": "^post_[A-Za-z0-9]{16}$", "description": "The post's id (post_…)."})
}

fn idea_id() -> Value {
    json!({"type": "string", "pattern": "^idea_[A-Za-z0-9]{16}$", "description": "The idea's id (idea_…)."})
}

fn content() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 3000,
           "description": "The text: not blank, at most 3,000 characters; #words become LinkedIn hashtags."})
}

fn settable_status() -> Value {
    json!({"type": "string", "enum": ["draft", "scheduled"],
           "description": "draft (the default) or scheduled; scheduled needs scheduledAt."})
}

fn post_status_filter() -> Value {
    json!({"type": "string", "enum": ["draft", "scheduled", "published", "failed"],
           "description": "Only posts with this status."})
}

fn scheduled_at() -> Value {
    json!({"type": "string", "format": "date-time",
           "description": "When to publish: RFC 3339 with an offset, in the future; only with status scheduled."})
}

fn notes() -> Value {
    json!({"type": "string", "maxLength": 10000, "description": "Free-form notes."})
}

fn nullable(mut schema: Value) -> Value {
    schema["type"] = json!(["string", "null"]);
    schema
}

fn tags() -> Value {
    json!({"type": "array", "maxItems": 20,
           "items": {"type": "string", "minLength": 1, "maxLength": 50},
           "description": "Short labels, at most 20; duplicates are dropped."})
}

fn limit() -> Value {
    json!({"type": "integer", "minimum": 1, "maximum": 100, "description": "Page size (default 20)."})
}

fn offset() -> Value {
    json!({"type": "integer", "minimum": 0, "description": "How many to skip (default 0)."})
}

fn day(description: &str) -> Value {
    json!({"type": "string", "format": "date", "description": format!("{description} YYYY-MM-DD.")})
}
