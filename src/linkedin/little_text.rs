//! Post commentary in LinkedIn's "little" text format: plain text with its reserved characters
//! escaped, and `#word` hashtags turned into LinkedIn's hashtag template.
//!
//! LinkedIn parses `commentary` for mentions, hashtags and templates. An unescaped reserved
//! character is not an error there: the post is accepted and silently cut at that character.
//! So every reserved character is escaped, and the only markup we emit is the hashtag template.

use unicode_normalization::char::is_combining_mark;

/// LinkedIn's limit on a post's text, counted on what the user wrote (not on the escaped form),
/// in Unicode scalar values like the post validation in `domain::post`.
pub const MAX_CHARS: usize = 3_000;

/// The characters that "little" reserves; each is sent as `\` followed by itself.
pub const RESERVED: [char; 15] = [
    '|', '{', '}', '@', '[', ']', '(', ')', '<', '>', '#', '\\', '*', '_', '~',
];

/// The length of `text` as the user sees it, in the unit of [`MAX_CHARS`].
pub fn visible_len(text: &str) -> usize {
    text.chars().count()
}

/// Whether `text` is within LinkedIn's limit; escaping never counts against it.
pub fn fits(text: &str) -> bool {
    visible_len(text) <= MAX_CHARS
}

/// `text` as "little" commentary: reserved characters escaped, `#word` as a hashtag template.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut rest = text;
    let mut after_space = true;
    while let Some(c) = rest.chars().next() {
        if c == '#' && after_space {
            let word_len = rest[1..]
                .find(|ch: char| !is_hashtag_char(ch))
                .unwrap_or(rest.len() - 1);
            if word_len > 0 {
                out.push_str("{hashtag|\\#|");
                push_escaped(&mut out, &rest[1..1 + word_len]);
                out.push('}');
                rest = &rest[1 + word_len..];
                after_space = false;
                continue;
            }
        }
        push_escaped_char(&mut out, c);
        after_space = c.is_whitespace();
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Letters and digits of any script, the marks that combine with them, and `_`.
fn is_hashtag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || is_combining_mark(c)
}

fn push_escaped(out: &mut String, text: &str) {
    text.chars().for_each(|c| push_escaped_char(out, c));
}

fn push_escaped_char(out: &mut String, c: char) {
    if RESERVED.contains(&c) {
        out.push('\\');
    }
    out.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reserved_character_is_escaped_alone_and_in_text() {
        for c in RESERVED {
            assert_eq!(escape(&c.to_string()), format!("\\{c}"), "{c:?} alone");
            assert_eq!(
                escape(&format!("a{c}b")),
                format!("a\\{c}b"),
                "{c:?} inside a word"
            );
        }
    }

    #[test]
    fn the_backslash_is_escaped_once_not_again_after_other_escapes() {
        assert_eq!(escape(r"C:\path"), r"C:\\path");
        assert_eq!(escape(r"\*"), r"\\\*");
        assert_eq!(escape(r"\\"), r"\\\\");
    }

    #[test]
    fn text_made_only_of_reserved_characters_arrives_whole() {
        let all: String = RESERVED.iter().collect();
        let escaped = escape(&all);
        assert_eq!(escaped.len(), all.len() * 2);
        assert_eq!(escaped, r"\|\{\}\@\[\]\(\)\<\>\#\\\*\_\~");
    }

    #[test]
    fn plain_text_is_unchanged() {
        let text = "Hello, LinkedIn! 100% sure: yes/no? \"quoted\" & 'single' $5 ^ = + - .";
        assert_eq!(escape(text), text);
    }

    #[test]
    fn a_hashtag_at_the_start_becomes_the_template() {
        assert_eq!(escape("#rust is fun"), r"{hashtag|\#|rust} is fun");
    }

    #[test]
    fn hashtags_after_whitespace_become_templates() {
        assert_eq!(
            escape("Shipping today #rust #axum2\n#tokio\t#x"),
            "Shipping today {hashtag|\\#|rust} {hashtag|\\#|axum2}\n{hashtag|\\#|tokio}\t{hashtag|\\#|x}"
        );
    }

    #[test]
    fn a_hashtag_ends_at_the_first_character_that_is_not_part_of_a_word() {
        assert_eq!(
            escape("#rust, #go."),
            r"{hashtag|\#|rust}, {hashtag|\#|go}."
        );
        assert_eq!(escape("#rust-lang"), r"{hashtag|\#|rust}-lang");
        assert_eq!(escape("#a(b)"), r"{hashtag|\#|a}\(b\)");
    }

    #[test]
    fn underscores_are_part_of_a_hashtag_and_still_escaped_inside_it() {
        assert_eq!(escape("#snake_case"), r"{hashtag|\#|snake\_case}");
    }

    #[test]
    fn a_hash_after_punctuation_or_inside_a_word_is_not_a_hashtag() {
        assert_eq!(escape("(#rust)"), r"\(\#rust\)");
        assert_eq!(escape("issue#42"), r"issue\#42");
        assert_eq!(escape("\"#quoted\""), "\"\\#quoted\"");
        assert_eq!(escape("##double"), r"\#\#double");
    }

    #[test]
    fn a_hash_alone_or_before_a_non_word_character_stays_a_character() {
        assert_eq!(escape("#"), r"\#");
        assert_eq!(escape("# heading"), r"\# heading");
        assert_eq!(escape("a # b"), r"a \# b");
        assert_eq!(escape("#!"), r"\#!");
        assert_eq!(escape("end #"), r"end \#");
    }

    #[test]
    fn emoji_pass_through_and_do_not_make_hashtags() {
        assert_eq!(escape("Launch 🚀 day 👩‍💻"), "Launch 🚀 day 👩‍💻");
        assert_eq!(escape("#🚀"), "\\#🚀");
        assert_eq!(escape("🚀 #go"), "🚀 {hashtag|\\#|go}");
        assert_eq!(escape("#go🚀"), "{hashtag|\\#|go}🚀");
    }

    #[test]
    fn combining_marks_stay_inside_a_hashtag() {
        // "café" spelled with a combining acute accent (U+0301), and Hindi with a virama.
        let decomposed = "#cafe\u{301} time";
        assert_eq!(escape(decomposed), "{hashtag|\\#|cafe\u{301}} time");
        assert_eq!(escape("#हिन्दी"), "{hashtag|\\#|हिन्दी}");
    }

    #[test]
    fn hashtags_in_non_latin_scripts_become_templates() {
        assert_eq!(escape("#日本語"), "{hashtag|\\#|日本語}");
        assert_eq!(escape("#Привет мир"), "{hashtag|\\#|Привет} мир");
        assert_eq!(escape("#العربية"), "{hashtag|\\#|العربية}");
        assert_eq!(escape("#straße2026"), "{hashtag|\\#|straße2026}");
    }

    #[test]
    fn the_length_counts_what_the_user_wrote_not_the_escaped_form() {
        let text = "#".repeat(MAX_CHARS);
        assert_eq!(visible_len(&text), MAX_CHARS);
        assert!(fits(&text));
        assert_eq!(escape(&text).chars().count(), 2 * MAX_CHARS);
        assert!(!fits(&format!("{text}x")));
    }

    #[test]
    fn the_length_counts_unicode_scalar_values_like_post_validation() {
        assert_eq!(MAX_CHARS, crate::domain::post::MAX_CONTENT_CHARS);
        assert_eq!(visible_len("é"), 1);
        assert_eq!(visible_len("e\u{301}"), 2);
        assert_eq!(visible_len("🚀"), 1);
        assert_eq!(visible_len("日本"), 2);
        let emoji = "🚀".repeat(MAX_CHARS);
        assert!(fits(&emoji));
        assert_eq!(emoji.len(), 4 * MAX_CHARS);
    }
}
