//! The Posts list: newest first, filtered by status, in pages; and *Publish now* from it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::post::PostStatus;
use crate::domain::PostId;
use crate::store::Post;
use crate::AppState;

use super::super::render::{local_time, ok, Shell, WebForm};
use super::super::session::CurrentUser;
use super::super::WebError;
use super::excerpt;

/// Posts per page of the list.
const PAGE_SIZE: u32 = 20;
/// Characters of a post shown in the list.
const EXCERPT_CHARS: usize = 160;

/// One post in the list.
struct PostRow {
    id: String,
    excerpt: String,
    status: &'static str,
    when: String,
    editable: bool,
    linkedin_url: Option<String>,
    failure: Option<String>,
    can_publish: bool,
}

/// One filter tab.
struct Tab {
    label: &'static str,
    href: &'static str,
    current: bool,
}

#[derive(Template)]
#[template(path = "posts_list.html")]
struct ListPage {
    shell: Shell,
    notice: Option<&'static str>,
    /// After *Publish now* failed: said as an alert, not as a success.
    problem: Option<&'static str>,
    tabs: Vec<Tab>,
    posts: Vec<PostRow>,
    filtered: bool,
    range: String,
    previous: Option<String>,
    next: Option<String>,
}

fn post_row(post: &Post, tz: chrono_tz::Tz) -> PostRow {
    let when = match post.fields.status {
        PostStatus::Draft => format!("Edited {}", local_time(post.updated_at, tz)),
        PostStatus::Scheduled => match post.fields.scheduled_at {
            Some(at) => format!("Scheduled for {}", local_time(at, tz)),
            None => "Scheduled".into(),
        },
        PostStatus::Published => match post.published_at {
            Some(at) => format!("Published {}", local_time(at, tz)),
            None => "Published".into(),
        },
        PostStatus::Failed => match &post.failure {
            Some(failure) => format!("Failed {}", local_time(failure.at, tz)),
            None => "Failed".into(),
        },
    };
    PostRow {
        id: post.id.to_string(),
        excerpt: excerpt(&post.fields.content, EXCERPT_CHARS),
        status: post.fields.status.as_str(),
        when,
        editable: post.fields.status != PostStatus::Published,
        linkedin_url: post
            .linkedin_urn
            .as_deref()
            .map(crate::api::posts::linkedin_url),
        failure: post.failure.as_ref().map(|f| f.message.clone()),
        can_publish: post.fields.status != PostStatus::Published,
    }
}

/// The highest page number taken as asked; higher ones are clamped (then shown as the last
/// page), so the offset always fits the store's integers.
const MAX_PAGE: u64 = i64::MAX as u64 / PAGE_SIZE as u64;

/// Posts before page `page_number` (1-based).
fn offset_of(page_number: u64) -> u64 {
    (page_number - 1) * u64::from(PAGE_SIZE)
}

/// `?status=…&page=…`, and the notices after a change.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    status: Option<String>,
    page: Option<String>,
    deleted: Option<String>,
    saved: Option<String>,
    published: Option<String>,
    failed: Option<String>,
    busy: Option<String>,
}

/// The list, newest first, with a status filter and pages of 20.
pub async fn list_posts(
    State(app): State<AppState>,
    current: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    let status = query.status.as_deref().and_then(PostStatus::parse);
    let mut page_number: u64 = query
        .page
        .as_deref()
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
        .min(MAX_PAGE);
    let mut found = app
        .store
        .list_posts(&current.user.id, status, PAGE_SIZE, offset_of(page_number))
        .await?;
    // Past the end (an old link, or a number typed into the address bar): the last page.
    if found.posts.is_empty() && found.total > 0 && page_number > 1 {
        page_number = found.total.div_ceil(u64::from(PAGE_SIZE));
        found = app
            .store
            .list_posts(&current.user.id, status, PAGE_SIZE, offset_of(page_number))
            .await?;
    }
    let offset = offset_of(page_number);
    let tz = current.timezone();
    let link = |page: u64| match status {
        Some(status) => format!("/posts?status={}&page={page}", status.as_str()),
        None => format!("/posts?page={page}"),
    };
    let shown = found.posts.len() as u64;
    let range = if shown == 0 {
        String::new()
    } else {
        format!("{}–{} of {}", offset + 1, offset + shown, found.total)
    };
    let tab = |label, href, is: Option<PostStatus>| Tab {
        label,
        href,
        current: status == is,
    };
    let notice = if query.deleted.is_some() {
        Some("The post was deleted.")
    } else if query.saved.is_some() {
        Some("The post was saved.")
    } else if query.published.is_some() {
        Some("The post is published on LinkedIn.")
    } else if query.busy.is_some() {
        Some("The post is being published right now; reload in a moment.")
    } else {
        None
    };
    let problem = query
        .failed
        .is_some()
        .then_some("LinkedIn did not take the post; the list shows why.");
    let list = ListPage {
        shell: Shell::new(&current, "posts"),
        notice,
        problem,
        tabs: vec![
            tab("All", "/posts", None),
            tab("Drafts", "/posts?status=draft", Some(PostStatus::Draft)),
            tab(
                "Scheduled",
                "/posts?status=scheduled",
                Some(PostStatus::Scheduled),
            ),
            tab(
                "Published",
                "/posts?status=published",
                Some(PostStatus::Published),
            ),
            tab("Failed", "/posts?status=failed", Some(PostStatus::Failed)),
        ],
        posts: found.posts.iter().map(|p| post_row(p, tz)).collect(),
        filtered: status.is_some(),
        range,
        previous: (page_number > 1).then(|| link(page_number - 1)),
        next: (offset + shown < found.total).then(|| link(page_number + 1)),
    };
    ok(&list)
}

/// *Publish now* from the list: sends the post at once, then back to the list, which shows the
/// post published (with its link) or failed (with the reason).
pub async fn publish_post(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<PostId>,
    WebForm(form): WebForm<super::super::linkedin::CsrfForm>,
) -> Result<Response, WebError> {
    current.check_csrf(form.csrf())?;
    let outcome = app.publisher.publish_now(&current.user.id, &id).await?;
    let notice = match outcome {
        crate::publisher::Outcome::Published(_) => "published=1",
        crate::publisher::Outcome::Failed(..) => "failed=1",
        _ => "busy=1",
    };
    Ok(Redirect::to(&format!("/posts?{notice}")).into_response())
}
