//! Ideas: the same backlog the API manages, through the same validation and store calls. The
//! list is in `list.rs`; the new, edit, delete and *Turn into post* forms are here.

mod list;

pub use list::list_ideas;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::idea::{IdeaError, IdeaFields, IdeaInput, MAX_TAGS, MAX_TAG_CHARS};
use crate::domain::post::{PostFields, PostStatus};
use crate::domain::PostId;
use crate::keys::random_id;
use crate::store::{Idea, StoreError};
use crate::AppState;

use super::posts::excerpt;
use super::render::{local_time, ok, page, sentence, Shell, WebForm};
use super::session::{random_token, CurrentUser};
use super::WebError;

#[derive(Default)]
struct IdeaErrors {
    form: Option<String>,
    content: Option<String>,
    notes: Option<String>,
    tags: Option<String>,
}

#[derive(Template)]
#[template(path = "idea_form.html")]
struct FormPage {
    shell: Shell,
    heading: &'static str,
    action: String,
    idea_id: Option<String>,
    /// Makes a new idea's form take effect once (a double click creates one idea).
    form_id: String,
    version: i64,
    content: String,
    notes: String,
    tags: String,
    max_tags: usize,
    max_tag_chars: usize,
    /// The post the idea became, if it did.
    post_id: Option<String>,
    created: Option<String>,
    errors: IdeaErrors,
}

#[derive(Template)]
#[template(path = "idea_delete.html")]
struct DeletePage {
    shell: Shell,
    id: String,
    excerpt: String,
    converted: bool,
}

fn blank_form(current: &CurrentUser) -> FormPage {
    FormPage {
        shell: Shell::new(current, "ideas"),
        heading: "New idea",
        action: "/ideas".into(),
        idea_id: None,
        form_id: random_token(),
        version: 0,
        content: String::new(),
        notes: String::new(),
        tags: String::new(),
        max_tags: MAX_TAGS,
        max_tag_chars: MAX_TAG_CHARS,
        post_id: None,
        created: None,
        errors: IdeaErrors::default(),
    }
}

fn filled_form(current: &CurrentUser, idea: &Idea) -> FormPage {
    FormPage {
        heading: "Edit idea",
        action: format!("/ideas/{}", idea.id),
        idea_id: Some(idea.id.clone()),
        version: idea.version,
        content: idea.fields.content.clone(),
        notes: idea.fields.notes.clone().unwrap_or_default(),
        tags: idea.fields.tags.join(", "),
        post_id: idea.post_id.as_ref().map(ToString::to_string),
        created: Some(local_time(idea.created_at, current.timezone())),
        ..blank_form(current)
    }
}

/// The form for a new idea.
pub async fn new_idea(current: CurrentUser) -> Result<Response, WebError> {
    ok(&blank_form(&current))
}

/// The idea form: `tags` is one text field, the tags separated by commas.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IdeaForm {
    csrf: String,
    form_id: String,
    version: i64,
    content: String,
    notes: String,
    tags: String,
}

impl IdeaForm {
    /// What the API would have been sent: line breaks as one character (browsers send CRLF),
    /// empty notes as none, and the tags split at commas with the spaces around them dropped
    /// (so `a, b,` is two tags, as typed).
    fn input(&self) -> IdeaInput {
        let notes = self.notes.replace("\r\n", "\n");
        IdeaInput {
            content: Some(self.content.replace("\r\n", "\n")),
            notes: Some((!notes.trim().is_empty()).then_some(notes)),
            tags: Some(
                self.tags
                    .split(',')
                    .map(str::trim)
                    .filter(|tag| !tag.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
        }
    }

    /// Puts the submitted values back into `form` for another try.
    fn refill(&self, mut form: FormPage, errors: IdeaErrors) -> FormPage {
        form.content = self.content.replace("\r\n", "\n");
        form.notes = self.notes.replace("\r\n", "\n");
        form.tags.clone_from(&self.tags);
        if !self.form_id.is_empty() {
            form.form_id.clone_from(&self.form_id);
        }
        form.errors = errors;
        form
    }
}

/// Places a validation error from the shared idea rules next to its field.
fn field_errors(err: &IdeaError) -> IdeaErrors {
    let mut errors = IdeaErrors::default();
    let message = sentence(&err.to_string());
    match err {
        IdeaError::ContentMissing | IdeaError::ContentBlank | IdeaError::ContentTooLong { .. } => {
            errors.content = Some(message);
        }
        IdeaError::NotesTooLong { .. } => errors.notes = Some(message),
        // The API's wording speaks of a list sent; the form has one field.
        IdeaError::TooManyTags { count } => {
            errors.tags = Some(format!("That is {count} tags; the maximum is {MAX_TAGS}."));
        }
        IdeaError::TagBlank | IdeaError::TagTooLong { .. } => errors.tags = Some(message),
    }
    errors
}

/// Creates an idea.
pub async fn create_idea(
    State(app): State<AppState>,
    current: CurrentUser,
    WebForm(form): WebForm<IdeaForm>,
) -> Result<Response, WebError> {
    current.check_csrf(&form.csrf)?;
    if form.form_id.len() != 43 {
        return Err(WebError::BadRequest("the form has no id".into()));
    }
    let fields = match IdeaFields::create(form.input()) {
        Ok(fields) => fields,
        Err(err) => {
            let again = form.refill(blank_form(&current), field_errors(&err));
            return page(StatusCode::UNPROCESSABLE_ENTITY, &again);
        }
    };
    let now = app.clock.now().timestamp_millis();
    if !app.web.submitted.claim(&form.form_id, now).await? {
        return Ok(Redirect::to("/ideas?saved=1").into_response());
    }
    app.store
        .insert_idea(&current.user.id, &random_id("idea_"), &fields, now)
        .await?;
    Ok(Redirect::to("/ideas?saved=1").into_response())
}

/// The edit form.
pub async fn edit_idea(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let idea = app.store.get_idea(&current.user.id, &id).await?;
    ok(&filled_form(&current, &idea))
}

/// Saves an edit, unless the idea changed meanwhile (through the API, say).
pub async fn update_idea(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    WebForm(form): WebForm<IdeaForm>,
) -> Result<Response, WebError> {
    current.check_csrf(&form.csrf)?;
    let idea = app.store.get_idea(&current.user.id, &id).await?;
    let stale = || IdeaErrors {
        form: Some(
            "This idea changed since you opened it (perhaps through the API). Your text is \
             below; reload the page to see the current version."
                .into(),
        ),
        ..Default::default()
    };
    let fields = if idea.version == form.version {
        IdeaFields::update(&idea.fields, form.input()).map_err(|err| field_errors(&err))
    } else {
        Err(stale())
    };
    let fields = match fields {
        Ok(fields) => fields,
        Err(errors) => {
            let again = form.refill(filled_form(&current, &idea), errors);
            return page(StatusCode::UNPROCESSABLE_ENTITY, &again);
        }
    };
    if fields == idea.fields {
        return Ok(Redirect::to("/ideas?saved=1").into_response());
    }
    let now = app.clock.now().timestamp_millis();
    match app
        .store
        .update_idea(&current.user.id, &id, form.version, &fields, now)
        .await
    {
        Ok(_) => Ok(Redirect::to("/ideas?saved=1").into_response()),
        Err(StoreError::Conflict(_)) => {
            let again = form.refill(filled_form(&current, &idea), stale());
            page(StatusCode::CONFLICT, &again)
        }
        Err(err) => Err(err.into()),
    }
}

/// The confirmation step before deleting.
pub async fn confirm_delete(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let idea = app.store.get_idea(&current.user.id, &id).await?;
    ok(&DeletePage {
        shell: Shell::new(&current, "ideas"),
        id: idea.id,
        excerpt: excerpt(&idea.fields.content, 280),
        converted: idea.post_id.is_some(),
    })
}

/// A form that carries only the CSRF token.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

/// Deletes the idea for good (a post it became stays).
pub async fn delete_idea(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    WebForm(form): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    current.check_csrf(&form.csrf)?;
    let now = app.clock.now().timestamp_millis();
    app.store
        .delete_idea(&current.user.id, &id, None, now)
        .await?;
    Ok(Redirect::to("/ideas?deleted=1").into_response())
}

/// *Turn into post*: a draft with the idea's content, linked both ways, opened in the post
/// editor. An idea already converted (a second click, another tab) opens its post instead.
pub async fn convert_idea(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    WebForm(form): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    current.check_csrf(&form.csrf)?;
    let idea = app.store.get_idea(&current.user.id, &id).await?;
    if let Some(post_id) = &idea.post_id {
        return Ok(Redirect::to(&format!("/posts/{post_id}")).into_response());
    }
    let fields = PostFields {
        content: idea.fields.content.clone(),
        status: PostStatus::Draft,
        scheduled_at: None,
    };
    let now = app.clock.now().timestamp_millis();
    let converted = app
        .store
        .convert_idea(
            &current.user.id,
            &id,
            idea.version,
            &PostId::generate(),
            &fields,
            now,
        )
        .await;
    let post_id = match converted {
        Ok((_, post)) => post.id,
        // Converted or changed between the read and the write: whatever it links to now.
        Err(StoreError::Conflict(_)) => {
            let idea = app.store.get_idea(&current.user.id, &id).await?;
            match idea.post_id {
                Some(post_id) => post_id,
                None => return Ok(Redirect::to(&format!("/ideas/{id}")).into_response()),
            }
        }
        Err(err) => return Err(err.into()),
    };
    Ok(Redirect::to(&format!("/posts/{post_id}")).into_response())
}
