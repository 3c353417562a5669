//! The short text beside each tool result's `structuredContent`: what an assistant that reads
//! only text, or a person looking at the transcript, needs to follow along.

use std::fmt::Write;

use crate::api::account::Profile;
use crate::api::analytics::{AccountAnalytics, Figures, PostAnalytics};
use crate::api::ideas::{IdeaList, IdeaView};
use crate::api::posts::{Deleted, PostList, PostView};

use super::validate::Validation;

/// A result in a line or a few.
pub trait Render {
    /// The text rendering.
    fn render(&self) -> String;
}

/// At most this many characters of a post or idea are quoted in a listing.
const EXCERPT_CHARS: usize = 60;

fn excerpt(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut short: String = line.chars().take(EXCERPT_CHARS).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

impl Render for PostView {
    fn render(&self) -> String {
        let mut line = format!("Post {} ({})", self.id, self.status.as_str());
        if let Some(at) = &self.scheduled_at {
            let _ = write!(line, ", scheduled for {at}");
        }
        if let Some(url) = &self.linkedin_url {
            let _ = write!(line, ", on LinkedIn at {url}");
        }
        if let Some(failure) = &self.failure {
            let _ = write!(line, ", failed: {} {}", failure.code, failure.message);
        }
        let _ = write!(line, ": {}", excerpt(&self.content));
        line
    }
}

impl Render for PostList {
    fn render(&self) -> String {
        let mut text = page_line("posts", self.posts.len(), self.total, self.offset);
        for post in &self.posts {
            let _ = write!(text, "\n- {}", post.render());
        }
        text
    }
}

impl Render for IdeaView {
    fn render(&self) -> String {
        let mut line = format!("Idea {}", self.id);
        if !self.tags.is_empty() {
            let _ = write!(line, " [{}]", self.tags.join(", "));
        }
        if let Some(post) = &self.post_id {
            let _ = write!(line, ", became {post}");
        }
        let _ = write!(line, ": {}", excerpt(&self.content));
        line
    }
}

impl Render for IdeaList {
    fn render(&self) -> String {
        let mut text = page_line("ideas", self.ideas.len(), self.total, self.offset);
        for idea in &self.ideas {
            let _ = write!(text, "\n- {}", idea.render());
        }
        text
    }
}

impl Render for Deleted {
    fn render(&self) -> String {
        format!("Deleted {}.", self.id)
    }
}

impl Render for AccountAnalytics {
    fn render(&self) -> String {
        format!(
            "{} to {}: {} posts published; {}",
            self.from,
            self.to,
            self.totals.posts_published,
            figures(&self.totals.figures)
        )
    }
}

impl Render for PostAnalytics {
    fn render(&self) -> String {
        format!(
            "Post {}, {} to {}: {}",
            self.post_id,
            self.from,
            self.to,
            figures(&self.totals)
        )
    }
}

impl Render for Profile {
    fn render(&self) -> String {
        let linkedin = match (&self.linkedin.name, self.linkedin.connected) {
            (Some(name), true) => format!("LinkedIn connected as {name}"),
            _ => "LinkedIn not connected".to_owned(),
        };
        format!(
            "{} <{}>, {} plan, timezone {}; {linkedin}.",
            self.name, self.email, self.plan, self.timezone
        )
    }
}

impl Render for Validation {
    fn render(&self) -> String {
        let verdict = match &self.failure {
            None => "Would be accepted".to_owned(),
            Some(failure) => format!("Would be refused ({}: {})", failure.code, failure.message),
        };
        format!(
            "{verdict}; {} of {} characters. LinkedIn would receive: {}",
            self.length, self.max_length, self.commentary
        )
    }
}

fn page_line(what: &str, shown: usize, total: u64, offset: u64) -> String {
    if shown == 0 {
        return format!("No {what} here ({total} in all).");
    }
    format!(
        "{what} {} to {} of {total}:",
        offset + 1,
        offset + shown as u64
    )
}

fn figures(f: &Figures) -> String {
    format!(
        "{} impressions, {} members reached, {} reactions, {} comments, {} reposts, engagement {:.2}%.",
        f.impressions,
        f.members_reached,
        f.reactions,
        f.comments,
        f.reposts,
        f.engagement_rate * 100.0
    )
}
