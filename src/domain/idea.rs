//! Ideas: what a client may send, and the rules that turn it into an idea's state.

use super::is_blank;

/// An idea's content has the limit of the post it may become, in Unicode scalar values.
pub const MAX_CONTENT_CHARS: usize = 3_000;
/// The longest notes, in characters.
pub const MAX_NOTES_CHARS: usize = 10_000;
/// The most tags an idea may carry.
pub const MAX_TAGS: usize = 20;
/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 50;

/// What a client sent for an idea, each part as sent (`None`: left out; `notes: Some(None)`: sent
/// as `null`, which clears them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdeaInput {
    pub content: Option<String>,
    pub notes: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
}

/// Why an idea's content, notes or tags were refused; the messages are the API's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdeaError {
    #[error("content is required")]
    ContentMissing,
    #[error("Idea content cannot be empty")]
    ContentBlank,
    #[error("Idea content is {chars} characters long; the maximum is {MAX_CONTENT_CHARS}")]
    ContentTooLong { chars: usize },
    #[error("notes are {chars} characters long; the maximum is {MAX_NOTES_CHARS}")]
    NotesTooLong { chars: usize },
    #[error("{count} tags were sent; the maximum is {MAX_TAGS}")]
    TooManyTags { count: usize },
    #[error("a tag cannot be empty")]
    TagBlank,
    #[error("the tag {tag:?} is {chars} characters long; the maximum is {MAX_TAG_CHARS}")]
    TagTooLong { tag: String, chars: usize },
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
    pub fn create(body: IdeaInput) -> Result<Self, IdeaError> {
        let content = body.content.ok_or(IdeaError::ContentMissing)?;
        Ok(Self {
            content: parse_content(content)?,
            notes: body.notes.flatten().map(parse_notes).transpose()?,
            tags: parse_tags(body.tags.unwrap_or_default())?,
        })
    }

    /// Applies a partial update to the current state.
    pub fn update(current: &IdeaFields, body: IdeaInput) -> Result<Self, IdeaError> {
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

fn parse_content(content: String) -> Result<String, IdeaError> {
    if is_blank(&content) {
        return Err(IdeaError::ContentBlank);
    }
    let chars = content.chars().count();
    if chars > MAX_CONTENT_CHARS {
        return Err(IdeaError::ContentTooLong { chars });
    }
    Ok(content)
}

fn parse_notes(notes: String) -> Result<String, IdeaError> {
    let chars = notes.chars().count();
    if chars > MAX_NOTES_CHARS {
        return Err(IdeaError::NotesTooLong { chars });
    }
    Ok(notes)
}

fn parse_tags(tags: Vec<String>) -> Result<Vec<String>, IdeaError> {
    if tags.len() > MAX_TAGS {
        return Err(IdeaError::TooManyTags { count: tags.len() });
    }
    let mut kept: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        if is_blank(&tag) {
            return Err(IdeaError::TagBlank);
        }
        let chars = tag.chars().count();
        if chars > MAX_TAG_CHARS {
            return Err(IdeaError::TagTooLong { tag, chars });
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

    fn input(content: &str, notes: Option<String>, tags: &[String]) -> IdeaInput {
        IdeaInput {
            content: Some(content.into()),
            notes: Some(notes),
            tags: Some(tags.to_vec()),
        }
    }

    #[test]
    fn validation() {
        let ok = IdeaFields::create(input("x", None, &["a".into(), "b".into(), "a".into()]));
        let ok = ok.unwrap();
        assert_eq!(ok.tags, ["a", "b"]);
        assert_eq!(ok.notes, None);
        let missing = IdeaFields::create(IdeaInput::default());
        assert_eq!(missing, Err(IdeaError::ContentMissing));
        for bad in [
            input(" \u{3000}\n", None, &[]),
            input(&"é".repeat(3_001), None, &[]),
            input("x", None, &[" ".into()]),
            input("x", None, &["x".repeat(51)]),
            input("x", None, &vec!["a".into(); 21]),
            input("x", Some("n".repeat(10_001)), &[]),
        ] {
            assert!(IdeaFields::create(bad.clone()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn updates_keep_what_was_left_out() {
        let current = IdeaFields {
            content: "c".into(),
            notes: Some("n".into()),
            tags: vec!["t".into()],
        };
        let kept = IdeaFields::update(&current, IdeaInput::default()).unwrap();
        assert_eq!(kept, current);
        let cleared = IdeaInput {
            notes: Some(None),
            tags: Some(vec![]),
            ..IdeaInput::default()
        };
        let cleared = IdeaFields::update(&current, cleared).unwrap();
        assert_eq!((cleared.notes, cleared.tags.len()), (None, 0));
    }

    #[test]
    fn the_blank_pattern_is_unicode_white_space() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let listed = crate::domain::NOT_BLANK_PATTERN.contains(c) && !"[^-]".contains(c);
            let in_class =
                listed || ('\t'..='\r').contains(&c) || ('\u{2000}'..='\u{200a}').contains(&c);
            assert_eq!(c.is_whitespace(), in_class, "{c:?}");
        }
    }
}
