//! Settings › Webhooks: the endpoints and the form that adds one (its secret shown once). Each
//! endpoint's own page (deliveries, test, resend, disable, delete) is in `detail.rs`; what both
//! show of an endpoint is in `view.rs`.

mod detail;
mod view;

pub use detail::{
    confirm_delete, delete_webhook, disable_webhook, enable_webhook, resend_delivery,
    send_test_event, show_webhook,
};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::webhook::{
    check_description, EventFilter, WebhookError, EVENT_SCOPES, MAX_DESCRIPTION_CHARS,
};
use crate::domain::{Plan, Scope, Scopes, WebhookId};
use crate::store::webhooks::NewWebhook;
use crate::AppState;

use super::render::{ok, page, sentence, Shell, WebForm};
use super::session::{random_token, CurrentUser};
use super::WebError;
use view::{event_groups, webhook_row, EventGroup, WebhookRow};

/// Endpoints the list shows; an account has a handful, so there are no pages.
const LIST_LIMIT: u32 = 100;

#[derive(Default)]
struct WebhookErrors {
    url: Option<String>,
    description: Option<String>,
    events: Option<String>,
}

#[derive(Template)]
#[template(path = "settings_webhooks.html")]
struct WebhooksPage {
    shell: Shell,
    form_id: String,
    business: bool,
    plan: &'static str,
    notice: Option<&'static str>,
    webhooks: Vec<WebhookRow>,
    /// "Showing the newest 100 of 120." when there are more.
    more: Option<String>,
    url: String,
    description: String,
    max_description: usize,
    all_events: bool,
    groups: Vec<EventGroup>,
    errors: WebhookErrors,
}

#[derive(Template)]
#[template(path = "webhook_created.html")]
struct CreatedPage {
    shell: Shell,
    id: String,
    url: String,
    secret: String,
}

/// What the form asked for, to show it again.
struct Entered {
    url: String,
    description: String,
    events: Vec<String>,
}

async fn webhooks_page(
    app: &AppState,
    current: &CurrentUser,
    notice: Option<&'static str>,
    entered: Entered,
    errors: WebhookErrors,
) -> Result<WebhooksPage, WebError> {
    let tz = current.timezone();
    // The owner sees every endpoint, whichever key's scopes it needs.
    let everything: Scopes = Scope::ALL.into_iter().collect();
    let listed = app
        .store
        .list_webhooks(&current.user.id, everything, LIST_LIMIT, 0)
        .await?;
    let webhooks: Vec<WebhookRow> = listed.webhooks.iter().map(|w| webhook_row(w, tz)).collect();
    let more = (listed.total > webhooks.len() as u64)
        .then(|| format!("Showing the newest {} of {}.", webhooks.len(), listed.total));
    Ok(WebhooksPage {
        shell: Shell::new(current, "webhooks"),
        form_id: random_token(),
        business: current.user.plan == Plan::Business,
        plan: current.user.plan.as_str(),
        notice,
        webhooks,
        more,
        url: entered.url,
        description: entered.description,
        max_description: MAX_DESCRIPTION_CHARS,
        all_events: entered.events.iter().any(|e| e == "*"),
        groups: event_groups(&entered.events),
        errors,
    })
}

/// `?deleted=1` after a deletion, `?resubmitted=1` after an add form came again.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    deleted: Option<String>,
    resubmitted: Option<String>,
}

/// Settings › Webhooks: the endpoints and the add form.
pub async fn list_webhooks(
    State(app): State<AppState>,
    current: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    let notice = if query.deleted.is_some() {
        Some("The webhook was deleted, with its deliveries. Nothing more is sent to it.")
    } else if query.resubmitted.is_some() {
        Some(
            "That form was already used: its webhook was added then and its secret is not shown \
             again. If you did not copy it, delete the webhook below and add it again.",
        )
    } else {
        None
    };
    let empty = Entered {
        url: String::new(),
        description: String::new(),
        events: Vec::new(),
    };
    ok(&webhooks_page(&app, &current, notice, empty, WebhookErrors::default()).await?)
}

/// The add form; `event` repeats, once per ticked box (`*` for all events).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CreateWebhookForm {
    csrf: String,
    /// The form's one-time id, so that re-sending it (a reload) adds nothing.
    form_id: String,
    url: String,
    description: String,
    event: Vec<String>,
}

/// Places a refusal of the shared webhook rules next to its field; `None` for what no form of
/// ours sends.
fn field_errors(err: &WebhookError) -> Option<WebhookErrors> {
    let mut errors = WebhookErrors::default();
    match err {
        WebhookError::NoEvents => errors.events = Some("Choose at least one event.".into()),
        WebhookError::DescriptionTooLong => errors.description = Some(sentence(&err.to_string())),
        // The owner may read every event, and the form sends "*" alone (see `event_filter`).
        WebhookError::WildcardNotAlone
        | WebhookError::MissingScope(_)
        | WebhookError::NothingReadable => errors.events = Some(sentence(&err.to_string())),
        WebhookError::UnknownEvent(_) => return None,
    }
    Some(errors)
}

/// The ticked boxes as a filter: "All events" wins over single ones ticked beside it.
fn event_filter(ticked: &[String]) -> Result<EventFilter, WebhookError> {
    if ticked.iter().any(|e| e == "*") {
        Ok(EventFilter::All)
    } else {
        EventFilter::parse(ticked)
    }
}

/// Adds a webhook and shows its signing secret on this response only (stored sealed, never
/// redirected to, never cached).
pub async fn create_webhook(
    State(app): State<AppState>,
    current: CurrentUser,
    WebForm(form): WebForm<CreateWebhookForm>,
) -> Result<Response, WebError> {
    current.check_csrf(&form.csrf)?;
    if current.user.plan != Plan::Business {
        return Err(WebError::PlanRequired);
    }
    if form.form_id.len() != 43 {
        return Err(WebError::BadRequest("the form has no id".into()));
    }
    let description = form.description.trim();
    let description = (!description.is_empty()).then(|| description.to_owned());
    let mut errors = WebhookErrors::default();
    let events = event_filter(&form.event);
    if let Err(err) = &events {
        let placed = field_errors(err).ok_or_else(|| WebError::BadRequest(err.to_string()))?;
        errors.events = placed.events;
    }
    if let Err(err) = check_description(description.as_deref()) {
        errors.description = field_errors(&err).and_then(|placed| placed.description);
    }
    let url = form.url.trim();
    let url = if url.is_empty() {
        errors.url = Some("Enter the URL that receives the events.".into());
        None
    } else {
        match app.webhooks.check_url(url).await {
            Ok(url) => Some(url),
            Err(refusal) => {
                errors.url = Some(sentence(&refusal.to_string()));
                None
            }
        }
    };
    let (Some(url), Ok(events), true) = (url, events, errors.description.is_none()) else {
        let entered = Entered {
            url: form.url,
            description: form.description,
            events: form.event,
        };
        let again = webhooks_page(&app, &current, None, entered, errors).await?;
        return page(StatusCode::UNPROCESSABLE_ENTITY, &again);
    };
    let now = app.clock.now().timestamp_millis();
    if !app.web.submitted.claim(&form.form_id, now).await? {
        return Ok(Redirect::to("/settings/webhooks?resubmitted=1").into_response());
    }
    let id = WebhookId::generate();
    let (secret, secret_sealed) = app.webhooks.new_secret(&id);
    // Made by its owner, not by a key: revoking keys leaves it alone, and it may carry every
    // event the owner can read. A key sees it when it may read the events chosen, as if that
    // key had made it.
    let owner_reads: Scopes = EVENT_SCOPES.into_iter().collect();
    let read_scopes = events.read_scopes(owner_reads).unwrap_or(owner_reads);
    let new = NewWebhook {
        id,
        user_id: current.user.id.clone(),
        created_by_key: None,
        url: url.to_string(),
        events,
        read_scopes,
        description,
        secret_sealed,
    };
    let webhook = app.store.insert_webhook(&new, now).await?;
    let created = CreatedPage {
        shell: Shell::new(&current, "webhooks"),
        id: webhook.id.into(),
        url: webhook.url,
        secret,
    };
    page(StatusCode::CREATED, &created)
}
