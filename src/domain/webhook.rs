//! Webhooks: the events a change emits, what a subscription asks for, and which read scopes a
//! key needs to subscribe to them.

use std::fmt;

use super::scope::{Scope, Scopes};

/// Longest description a subscription may carry, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// Something that happened, as subscribers name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    PostCreated,
    PostUpdated,
    PostDeleted,
    PostScheduled,
    PostPublished,
    PostFailed,
    IdeaCreated,
    IdeaUpdated,
    IdeaDeleted,
    IdeaConverted,
    LinkedInTokenExpiring,
    LinkedInDisconnected,
    WebhookTest,
}

impl EventType {
    /// Every event type, in documentation order.
    pub const ALL: [EventType; 13] = [
        EventType::PostCreated,
        EventType::PostUpdated,
        EventType::PostDeleted,
        EventType::PostScheduled,
        EventType::PostPublished,
        EventType::PostFailed,
        EventType::IdeaCreated,
        EventType::IdeaUpdated,
        EventType::IdeaDeleted,
        EventType::IdeaConverted,
        EventType::LinkedInTokenExpiring,
        EventType::LinkedInDisconnected,
        EventType::WebhookTest,
    ];

    /// The wire name, e.g. `post.published`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PostCreated => "post.created",
            EventType::PostUpdated => "post.updated",
            EventType::PostDeleted => "post.deleted",
            EventType::PostScheduled => "post.scheduled",
            EventType::PostPublished => "post.published",
            EventType::PostFailed => "post.failed",
            EventType::IdeaCreated => "idea.created",
            EventType::IdeaUpdated => "idea.updated",
            EventType::IdeaDeleted => "idea.deleted",
            EventType::IdeaConverted => "idea.converted",
            EventType::LinkedInTokenExpiring => "linkedin.token_expiring",
            EventType::LinkedInDisconnected => "linkedin.disconnected",
            EventType::WebhookTest => "webhook.test",
        }
    }

    /// The type a wire name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The scope a key needs to read this event's data; `None` for `webhook.test`, which
    /// carries none.
    pub fn read_scope(self) -> Option<Scope> {
        match self {
            EventType::PostCreated
            | EventType::PostUpdated
            | EventType::PostDeleted
            | EventType::PostScheduled
            | EventType::PostPublished
            | EventType::PostFailed => Some(Scope::PostsRead),
            EventType::IdeaCreated
            | EventType::IdeaUpdated
            | EventType::IdeaDeleted
            | EventType::IdeaConverted => Some(Scope::IdeasRead),
            EventType::LinkedInTokenExpiring | EventType::LinkedInDisconnected => {
                Some(Scope::ProfileRead)
            }
            EventType::WebhookTest => None,
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The read scopes that carry events: the ones a subscription can need.
pub const EVENT_SCOPES: [Scope; 3] = [Scope::PostsRead, Scope::IdeasRead, Scope::ProfileRead];

/// What a subscription listens to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventFilter {
    /// `["*"]`: every event its read scopes allow.
    All,
    /// The listed types, in the order given, without repeats.
    Only(Vec<EventType>),
}

/// Why a subscription's fields are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookError {
    /// `events` is empty.
    NoEvents,
    /// `events` names a type that does not exist.
    UnknownEvent(String),
    /// `"*"` is given beside other names.
    WildcardNotAlone,
    /// The description is too long.
    DescriptionTooLong,
    /// The subscription asks for events the key may not read.
    MissingScope(Scope),
    /// `["*"]` from a key that may read no events at all.
    NothingReadable,
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookError::NoEvents => f.write_str("events must name at least one event type, or be [\"*\"]"),
            WebhookError::UnknownEvent(name) => write!(
                f,
                "events: {name:?} is not an event type; known types: {}",
                EventType::ALL.map(EventType::as_str).join(", ")
            ),
            WebhookError::WildcardNotAlone => {
                f.write_str("events: \"*\" means every event and must be the only entry")
            }
            WebhookError::DescriptionTooLong => write!(
                f,
                "description must be at most {MAX_DESCRIPTION_CHARS} characters"
            ),
            WebhookError::MissingScope(scope) => write!(
                f,
                "this API key lacks the {scope} scope needed to receive these events"
            ),
            WebhookError::NothingReadable => f.write_str(
                "this API key may read no events: [\"*\"] needs posts:read, ideas:read or profile:read",
            ),
        }
    }
}

impl std::error::Error for WebhookError {}

impl EventFilter {
    /// Parses the `events` list of a request.
    pub fn parse(names: &[String]) -> Result<Self, WebhookError> {
        if names.is_empty() {
            return Err(WebhookError::NoEvents);
        }
        if names.iter().any(|n| n == "*") {
            return if names.len() == 1 {
                Ok(EventFilter::All)
            } else {
                Err(WebhookError::WildcardNotAlone)
            };
        }
        let mut types = Vec::with_capacity(names.len());
        for name in names {
            let t =
                EventType::parse(name).ok_or_else(|| WebhookError::UnknownEvent(name.clone()))?;
            if !types.contains(&t) {
                types.push(t);
            }
        }
        Ok(EventFilter::Only(types))
    }

    /// Reads the stored form (`*` or the names joined by commas) back.
    pub fn parse_stored(text: &str) -> Result<Self, String> {
        if text == "*" {
            return Ok(EventFilter::All);
        }
        text.split(',')
            .map(|name| EventType::parse(name).ok_or(format!("unknown event type {name:?}")))
            .collect::<Result<Vec<_>, _>>()
            .map(EventFilter::Only)
    }

    /// The stored form: `*` or the names joined by commas.
    pub fn to_stored(&self) -> String {
        self.names().join(",")
    }

    /// The wire form: `["*"]` or the names.
    pub fn names(&self) -> Vec<&'static str> {
        match self {
            EventFilter::All => vec!["*"],
            EventFilter::Only(types) => types.iter().map(|t| t.as_str()).collect(),
        }
    }

    /// The read scopes a key needs for this filter, given the scopes of the key that sets it:
    /// for `All`, the key's own event-reading scopes (every event it may read); for a list,
    /// each listed type's scope, which the key must hold.
    pub fn read_scopes(&self, key_scopes: Scopes) -> Result<Scopes, WebhookError> {
        match self {
            EventFilter::All => {
                let readable: Scopes = EVENT_SCOPES
                    .into_iter()
                    .filter(|s| key_scopes.contains(*s))
                    .collect();
                if readable.is_empty() {
                    Err(WebhookError::NothingReadable)
                } else {
                    Ok(readable)
                }
            }
            EventFilter::Only(types) => {
                let needed: Scopes = types.iter().filter_map(|t| t.read_scope()).collect();
                match needed.iter().find(|s| !key_scopes.contains(*s)) {
                    Some(missing) => Err(WebhookError::MissingScope(missing)),
                    None => Ok(needed),
                }
            }
        }
    }

    /// Whether a subscription with this filter and `read_scopes` receives `event`.
    pub fn matches(&self, read_scopes: Scopes, event: EventType) -> bool {
        match self {
            EventFilter::All => event
                .read_scope()
                .is_some_and(|scope| read_scopes.contains(scope)),
            EventFilter::Only(types) => types.contains(&event),
        }
    }
}

/// Checks a description's length.
pub fn check_description(description: Option<&str>) -> Result<(), WebhookError> {
    match description {
        Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => {
            Err(WebhookError::DescriptionTooLong)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn every_type_round_trips_its_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse("post.exploded"), None);
    }

    #[test]
    fn filters_parse_and_refuse_what_they_should() {
        assert_eq!(EventFilter::parse(&names(&["*"])), Ok(EventFilter::All));
        assert_eq!(
            EventFilter::parse(&names(&["post.created", "post.created", "idea.deleted"])),
            Ok(EventFilter::Only(vec![
                EventType::PostCreated,
                EventType::IdeaDeleted
            ]))
        );
        assert_eq!(EventFilter::parse(&[]), Err(WebhookError::NoEvents));
        assert_eq!(
            EventFilter::parse(&names(&["*", "post.created"])),
            Err(WebhookError::WildcardNotAlone)
        );
        assert!(matches!(
            EventFilter::parse(&names(&["post.exploded"])),
            Err(WebhookError::UnknownEvent(_))
        ));
    }

    #[test]
    fn a_key_needs_the_read_scope_of_every_event_it_subscribes_to() {
        let posts_only = Scopes::parse_list("posts:read,posts:write").unwrap();
        let filter = EventFilter::parse(&names(&["post.published", "idea.created"])).unwrap();
        assert_eq!(
            filter.read_scopes(posts_only),
            Err(WebhookError::MissingScope(Scope::IdeasRead))
        );
        let wildcard = EventFilter::All.read_scopes(posts_only).unwrap();
        assert_eq!(wildcard.names(), ["posts:read"]);
        assert!(EventFilter::All.matches(wildcard, EventType::PostFailed));
        assert!(!EventFilter::All.matches(wildcard, EventType::IdeaCreated));
        assert!(!EventFilter::All.matches(wildcard, EventType::WebhookTest));
        let write_only = Scopes::parse_list("posts:write").unwrap();
        assert_eq!(
            EventFilter::All.read_scopes(write_only),
            Err(WebhookError::NothingReadable)
        );
    }
}
