//! Ideas: what a client may send, and the rules that turn it into an idea's state.

use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::is_blank;
use crate::error::ApiError;

/// An idea's content has the limit of the post it may become, in Unicode scalar values.
pub const MAX_CONTENT_CHARS: usize = 3_000;
/// The longest notes, in characters.
pub const MAX_NOTES_CHARS: usize = 10_000;
/// The most tags an idea may carry.
pub const MAX_TAGS: usize = 20;
/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 50;

/// The body of `POST /api/v1/ideas`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateIdeaBody {
    /// The idea itself: not blank, at most 3,000 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 3000,
             pattern = "[^\t-\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]", examples("Why most LinkedIn hooks fail"))]
    pub content: Option<String>,
    /// Free-form notes, at most 10,000 characters.
    #[schema(
        max_length = 10000,
        examples("Start with the 3 hooks that worked for me")
    )]
    pub notes: Option<String>,
    /// Short labels: at most 20, each not blank and at most 50 characters; duplicates are dropped.
    #[schema(max_items = 20, examples(json!(["hooks", "writing"])))]
    pub tags: Option<Vec<Tag>>,
}

/// A tag: not blank, at most 50 characters.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, min_length = 1, max_length = 50, pattern = "[^\t-\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]")]
pub struct Tag(pub String);

/// The body of `PUT /api/v1/ideas/{id}`: only the fields sent change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateIdeaBody {
    /// New content (not blank, at most 3,000 characters); `null` is the same as leaving it out.
    #[schema(
        min_length = 1,
        max_length = 3000,
        pattern = "[^\t-\r \u{85}\u{a0}\u{1680}\u{2000}-\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}]"
    )]
    pub content: Option<String>,
    /// New notes; `null` removes them.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub notes: Option<Option<String>>,
    /// The new list of tags (replacing the old one; `[]` removes all); `null` is the same as
    /// leaving it out.
    #[schema(max_items = 20)]
    pub tags: Option<Vec<Tag>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The client-settable state of an idea, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdeaFields {
    pub content: String,
    pub notes: Option<String>,
    pub tags: Vec<String>,
}

impl IdeaFields {
    /// Validates a new idea.
    pub fn create(body: CreateIdeaBody) -> Result<Self, ApiError> {
        let content = body
            .content
            .ok_or_else(|| ApiError::bad_request("INVALID_CONTENT", "content is required"))?;
        Ok(Self {
            content: parse_content(content)?,
            notes: body.notes.map(parse_notes).transpose()?,
            tags: parse_tags(body.tags.unwrap_or_default())?,
        })
    }

    /// Applies a partial update to the current state.
    pub fn update(current: &IdeaFields, body: UpdateIdeaBody) -> Result<Self, ApiError> {
        Ok(Self {
            content: match body.content {
                Some(content) => parse_content(content)?,
                None => current.content.clone(),
            },
            notes: match body.notes {
                Some(notes) => notes.map(parse_notes).transpose()?,
                None => current.notes.clone(),
            },
            tags: match body.tags {
                Some(tags) => parse_tags(tags)?,
                None => current.tags.clone(),
            },
        })
    }
}

fn parse_content(content: String) -> Result<String, ApiError> {
    if is_blank(&content) {
        return Err(ApiError::bad_request(
            "INVALID_CONTENT",
            "Idea content cannot be empty",
        ));
    }
    let chars = content.chars().count();
    if chars > MAX_CONTENT_CHARS {
        return Err(ApiError::bad_request(
            "INVALID_CONTENT",
            format!("Idea content is {chars} characters long; the maximum is {MAX_CONTENT_CHARS}"),
        ));
    }
    Ok(content)
}

fn parse_notes(notes: String) -> Result<String, ApiError> {
    let chars = notes.chars().count();
    if chars > MAX_NOTES_CHARS {
        return Err(ApiError::bad_request(
            "INVALID_NOTES",
            format!("notes are {chars} characters long; the maximum is {MAX_NOTES_CHARS}"),
        ));
    }
    Ok(notes)
}

fn parse_tags(tags: Vec<Tag>) -> Result<Vec<String>, ApiError> {
    if tags.len() > MAX_TAGS {
        return Err(ApiError::bad_request(
            "INVALID_TAGS",
            format!("{} tags were sent; the maximum is {MAX_TAGS}", tags.len()),
        ));
    }
    let mut kept: Vec<String> = Vec::with_capacity(tags.len());
    for Tag(tag) in tags {
        if is_blank(&tag) {
            return Err(ApiError::bad_request(
                "INVALID_TAGS",
                "a tag cannot be empty",
            ));
        }
        let chars = tag.chars().count();
        if chars > MAX_TAG_CHARS {
            return Err(ApiError::bad_request(
                "INVALID_TAGS",
                format!(
                    "the tag {tag:?} is {chars} characters long; the maximum is {MAX_TAG_CHARS}"
                ),
            ));
        }
        if !kept.contains(&tag) {
            kept.push(tag);
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: serde_json::Value) -> CreateIdeaBody {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn validation() {
        let ok = IdeaFields::create(body(serde_json::json!({
            "content": "x", "tags": ["a", "b", "a"], "notes": null
        })))
        .unwrap();
        assert_eq!(ok.tags, ["a", "b"]);
        assert_eq!(ok.notes, None);
        for bad in [
            serde_json::json!({}),
            serde_json::json!({ "content": " \u{3000}\n" }),
            serde_json::json!({ "content": "é".repeat(3_001) }),
            serde_json::json!({ "content": "x", "tags": [" "] }),
            serde_json::json!({ "content": "x", "tags": ["x".repeat(51)] }),
            serde_json::json!({ "content": "x", "tags": vec!["a"; 21] }),
            serde_json::json!({ "content": "x", "notes": "n".repeat(10_001) }),
        ] {
            assert!(IdeaFields::create(body(bad.clone())).is_err(), "{bad}");
        }
    }

    #[test]
    fn updates_tell_null_from_absent() {
        let current = IdeaFields {
            content: "c".into(),
            notes: Some("n".into()),
            tags: vec!["t".into()],
        };
        let kept: UpdateIdeaBody = serde_json::from_str("{}").unwrap();
        assert_eq!(IdeaFields::update(&current, kept).unwrap(), current);
        let cleared: UpdateIdeaBody =
            serde_json::from_str(r#"{"notes": null, "tags": []}"#).unwrap();
        let cleared = IdeaFields::update(&current, cleared).unwrap();
        assert_eq!((cleared.notes, cleared.tags.len()), (None, 0));
    }

    #[test]
    fn the_blank_pattern_is_unicode_white_space() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let listed = crate::domain::NOT_BLANK_PATTERN.contains(c) && !"[^-]".contains(c);
            let in_class =
                listed || ('\t'..='\r').contains(&c) || ('\u{2000}'..='\u{200a}').contains(&c);
            assert_eq!(c.is_whitespace(), in_class, "{:?}", c);
        }
    }
}
