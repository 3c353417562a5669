//! Posts: the same posts the API manages, through the same validation and store calls. The
//! list is in `list.rs`; the new, edit and delete forms are here.

mod list;

pub use list::{list_posts, publish_post};

use askama::Template;
use axum::extract::{Path, State};
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
    /// The idea the post was turned from, if any.
    idea_id: Option<String>,
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

pub(super) fn excerpt(content: &str, max: usize) -> String {
    let flat = content.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max).collect();
        format!("{}…", cut.trim_end())
    }
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
        idea_id: None,
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
    let idea = app.store.idea_of_post(&current.user.id, &id).await?;
    ok(&FormPage {
        idea_id: idea.map(|idea| idea.id),
        ..filled_form(&current, &post)
    })
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
    let now = app.clock.now().timestamp_millis();
    app.store
        .delete_post(&current.user.id, &id, None, now)
        .await?;
    Ok(Redirect::to("/posts?deleted=1").into_response())
}
