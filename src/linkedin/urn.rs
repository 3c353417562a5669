//! The URN LinkedIn gives a post (`urn:li:share:N` or `urn:li:ugcPost:N`) and how it goes into
//! a URL.

use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What URL-encoding leaves alone: RFC 3986's unreserved characters. Everything else, `:`
/// included, is percent-encoded, which is what both a path segment and a Rest.li value need.
pub(crate) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes `text` for a URL path segment or a Rest.li 2.0 value.
pub(crate) fn encode_component(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// The two kinds of post URN the Posts API answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostKind {
    /// `urn:li:share:N`
    Share,
    /// `urn:li:ugcPost:N`
    UgcPost,
}

/// A post's URN, as LinkedIn sent it in `x-restli-id` or in a `DUPLICATE_POST` message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PostUrn {
    kind: PostKind,
    id: String,
}

impl PostUrn {
    /// Parses `urn:li:share:N` or `urn:li:ugcPost:N` (N: digits); anything else is `None`.
    pub fn parse(urn: &str) -> Option<Self> {
        let (kind, id) = if let Some(id) = urn.strip_prefix("urn:li:share:") {
            (PostKind::Share, id)
        } else if let Some(id) = urn.strip_prefix("urn:li:ugcPost:") {
            (PostKind::UgcPost, id)
        } else {
            return None;
        };
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Self {
            kind,
            id: id.to_owned(),
        })
    }

    /// Share or ugcPost.
    pub fn kind(&self) -> PostKind {
        self.kind
    }

    /// The numeric part.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The URN as one URL path segment: `urn%3Ali%3Ashare%3AN`.
    pub fn path_segment(&self) -> String {
        encode_component(&self.to_string())
    }

    /// The Rest.li 2.0 `entity` value of `memberCreatorPostAnalytics`: the key names the URN's
    /// type (`share` or `ugc`), the parentheses and colon are syntax, the URN inside is encoded.
    pub fn analytics_entity(&self) -> String {
        let key = match self.kind {
            PostKind::Share => "share",
            PostKind::UgcPost => "ugc",
        };
        format!("({key}:{})", self.path_segment())
    }
}

impl fmt::Display for PostUrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            PostKind::Share => "share",
            PostKind::UgcPost => "ugcPost",
        };
        write!(f, "urn:li:{kind}:{}", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_kinds_and_prints_them_back() {
        for text in ["urn:li:share:7123", "urn:li:ugcPost:6443156446455693312"] {
            assert_eq!(PostUrn::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            PostUrn::parse("urn:li:ugcPost:1").unwrap().kind(),
            PostKind::UgcPost
        );
    }

    #[test]
    fn refuses_other_urns() {
        for text in [
            "",
            "urn:li:share:",
            "urn:li:share:12a",
            "urn:li:activity:1",
            "urn:li:person:abc",
            "share:1",
            "urn:li:share:1 ",
        ] {
            assert_eq!(PostUrn::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn encodes_for_a_path_and_for_the_analytics_entity() {
        let share = PostUrn::parse("urn:li:share:42").unwrap();
        assert_eq!(share.path_segment(), "urn%3Ali%3Ashare%3A42");
        assert_eq!(share.analytics_entity(), "(share:urn%3Ali%3Ashare%3A42)");
        let ugc = PostUrn::parse("urn:li:ugcPost:7").unwrap();
        assert_eq!(ugc.analytics_entity(), "(ugc:urn%3Ali%3AugcPost%3A7)");
    }
}
