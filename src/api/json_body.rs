//! Reading a JSON request body, and saying what is wrong with one in the API's terms: which
//! field, and what it must be as JSON (an object, a string, an array …). serde's own messages
//! name the server's types ("expected struct CreatePostBody"), which mean nothing to a client.

use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::{Path, Segment};

use crate::api::error::ApiError;

/// Whether the request says its body is JSON (`application/json` or `application/…+json`).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<mime::Mime>().ok())
        .is_some_and(|mime| {
            mime.type_() == "application"
                && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
        })
}

/// Reads `bytes` as a `T`, or says in the API's words why they are not one.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => match deserializer.end() {
            Ok(()) => Ok(value),
            Err(err) => Err(malformed(&err)),
        },
        Err(err) => Err(explain(bytes, err.path(), err.inner())),
    }
}

fn malformed(err: &serde_json::Error) -> ApiError {
    let message = if err.to_string().starts_with("recursion limit exceeded") {
        "the request body nests arrays and objects more than 128 levels deep"
    } else {
        "the request body is not valid JSON"
    };
    ApiError::bad_request("MALFORMED_JSON", message)
}

fn invalid(message: &str) -> ApiError {
    ApiError::bad_request("INVALID_BODY", format!("invalid request body: {message}"))
}

/// Explains a body that `T` refused. The JSON itself (parsed again, only on this path) says
/// what the client sent at `path`; serde's message says only what was expected there.
fn explain(bytes: &[u8], path: &Path, err: &serde_json::Error) -> ApiError {
    if !err.is_data() {
        return malformed(err);
    }
    let root: Value = match serde_json::from_slice(bytes) {
        Ok(root) => root,
        // A shape error came first, but the JSON is broken further on.
        Err(err) => return malformed(&err),
    };
    if !root.is_object() {
        return invalid(&format!(
            "the body must be a JSON object, not {}",
            kind(&root)
        ));
    }
    invalid(&describe(path, &serde_message(err), &root))
}

/// serde's message without serde_json's " at line 1 column 9".
fn serde_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// One sentence about the field at `path`, from serde's `message` (whose fixed forms are those
/// of `serde::de::Error`) and the value the client sent.
fn describe(path: &Path, message: &str, root: &Value) -> String {
    let segments: Vec<&Segment> = path.iter().collect();
    let field = field_name(&segments);
    let sent = value_at(root, path).map_or_else(|| "this value".to_owned(), shown);
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (name, allowed) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let allowed = allowed.strip_prefix("one of ").unwrap_or(allowed);
        // The path ends at the unknown field itself; the place is the object around it.
        let parent = field_name(&segments[..segments.len().saturating_sub(1)]);
        let place = parent.map_or_else(String::new, |f| format!(" in {f}"));
        return if allowed.starts_with('`') {
            format!("unknown field {name}{place}; allowed: {allowed}")
        } else {
            format!("unknown field {name}{place}; no fields are allowed there")
        };
    }
    let inner = |name: &str| match &field {
        Some(parent) => format!("`{}.{}`", parent.trim_matches('`'), name.trim_matches('`')),
        None => name.to_owned(),
    };
    if let Some(name) = message.strip_prefix("missing field ") {
        return format!("{} is required", inner(name));
    }
    if let Some(name) = message.strip_prefix("duplicate field ") {
        return format!("{} appears more than once", inner(name));
    }
    let field = field.unwrap_or_else(|| "the body".to_owned());
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        // The names serde lists are the JSON values: "`a`", "`a` or `b`", "one of `a`, `b`, …".
        return match rest.split_once(", expected ") {
            Some((_, allowed)) => format!("{field} must be {allowed}, not {sent}"),
            None => format!("{field} cannot be {sent}"),
        };
    }
    let expected = message
        .split_once(", expected ")
        .and_then(|(_, expected)| json_kind(expected));
    match expected {
        Some(expected) => format!("{field} must be {expected}, not {sent}"),
        None => format!("{field} cannot be {sent}"),
    }
}

/// The field at `path` as a client writes it (`` `tags[0]` ``); `None` for the body itself.
fn field_name(path: &[&Segment]) -> Option<String> {
    let mut name = String::new();
    for segment in path {
        match segment {
            Segment::Map { key } if name.is_empty() => name.push_str(key),
            Segment::Map { key } => {
                name.push('.');
                name.push_str(key);
            }
            Segment::Seq { index } => name.push_str(&format!("[{index}]")),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    (!name.is_empty()).then(|| format!("`{name}`"))
}

fn value_at<'a>(root: &'a Value, path: &Path) -> Option<&'a Value> {
    path.iter().try_fold(root, |value, segment| match segment {
        Segment::Map { key } => value.get(key),
        Segment::Seq { index } => value.get(index),
        Segment::Enum { .. } | Segment::Unknown => Some(value),
    })
}

/// A value as "… not {shown}" shows it: short scalars as they were sent, the rest by kind.
fn shown(value: &Value) -> String {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::String(text) if text.chars().count() <= 40 => value.to_string(),
        _ => kind(value).to_owned(),
    }
}

/// What a JSON value is, as the sentence "… not {kind}" needs it.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// serde's name for what a Rust type accepts, as the JSON a client sends; `None` for names
/// that would only say something about the server's code.
fn json_kind(expected: &str) -> Option<&'static str> {
    let number = |name: &str| {
        name.len() > 1
            && matches!(name.as_bytes()[0], b'u' | b'i')
            && (name[1..].bytes().all(|b| b.is_ascii_digit()) || &name[1..] == "size")
    };
    match expected {
        "a string" | "a borrowed string" | "a character" => Some("a string"),
        "a sequence" | "a tuple" => Some("an array"),
        "a map" | "map" => Some("a JSON object"),
        "a boolean" => Some("true or false"),
        "f32" | "f64" => Some("a number"),
        "unit" => Some("null"),
        name if number(name) => Some("a whole number"),
        name if name.starts_with("struct ") => Some("a JSON object"),
        name if name.starts_with("tuple") || name.starts_with("an array") => Some("an array"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Body {
        content: Option<String>,
        tags: Option<Vec<String>>,
        limit: Option<u32>,
        draft: Option<bool>,
        inner: Option<Inner>,
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Draft,
    }

    fn message(body: &str) -> (String, String) {
        match parse::<Body>(body.as_bytes()) {
            Ok(parsed) => panic!("{body} parsed as {parsed:?}"),
            Err(ApiError::BadRequest { code, message }) => (code.to_owned(), message),
            Err(other) => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn messages_name_the_field_and_the_json_expected() {
        for (body, expected) in [
            ("[]", "the body must be a JSON object, not an array"),
            ("\"x\"", "the body must be a JSON object, not a string"),
            ("5", "the body must be a JSON object, not a number"),
            ("null", "the body must be a JSON object, not null"),
            ("true", "the body must be a JSON object, not a boolean"),
            (r#"{"content": 5}"#, "`content` must be a string, not 5"),
            (r#"{"content": []}"#, "`content` must be a string, not an array"),
            (r#"{"tags": "a"}"#, "`tags` must be an array, not \"a\""),
            (r#"{"tags": ["a", 1.5]}"#, "`tags[1]` must be a string, not 1.5"),
            (r#"{"limit": "9"}"#, "`limit` must be a whole number, not \"9\""),
            (r#"{"limit": -1}"#, "`limit` must be a whole number, not -1"),
            (r#"{"draft": 1}"#, "`draft` must be true or false, not 1"),
            (r#"{"draft": {"a": 1}}"#, "`draft` must be true or false, not an object"),
            (r#"{"inner": []}"#, "`inner` must be a JSON object, not an array"),
            (r#"{"inner": {}}"#, "`inner.name` is required"),
            (r#"{"inner": {"name": null}}"#, "`inner.name` must be a string, not null"),
            (r#"{"inner": {"name": "a", "x": 1}}"#, "unknown field `x` in `inner`; allowed: `name`"),
            (r#"{"kind": "gone"}"#, "`kind` must be `draft`, not \"gone\""),
            (r#"{"content": "a", "content": "b"}"#, "`content` appears more than once"),
            (
                r#"{"scheduled_at": "x"}"#,
                "unknown field `scheduled_at`; allowed: `content`, `tags`, `limit`, `draft`, `inner`, `kind`",
            ),
        ] {
            let (code, message) = message(body);
            assert_eq!(code, "INVALID_BODY", "{body}");
            assert_eq!(message, format!("invalid request body: {expected}"), "{body}");
        }
    }

    #[test]
    fn broken_json_is_malformed() {
        for body in ["{", "{\"content\": 5,", "{} x", ""] {
            assert_eq!(message(body).0, "MALFORMED_JSON", "{body}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let (code, text) = message(&deep);
        assert_eq!(code, "MALFORMED_JSON");
        assert!(text.contains("128 levels"), "{text}");
    }

    #[test]
    fn only_json_content_types_are_json() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("application/json; charset=utf-8"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/jsonx"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
