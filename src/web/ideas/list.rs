//! The Ideas list: newest first, filtered by a tag, in pages.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::Deserialize;

use crate::store::Idea;
use crate::AppState;

use super::super::posts::excerpt;
use super::super::render::{local_time, ok, Shell};
use super::super::session::CurrentUser;
use super::super::WebError;

/// Ideas per page of the list.
const PAGE_SIZE: u32 = 20;
/// Characters of an idea (and of its notes) shown in the list.
const EXCERPT_CHARS: usize = 200;
/// The highest page number taken as asked; higher ones are clamped (then shown as the last
/// page), so the offset always fits the store's integers.
const MAX_PAGE: u64 = i64::MAX as u64 / PAGE_SIZE as u64;

/// A tag and the list filtered by it.
struct TagLink {
    name: String,
    href: String,
}

/// One idea in the list.
struct IdeaRow {
    id: String,
    excerpt: String,
    notes: Option<String>,
    tags: Vec<TagLink>,
    when: String,
    post_id: Option<String>,
}

#[derive(Template)]
#[template(path = "ideas_list.html")]
struct ListPage {
    shell: Shell,
    notice: Option<&'static str>,
    tag: Option<String>,
    ideas: Vec<IdeaRow>,
    range: String,
    previous: Option<String>,
    next: Option<String>,
}

/// `/ideas?tag=…`, as the API's filter.
fn tag_href(tag: &str) -> String {
    format!("/ideas?tag={}", utf8_percent_encode(tag, NON_ALPHANUMERIC))
}

fn idea_row(idea: &Idea, tz: chrono_tz::Tz) -> IdeaRow {
    let when = if idea.updated_at > idea.created_at {
        format!("Edited {}", local_time(idea.updated_at, tz))
    } else {
        format!("Added {}", local_time(idea.created_at, tz))
    };
    IdeaRow {
        id: idea.id.clone(),
        excerpt: excerpt(&idea.fields.content, EXCERPT_CHARS),
        notes: idea
            .fields
            .notes
            .as_deref()
            .map(|notes| excerpt(notes, EXCERPT_CHARS)),
        tags: idea
            .fields
            .tags
            .iter()
            .map(|tag| TagLink {
                name: tag.clone(),
                href: tag_href(tag),
            })
            .collect(),
        when,
        post_id: idea.post_id.as_ref().map(ToString::to_string),
    }
}

/// Ideas before page `page_number` (1-based).
fn offset_of(page_number: u64) -> u64 {
    (page_number - 1) * u64::from(PAGE_SIZE)
}

/// `?tag=…&page=…`, and the notices after a change.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    tag: Option<String>,
    page: Option<String>,
    saved: Option<String>,
    deleted: Option<String>,
}

/// The list, newest first, optionally only the ideas with a tag, in pages of 20.
pub async fn list_ideas(
    State(app): State<AppState>,
    current: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    let tag = query.tag.filter(|tag| !tag.is_empty());
    let mut page_number: u64 = query
        .page
        .as_deref()
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
        .min(MAX_PAGE);
    let user = &current.user.id;
    let mut found = app
        .store
        .list_ideas(user, tag.as_deref(), PAGE_SIZE, offset_of(page_number))
        .await?;
    // Past the end (an old link, or a number typed into the address bar): the last page.
    if found.ideas.is_empty() && found.total > 0 && page_number > 1 {
        page_number = found.total.div_ceil(u64::from(PAGE_SIZE));
        found = app
            .store
            .list_ideas(user, tag.as_deref(), PAGE_SIZE, offset_of(page_number))
            .await?;
    }
    let offset = offset_of(page_number);
    let link = |page: u64| match &tag {
        Some(tag) => format!("{}&page={page}", tag_href(tag)),
        None => format!("/ideas?page={page}"),
    };
    let shown = found.ideas.len() as u64;
    let range = if shown == 0 {
        String::new()
    } else {
        format!("{}–{} of {}", offset + 1, offset + shown, found.total)
    };
    let notice = if query.deleted.is_some() {
        Some("The idea was deleted.")
    } else if query.saved.is_some() {
        Some("The idea was saved.")
    } else {
        None
    };
    let previous = (page_number > 1).then(|| link(page_number - 1));
    let next = (offset + shown < found.total).then(|| link(page_number + 1));
    let tz = current.timezone();
    ok(&ListPage {
        shell: Shell::new(&current, "ideas"),
        notice,
        ideas: found.ideas.iter().map(|idea| idea_row(idea, tz)).collect(),
        tag,
        range,
        previous,
        next,
    })
}
