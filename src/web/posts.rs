//! Posts: the same posts the API manages, through the same validation and store calls.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone, Utc};
use serde::Deserialize;

use crate::domain::post::{PostError, PostFields, PostInput, PostStatus, MAX_CONTENT_CHARS};
use crate::domain::PostId;
use crate::store::{Post, StoreError};
use crate::AppState;

use super::render::{local_time, ok, page, Shell, WebForm};
use super::session::CurrentUser;
use super::WebError;

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

#[derive(Default)]
struct PostErrors {
    form: Option<String>,
    content: Option<String>,
    status: Option<String>,
    schedule: Option<String>,
}

#[derive(Template)]
#[template(path = "post_form.html")]
struct FormPage {
    shell: Shell,
    heading: &'static str,
    action: String,
    post_id: Option<String>,
    version: i64,
    content: String,
    scheduled: bool,
    date: String,
    time: String,
    timezone: String,
    chars: usize,
    max_chars: usize,
    chars_label: String,
    max_chars_label: String,
    errors: PostErrors,
    published: Option<String>,
    /// Why LinkedIn did not take a failed post.
    failure: Option<String>,
}

#[derive(Template)]
#[template(path = "post_delete.html")]
struct DeletePage {
    shell: Shell,
    id: String,
    excerpt: String,
    status: &'static str,
}

/// `3000` → `3,000`, as the page's script writes counts too.
fn thousands(n: usize) -> String {
    if n < 1_000 {
        n.to_string()
    } else {
        format!("{},{:03}", n / 1_000, n % 1_000)
    }
}

fn excerpt(content: &str, max: usize) -> String {
    let flat = content.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max).collect();
        format!("{}…", cut.trim_end())
    }
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

fn blank_form(current: &CurrentUser) -> FormPage {
    FormPage {
        shell: Shell::new(current, "posts"),
        heading: "New post",
        action: "/posts".into(),
        post_id: None,
        version: 0,
        content: String::new(),
        scheduled: false,
        date: String::new(),
        time: String::new(),
        timezone: current.timezone().name().to_owned(),
        chars: 0,
        max_chars: MAX_CONTENT_CHARS,
        chars_label: "0".into(),
        max_chars_label: thousands(MAX_CONTENT_CHARS),
        errors: PostErrors::default(),
        published: None,
        failure: None,
    }
}

fn filled_form(current: &CurrentUser, post: &Post) -> FormPage {
    let tz = current.timezone();
    let local = post
        .fields
        .scheduled_at
        .and_then(|ms| tz.timestamp_millis_opt(ms).single());
    // A failed post is opened from its *Reschedule* link: the schedule is what it needs.
    let failed = post.fields.status == PostStatus::Failed;
    FormPage {
        heading: if failed {
            "Reschedule post"
        } else {
            "Edit post"
        },
        action: format!("/posts/{}", post.id),
        post_id: Some(post.id.to_string()),
        version: post.version,
        content: post.fields.content.clone(),
        scheduled: post.fields.status == PostStatus::Scheduled || failed,
        date: local
            .map(|at| at.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        time: local
            .map(|at| at.format("%H:%M").to_string())
            .unwrap_or_default(),
        chars: post.fields.content.chars().count(),
        chars_label: thousands(post.fields.content.chars().count()),
        published: post.published_at.map(|at| local_time(at, tz)),
        failure: failed
            .then(|| post.failure.as_ref().map(|f| f.message.clone()))
            .flatten(),
        ..blank_form(current)
    }
}

/// The form for a new post.
pub async fn new_post(current: CurrentUser) -> Result<Response, WebError> {
    ok(&blank_form(&current))
}

/// The post form: `status` is `draft` or `scheduled`; `date` and `time` are in the user's
/// timezone and only read when scheduling.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PostForm {
    csrf: String,
    version: i64,
    content: String,
    status: String,
    date: String,
    time: String,
}

impl PostForm {
    /// Browsers send line breaks as CRLF; the counter on the page (and LinkedIn) count one
    /// character per line break.
    fn content(&self) -> String {
        self.content.replace("\r\n", "\n")
    }

    /// The schedule as the API takes it (RFC 3339 in UTC), when scheduling.
    fn scheduled_at(&self, tz: chrono_tz::Tz) -> Result<Option<String>, String> {
        if self.status != PostStatus::Scheduled.as_str() {
            return Ok(None);
        }
        if self.date.is_empty() || self.time.is_empty() {
            return Err("Choose the date and time to publish it.".into());
        }
        let date = NaiveDate::parse_from_str(&self.date, "%Y-%m-%d")
            .map_err(|_| "Enter the date as YYYY-MM-DD.".to_owned())?;
        let time = NaiveTime::parse_from_str(&self.time, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(&self.time, "%H:%M:%S"))
            .map_err(|_| "Enter the time as HH:MM.".to_owned())?;
        // In a DST overlap the earlier instant is meant; in a gap the time does not exist.
        let at = tz
            .from_local_datetime(&NaiveDateTime::new(date, time))
            .earliest()
            .ok_or_else(|| {
                format!(
                    "{} {} does not exist in {} (the clocks skip it); choose another time.",
                    self.date,
                    self.time,
                    tz.name()
                )
            })?;
        Ok(Some(
            at.with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        ))
    }

    /// Puts the submitted values back into `form` for another try.
    fn refill(&self, mut form: FormPage, errors: PostErrors) -> FormPage {
        let content = self.content();
        form.chars = content.chars().count();
        form.chars_label = thousands(form.chars);
        form.content = content;
        form.scheduled = self.status == PostStatus::Scheduled.as_str();
        form.date = self.date.clone();
        form.time = self.time.clone();
        form.errors = errors;
        form
    }
}

/// Places a validation error from the shared post rules next to its field.
fn field_errors(err: &PostError) -> PostErrors {
    let mut errors = PostErrors::default();
    match err {
        PostError::ContentMissing | PostError::ContentBlank | PostError::ContentTooLong { .. } => {
            errors.content = Some(format!("{err}."));
        }
        PostError::StatusPublished | PostError::StatusFailed | PostError::StatusUnknown(_) => {
            errors.status = Some(format!("{err}."));
        }
        // The API's wording names its JSON field; the form has a date and a time.
        PostError::ScheduleMissing
        | PostError::ScheduleWithoutStatus
        | PostError::ScheduleMalformed(_)
        | PostError::ScheduleTooLate
        | PostError::ScheduleInPast => {
            errors.schedule = Some("Choose a date and time in the future.".into());
        }
    }
    errors
}

/// Creates a draft or a scheduled post.
pub async fn create_post(
    State(app): State<AppState>,
    current: CurrentUser,
    WebForm(form): WebForm<PostForm>,
) -> Result<Response, WebError> {
    current.check_csrf(&form.csrf)?;
    let now = app.clock.now();
    let fields = form
        .scheduled_at(current.timezone())
        .map_err(|schedule| PostErrors {
            schedule: Some(schedule),
            ..Default::default()
        })
        .and_then(|scheduled_at| {
            let body = PostInput {
                content: Some(form.content()),
                status: Some(form.status.clone()),
                scheduled_at,
            };
            PostFields::create(body, now).map_err(|err| field_errors(&err))
        });
    let fields = match fields {
        Ok(fields) => fields,
        Err(errors) => {
            let again = form.refill(blank_form(&current), errors);
            return page(StatusCode::UNPROCESSABLE_ENTITY, &again);
        }
    };
    app.store
        .insert_post(
            &current.user.id,
            &PostId::generate(),
            &fields,
            now.timestamp_millis(),
        )
        .await?;
    app.publisher.wake();
    Ok(Redirect::to("/posts?saved=1").into_response())
}

/// The edit form (read-only once published).
pub async fn edit_post(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<PostId>,
) -> Result<Response, WebError> {
    let post = app.store.get_post(&current.user.id, &id).await?;
    ok(&filled_form(&current, &post))
}

/// Saves an edit, unless the post changed meanwhile (through the API, say) or was published.
pub async fn update_post(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<PostId>,
    WebForm(form): WebForm<PostForm>,
) -> Result<Response, WebError> {
    current.check_csrf(&form.csrf)?;
    let post = app.store.get_post(&current.user.id, &id).await?;
    let now = app.clock.now();
    let stale = || PostErrors {
        form: Some(
            "This post changed since you opened it (perhaps through the API), or it was \
             published. Your text is below; reload the page to see the current version."
                .into(),
        ),
        ..Default::default()
    };
    let fields = if post.version != form.version || post.fields.status == PostStatus::Published {
        Err(stale())
    } else {
        form.scheduled_at(current.timezone())
            .map_err(|schedule| PostErrors {
                schedule: Some(schedule),
                ..Default::default()
            })
            .and_then(|scheduled_at| {
                let body = PostInput {
                    content: Some(form.content()),
                    status: Some(form.status.clone()),
                    scheduled_at,
                };
                PostFields::update(&post.fields, body, now).map_err(|err| field_errors(&err))
            })
    };
    let saved = match fields {
        Ok(fields) => {
            app.store
                .update_post(
                    &current.user.id,
                    &id,
                    form.version,
                    &fields,
                    now.timestamp_millis(),
                )
                .await
        }
        Err(errors) => {
            let again = form.refill(filled_form(&current, &post), errors);
            return page(StatusCode::UNPROCESSABLE_ENTITY, &again);
        }
    };
    match saved {
        Ok(_) => {
            app.publisher.wake();
            Ok(Redirect::to("/posts?saved=1").into_response())
        }
        Err(StoreError::Conflict(_)) => {
            let again = form.refill(filled_form(&current, &post), stale());
            page(StatusCode::CONFLICT, &again)
        }
        Err(err) => Err(err.into()),
    }
}

/// The confirmation step before deleting.
pub async fn confirm_delete(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<PostId>,
) -> Result<Response, WebError> {
    let post = app.store.get_post(&current.user.id, &id).await?;
    ok(&DeletePage {
        shell: Shell::new(&current, "posts"),
        id: post.id.into(),
        excerpt: excerpt(&post.fields.content, 280),
        status: post.fields.status.as_str(),
    })
}

/// The delete form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    csrf: String,
}

/// Deletes the post for good.
pub async fn delete_post(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<PostId>,
    WebForm(form): WebForm<DeleteForm>,
) -> Result<Response, WebError> {
    current.check_csrf(&form.csrf)?;
    app.store.delete_post(&current.user.id, &id, None).await?;
    Ok(Redirect::to("/posts?deleted=1").into_response())
}

/// *Publish now* from the list: sends the post at once, then back to the list, which shows the
/// post published (with its link) or failed (with the reason).
pub async fn publish_post(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<PostId>,
    WebForm(form): WebForm<super::linkedin::CsrfForm>,
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
