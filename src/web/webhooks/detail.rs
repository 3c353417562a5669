//! One endpoint's page: its recent deliveries with *Resend*, *Send test event*, disable and
//! enable, and delete after a confirmation.
//!
//! Sending answers with a redirect back to the page (so a reload sends nothing twice), which
//! names the new attempt; the page then says what became of it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::{DeliveryId, Plan, WebhookId};
use crate::store::webhooks::{Webhook, WebhookChange};
use crate::store::StoreError;
use crate::AppState;

use super::super::linkedin::CsrfForm;
use super::super::render::{ok, Shell, WebForm};
use super::super::session::CurrentUser;
use super::super::WebError;
use super::view::{delivery_row, outcome, webhook_row, DeliveryRow, WebhookRow};

/// Attempts the page lists.
const RECENT_DELIVERIES: u32 = 50;

#[derive(Template)]
#[template(path = "webhook_detail.html")]
struct DetailPage {
    shell: Shell,
    webhook: WebhookRow,
    business: bool,
    notice: Option<String>,
    problem: Option<String>,
    deliveries: Vec<DeliveryRow>,
    total: u64,
}

#[derive(Template)]
#[template(path = "webhook_delete.html")]
struct DeletePage {
    shell: Shell,
    webhook: WebhookRow,
}

/// What the page says after an action: `?sent=dlv_…` (a test), `?resent=dlv_…`,
/// `?disabled=1`, `?enabled=1`, `?problem=busy|changed`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailQuery {
    sent: Option<String>,
    resent: Option<String>,
    disabled: Option<String>,
    enabled: Option<String>,
    problem: Option<String>,
}

fn page_of(id: &WebhookId) -> String {
    format!("/settings/webhooks/{id}")
}

/// An endpoint's page.
pub async fn show_webhook(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<WebhookId>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, WebError> {
    let webhook = app.store.get_webhook(&current.user.id, &id).await?;
    let recent = app
        .store
        .list_deliveries(&current.user.id, &id, RECENT_DELIVERIES, 0)
        .await?;
    let mut notice = None;
    let mut problem = None;
    let asked = [
        ("The test event was", &query.sent),
        ("The event was", &query.resent),
    ];
    for (what, delivery_id) in asked {
        let Some(delivery_id) = delivery_id else {
            continue;
        };
        // An attempt no longer among the recent ones goes unmentioned.
        if let Some(delivery) = recent.deliveries.iter().find(|d| d.id == **delivery_id) {
            let (delivered, sentence) = outcome(what, delivery);
            if delivered {
                notice = Some(sentence);
            } else {
                problem = Some(sentence);
            }
        }
    }
    if query.disabled.is_some() {
        notice = Some("The webhook is disabled: no events are sent to it.".into());
    } else if query.enabled.is_some() {
        notice = Some("The webhook is enabled: new events are sent to it again.".into());
    }
    problem = match query.problem.as_deref() {
        Some("busy") => {
            Some("That event is being delivered right now; resend it again in a moment.".into())
        }
        Some("changed") => {
            Some("The webhook changed meanwhile (perhaps through the API); look again.".into())
        }
        _ => problem,
    };
    let tz = current.timezone();
    ok(&DetailPage {
        shell: Shell::new(&current, "webhooks"),
        webhook: webhook_row(&webhook, tz),
        business: current.user.plan == Plan::Business,
        notice,
        problem,
        deliveries: recent
            .deliveries
            .iter()
            .map(|d| delivery_row(d, tz))
            .collect(),
        total: recent.total,
    })
}

fn require_business(current: &CurrentUser) -> Result<(), WebError> {
    if current.user.plan == Plan::Business {
        Ok(())
    } else {
        Err(WebError::PlanRequired)
    }
}

/// *Send test event*: a `webhook.test` event now, then back to the page with its outcome.
pub async fn send_test_event(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<WebhookId>,
    WebForm(form): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    current.check_csrf(form.csrf())?;
    require_business(&current)?;
    let delivery = app.webhooks.send_test(&current.user.id, &id).await?;
    let back = format!("{}?sent={}", page_of(&id), delivery.id);
    Ok(Redirect::to(&back).into_response())
}

/// *Resend*: the event of one attempt, again now.
pub async fn resend_delivery(
    State(app): State<AppState>,
    current: CurrentUser,
    Path((id, delivery_id)): Path<(WebhookId, DeliveryId)>,
    WebForm(form): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    current.check_csrf(form.csrf())?;
    require_business(&current)?;
    let back = match app
        .webhooks
        .resend(&current.user.id, &id, &delivery_id)
        .await
    {
        Ok(delivery) => format!("{}?resent={}", page_of(&id), delivery.id),
        Err(StoreError::Conflict(_)) => format!("{}?problem=busy", page_of(&id)),
        Err(err) => return Err(err.into()),
    };
    Ok(Redirect::to(&back).into_response())
}

/// Disables or enables the endpoint, keeping everything else as it is.
async fn set_disabled(
    app: &AppState,
    current: &CurrentUser,
    id: &WebhookId,
    disabled: bool,
) -> Result<Response, WebError> {
    let webhook: Webhook = app.store.get_webhook(&current.user.id, id).await?;
    let change = WebhookChange {
        url: webhook.url,
        events: webhook.events,
        read_scopes: webhook.read_scopes,
        description: webhook.description,
        disabled,
    };
    let now = app.clock.now().timestamp_millis();
    let done = if disabled { "disabled=1" } else { "enabled=1" };
    let back = match app
        .store
        .update_webhook(&current.user.id, id, webhook.version, &change, now)
        .await
    {
        Ok(_) => format!("{}?{done}", page_of(id)),
        Err(StoreError::Conflict(_)) => format!("{}?problem=changed", page_of(id)),
        Err(err) => return Err(err.into()),
    };
    if !disabled {
        // Events that waited while it was disabled may go now.
        app.webhooks.wake();
    }
    Ok(Redirect::to(&back).into_response())
}

/// *Disable*: nothing is sent to it until it is enabled again.
pub async fn disable_webhook(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<WebhookId>,
    WebForm(form): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    current.check_csrf(form.csrf())?;
    set_disabled(&app, &current, &id, true).await
}

/// *Enable*: clears why it was disabled and its run of failures.
pub async fn enable_webhook(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<WebhookId>,
    WebForm(form): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    current.check_csrf(form.csrf())?;
    require_business(&current)?;
    set_disabled(&app, &current, &id, false).await
}

/// The confirmation step before deleting.
pub async fn confirm_delete(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<WebhookId>,
) -> Result<Response, WebError> {
    let webhook = app.store.get_webhook(&current.user.id, &id).await?;
    ok(&DeletePage {
        shell: Shell::new(&current, "webhooks"),
        webhook: webhook_row(&webhook, current.timezone()),
    })
}

/// Deletes the endpoint, its queue and its deliveries.
pub async fn delete_webhook(
    State(app): State<AppState>,
    current: CurrentUser,
    Path(id): Path<WebhookId>,
    WebForm(form): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    current.check_csrf(form.csrf())?;
    app.store
        .delete_webhook(&current.user.id, &id, None)
        .await?;
    Ok(Redirect::to("/settings/webhooks?deleted=1").into_response())
}
