//! Settings › Webhooks over HTTP: adding an endpoint (field errors, the secret shown once), a
//! signed test event and a resend reaching a receiver on this machine, disabling, enabling,
//! deleting, and the refusals (no CSRF token, another account's endpoint, below Business).

use linkedgrow::domain::webhook::EventFilter;
use linkedgrow::domain::{KeyId, Plan, Scope, Scopes, WebhookId};
use linkedgrow::store::webhooks::{NewWebhook, Webhook};
use reqwest::StatusCode;

use crate::helpers::{spawn_app, spawn_app_with, TestApp};
use crate::web_client::{csrf_in, field_in, location, set_cookies, signed_in, WebClient};
use crate::webhook_receiver::{Answer, Receiver};
use linkedgrow::store::User;

const PAGE: &str = "/settings/webhooks";

/// A server whose webhooks may reach this machine, its clock set to the real time: the
/// official library checks a signature's timestamp against the real clock.
async fn spawn_app_for_receivers() -> TestApp {
    let app = spawn_app_with(|config| config.webhooks.allow_private = true).await;
    app.clock.set(chrono::Utc::now());
    app
}

/// Submits the add form of a fresh list page.
async fn add_form(
    web: &WebClient,
    url: &str,
    description: &str,
    events: &[&str],
) -> reqwest::Response {
    let html = web.page(PAGE).await;
    let (csrf, form_id) = (csrf_in(&html), field_in(&html, "form_id"));
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("form_id", form_id.as_str()),
        ("url", url),
        ("description", description),
    ];
    form.extend(events.iter().map(|e| ("event", *e)));
    web.post(PAGE, &form).await
}

/// The `whsec_…` secret on a page.
fn secret_in(html: &str) -> String {
    let start = html.find(r#"value="whsec_"#).expect("a secret on the page") + r#"value=""#.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_owned()
}

/// Adds an endpoint through `user`'s form; returns it and its secret.
async fn add(
    app: &TestApp,
    web: &WebClient,
    user: &User,
    url: &str,
    events: &[&str],
) -> (Webhook, String) {
    let before = webhooks_of(app, user).await.len();
    let response = add_form(web, url, "", events).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let secret = secret_in(&response.text().await.unwrap());
    let all = webhooks_of(app, user).await;
    assert_eq!(all.len(), before + 1);
    (all[0].clone(), secret)
}

/// `user`'s endpoints, newest first, straight from the store.
async fn webhooks_of(app: &TestApp, user: &User) -> Vec<Webhook> {
    let everything: Scopes = Scope::ALL.into_iter().collect();
    app.store
        .list_webhooks(&user.id, everything, 100, 0)
        .await
        .unwrap()
        .webhooks
}

/// An endpoint stored directly, as the API would make it (`by_key`) or as one kept from
/// earlier; its secret is never opened.
async fn stored_webhook(app: &TestApp, user: &User, url: &str, by_key: Option<KeyId>) -> Webhook {
    let new = NewWebhook {
        id: WebhookId::generate(),
        user_id: user.id.clone(),
        created_by_key: by_key,
        url: url.to_owned(),
        events: EventFilter::All,
        read_scopes: Scope::ALL.into_iter().collect(),
        description: None,
        secret_sealed: "never opened".into(),
    };
    app.store.insert_webhook(&new, app.now_ms()).await.unwrap()
}

/// POSTs a form that carries only the page's CSRF token.
async fn press(web: &WebClient, action: &str) -> reqwest::Response {
    let csrf = web.csrf(PAGE).await;
    web.post(action, &[("csrf", &csrf)]).await
}

/// The action of the first form on `html` whose action ends with `suffix`.
fn form_action(html: &str, suffix: &str) -> String {
    html.split(r#"action=""#)
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .find(|action| action.ends_with(suffix))
        .unwrap_or_else(|| panic!("no form ending {suffix} in {html}"))
        .to_owned()
}

#[tokio::test]
async fn add_form_errors_appear_next_to_their_fields() {
    let app = spawn_app().await;
    let (web, user) = signed_in(&app, Plan::Business).await;

    let response = add_form(&web, "  ", "", &[]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"<p class="field-error" id="webhook-url-error">Enter the URL that receives the events.</p>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<p class="field-error" id="events-error">Choose at least one event.</p>"#)
    );
    assert!(html.contains(r#"aria-describedby="events-hint events-error""#));

    // Refusals of the address guard, in its words; what was entered stays.
    let long = "x".repeat(501);
    let response = add_form(
        &web,
        "https://127.0.0.1/hooks",
        &long,
        &["post.published", "idea.converted"],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(
            "The url&#39;s host is a loopback address (127.0.0.1), which webhooks may not reach."
        ),
        "{html}"
    );
    assert!(html.contains(r#"value="https://127.0.0.1/hooks""#));
    assert!(html.contains(
        r#"<p class="field-error" id="webhook-description-error">Description must be at most 500 characters.</p>"#
    ));
    assert!(html.contains(r#"value="post.published" checked"#));
    assert!(html.contains(r#"value="idea.converted" checked"#));
    assert!(!html.contains(r#"value="post.created" checked"#));
    assert!(!html.contains("events-error"));

    let response = add_form(&web, "ftp://203.0.113.7/hooks", "", &["*"]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains(">The url must use https.</p>"), "{html}");
    assert!(html.contains(r#"value="*" checked"#));

    // A type no checkbox sends is a malformed request, not a field error.
    let response = add_form(&web, "https://203.0.113.7/hooks", "", &["post.exploded"]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(webhooks_of(&app, &user).await.is_empty());
}

#[tokio::test]
async fn a_new_webhook_shows_its_secret_once_and_gets_a_signed_test_event() {
    let app = spawn_app_for_receivers().await;
    let receiver = Receiver::start().await;
    let (web, user) = signed_in(&app, Plan::Business).await;

    let html = web.page(PAGE).await;
    assert!(html.contains("No webhooks yet."));
    assert!(html.contains(r#"<legend>Events</legend>"#));
    for group in ["Posts", "Ideas", "LinkedIn"] {
        assert!(
            html.contains(&format!("<legend>{group}</legend>")),
            "{group}"
        );
    }
    assert!(
        !html.contains(r#"value="webhook.test""#),
        "no box for the test event"
    );

    let form_page = web.page(PAGE).await;
    let (csrf, form_id) = (csrf_in(&form_page), field_in(&form_page, "form_id"));
    let form = [
        ("csrf", csrf.as_str()),
        ("form_id", form_id.as_str()),
        ("url", receiver.url()),
        ("description", " Slack notifier "),
        ("event", "post.published"),
        ("event", "idea.converted"),
    ];
    let response = web.post(PAGE, &form).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(
        set_cookies(&response).is_empty(),
        "no cookie carries the secret"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("It will not be shown again"), "{html}");
    assert!(html.contains(r#"data-copy-target="new-secret""#));
    assert!(html.contains("<code>webhook-signature</code>"));
    let secret = secret_in(&html);
    assert!(secret.starts_with("whsec_"), "{secret}");

    let everything: Scopes = Scope::ALL.into_iter().collect();
    let stored = app
        .store
        .list_webhooks(&user.id, everything, 10, 0)
        .await
        .unwrap()
        .webhooks;
    assert_eq!(stored.len(), 1);
    let webhook = &stored[0];
    assert_eq!(webhook.url, receiver.url());
    assert_eq!(webhook.description.as_deref(), Some("Slack notifier"));
    assert_eq!(webhook.created_by_key, None);
    assert_eq!(
        webhook.read_scopes.names(),
        ["posts:read", "ideas:read", "profile:read"]
    );
    assert_eq!(webhook.events.names(), ["post.published", "idea.converted"]);
    assert!(!webhook.disabled);
    assert!(!webhook.secret_sealed.contains(&secret[6..]));

    // Never again: not on the list, not on its page, not for the same form sent again.
    let list = web.page(PAGE).await;
    assert!(!list.contains(&secret));
    assert!(list.contains(&format!("/settings/webhooks/{}", webhook.id)));
    assert!(list.contains("Slack notifier"));
    assert!(list.contains("<code>idea.converted</code>"));
    assert!(list.contains(">Enabled</span>"));
    let detail_path = format!("/settings/webhooks/{}", webhook.id);
    let detail = web.page(&detail_path).await;
    assert!(!detail.contains(&secret));
    assert!(detail.contains("No deliveries yet."));
    let again = web.post(PAGE, &form).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&again), "/settings/webhooks?resubmitted=1");
    let page = web.page("/settings/webhooks?resubmitted=1").await;
    assert!(page.contains("That form was already used"));
    assert!(!page.contains(&secret));
    assert_eq!(webhooks_of(&app, &user).await.len(), 1);

    // *Send test event*: signed with the secret the page showed.
    let response = press(&web, &format!("{detail_path}/test")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response).to_owned();
    assert!(
        back.starts_with(&format!("{detail_path}?sent=dlv_")),
        "{back}"
    );
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let event = received[0].verified(&secret);
    assert_eq!(event["type"], "webhook.test");
    assert_eq!(event["data"]["webhookId"], webhook.id.as_str());

    let html = web.page(&back).await;
    assert!(
        html.contains(r#"<p class="notice" role="status">The test event was delivered: the receiver answered 200 in "#),
        "{html}"
    );
    assert!(html.contains("<code>webhook.test</code>"));
    assert!(html.contains(r#"<span class="result result-ok">200</span>"#));
    assert!(html.contains(&format!(
        "/settings/webhooks/{}/deliveries/dlv_",
        webhook.id
    )));
}

#[tokio::test]
async fn a_failed_delivery_is_shown_and_resent_from_the_page() {
    let app = spawn_app_for_receivers().await;
    let receiver = Receiver::start().await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let (webhook, secret) = add(&app, &web, &user, receiver.url(), &["*"]).await;
    let detail_path = format!("/settings/webhooks/{}", webhook.id);

    receiver.answer_next([Answer::Status(503)]);
    let response = press(&web, &format!("{detail_path}/test")).await;
    let html = web.page(location(&response)).await;
    assert!(
        html.contains(r#"<p class="alert" role="alert">The test event was not delivered: the receiver answered 503 after "#),
        "{html}"
    );
    assert!(html.contains(r#"<span class="result result-failed">503</span>"#));

    // The receiver is back; *Resend* on that attempt sends the same event again.
    let resend = form_action(&html, "/resend");
    let response = press(&web, &resend).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response).to_owned();
    assert!(
        back.starts_with(&format!("{detail_path}?resent=dlv_")),
        "{back}"
    );
    let html = web.page(&back).await;
    assert!(
        html.contains("The event was delivered: the receiver answered 200 in "),
        "{html}"
    );

    let received = receiver.received();
    assert_eq!(received.len(), 2);
    for request in &received {
        request.verified(&secret);
    }
    assert_eq!(
        received[0].header("webhook-id"),
        received[1].header("webhook-id"),
        "the same event"
    );
    assert_eq!(received[0].body, received[1].body);
    let deliveries = app
        .store
        .list_deliveries(&user.id, &webhook.id, 50, 0)
        .await
        .unwrap()
        .deliveries;
    let seen: Vec<_> = deliveries
        .iter()
        .map(|d| (d.attempt, d.status_code))
        .collect();
    assert_eq!(seen, [(2, Some(200)), (1, Some(503))], "newest first");
    // Both rows are on the page, each with its own *Resend*.
    assert_eq!(html.matches("/resend\"").count(), 2);
}

#[tokio::test]
async fn disable_enable_and_delete_after_confirmation() {
    let app = spawn_app_for_receivers().await;
    let receiver = Receiver::start().await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let (webhook, _) = add(&app, &web, &user, receiver.url(), &["post.created"]).await;
    let detail_path = format!("/settings/webhooks/{}", webhook.id);

    let response = press(&web, &format!("{detail_path}/disable")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("{detail_path}?disabled=1"));
    let stored = app.store.get_webhook(&user.id, &webhook.id).await.unwrap();
    assert!(stored.disabled);
    assert_eq!(stored.disabled_reason.as_deref(), Some("owner"));
    let html = web.page(&format!("{detail_path}?disabled=1")).await;
    assert!(html.contains("The webhook is disabled: no events are sent to it."));
    assert!(
        html.contains(r#"id="webhook-state">Disabled by you</span>"#),
        "{html}"
    );
    assert!(html.contains(&format!(r#"action="{detail_path}/enable""#)));
    assert!(!html.contains(&format!(r#"action="{detail_path}/disable""#)));
    assert!(web.page(PAGE).await.contains(">Disabled by you</span>"));

    let response = press(&web, &format!("{detail_path}/enable")).await;
    assert_eq!(location(&response), format!("{detail_path}?enabled=1"));
    let stored = app.store.get_webhook(&user.id, &webhook.id).await.unwrap();
    assert!(!stored.disabled);
    assert_eq!(stored.disabled_reason, None);
    let html = web.page(&format!("{detail_path}?enabled=1")).await;
    assert!(html.contains(r#"id="webhook-state">Enabled</span>"#));

    // Delete asks first; Cancel leads back to the webhook.
    let html = web.page(&format!("{detail_path}/delete")).await;
    assert!(html.contains("Delete this webhook?"));
    assert!(html.contains(&format!(
        r#"<a class="button" href="{detail_path}">Cancel</a>"#
    )));
    let csrf = csrf_in(&html);
    let response = web
        .post(&format!("{detail_path}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/settings/webhooks?deleted=1");
    assert!(web
        .page("/settings/webhooks?deleted=1")
        .await
        .contains("The webhook was deleted"));
    assert!(webhooks_of(&app, &user).await.is_empty());
    let response = web.get(&detail_path).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("Page not found"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_change_nothing() {
    let app = spawn_app_for_receivers().await;
    let receiver = Receiver::start().await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let (webhook, _) = add(&app, &web, &user, receiver.url(), &["*"]).await;
    press(&web, &format!("/settings/webhooks/{}/test", webhook.id)).await;
    let delivery = &app
        .store
        .list_deliveries(&user.id, &webhook.id, 1, 0)
        .await
        .unwrap()
        .deliveries[0];
    let detail_path = format!("/settings/webhooks/{}", webhook.id);
    let form_id = field_in(&web.page(PAGE).await, "form_id");

    for action in [
        "/settings/webhooks".to_owned(),
        format!("{detail_path}/test"),
        format!("{detail_path}/deliveries/{}/resend", delivery.id),
        format!("{detail_path}/disable"),
        format!("{detail_path}/delete"),
    ] {
        for csrf in [None, Some("forged-token-forged-token-forged-token-abcd")] {
            let mut form = vec![
                ("form_id", form_id.as_str()),
                ("url", receiver.url()),
                ("event", "*"),
            ];
            form.extend(csrf.map(|token| ("csrf", token)));
            let response = web.post(&action, &form).await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{action} {csrf:?}"
            );
            assert!(response
                .text()
                .await
                .unwrap()
                .contains("This form could not be accepted"));
        }
    }
    assert_eq!(receiver.received().len(), 1, "nothing sent");
    let stored = webhooks_of(&app, &user).await;
    assert_eq!(stored.len(), 1, "nothing added or deleted");
    assert!(!stored[0].disabled);

    // Without a session, off to sign in.
    let stranger = WebClient::new(&app);
    for path in [PAGE.to_owned(), detail_path] {
        let response = stranger.get(&path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), "/login");
    }
}

#[tokio::test]
async fn another_accounts_webhook_and_unknown_ids_are_not_found() {
    let app = spawn_app_for_receivers().await;
    let receiver = Receiver::start().await;
    let (owner, owner_user) = signed_in(&app, Plan::Business).await;
    let (webhook, _) = add(&app, &owner, &owner_user, receiver.url(), &["*"]).await;
    press(&owner, &format!("/settings/webhooks/{}/test", webhook.id)).await;
    let (other, _) = signed_in(&app, Plan::Business).await;
    assert!(!other.page(PAGE).await.contains(webhook.id.as_str()));

    for id in [webhook.id.as_str(), "wh_unknown"] {
        let detail_path = format!("/settings/webhooks/{id}");
        for path in [detail_path.clone(), format!("{detail_path}/delete")] {
            let response = other.get(&path).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
            assert!(response.text().await.unwrap().contains("Page not found"));
        }
        for action in [
            "test",
            "disable",
            "enable",
            "delete",
            "deliveries/dlv_x/resend",
        ] {
            let response = press(&other, &format!("{detail_path}/{action}")).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{action}");
        }
    }
    assert_eq!(receiver.received().len(), 1);
    let stored = webhooks_of(&app, &owner_user).await;
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].disabled);
}

#[tokio::test]
async fn why_the_server_disabled_a_webhook_is_said_in_words() {
    let app = spawn_app_for_receivers().await;
    let receiver = Receiver::start().await;
    let (web, user) = signed_in(&app, Plan::Business).await;

    // The receiver answers 410 Gone: the endpoint is disabled at once.
    let (gone, _) = add(&app, &web, &user, receiver.url(), &["*"]).await;
    receiver.answer_next([Answer::Status(410)]);
    press(&web, &format!("/settings/webhooks/{}/test", gone.id)).await;
    let html = web.page(&format!("/settings/webhooks/{}", gone.id)).await;
    assert!(
        html.contains(r#"id="webhook-state">Disabled: the receiver answered 410 Gone</span>"#),
        "{html}"
    );

    // One made through the API by a key that is then revoked.
    let (key_id, _) = app.create_key(&user, &Scope::ALL).await;
    let key_id = KeyId::from(key_id.as_str());
    let by_key = stored_webhook(&app, &user, receiver.url(), Some(key_id.clone())).await;
    app.store.revoke_key(&key_id, app.now_ms()).await.unwrap();
    let html = web.page(&format!("/settings/webhooks/{}", by_key.id)).await;
    assert!(
        html.contains(
            r#"id="webhook-state">Disabled: the API key that created it was revoked</span>"#
        ),
        "{html}"
    );
    let list = web.page(PAGE).await;
    assert!(list.contains(">Disabled: the receiver answered 410 Gone</span>"));
    assert!(list.contains(">Disabled: the API key that created it was revoked</span>"));
    assert!(!list.contains(">Enabled</span>"));
}

#[tokio::test]
async fn times_are_shown_in_the_users_timezone() {
    let app = spawn_app_with(|config| config.webhooks.allow_private = true).await;
    let receiver = Receiver::start().await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    app.store
        .update_profile(&user.id, &user.name, "Asia/Tokyo")
        .await
        .unwrap();
    let (webhook, _) = add(&app, &web, &user, receiver.url(), &["*"]).await;
    press(&web, &format!("/settings/webhooks/{}/test", webhook.id)).await;
    // The test clock's 09:00 UTC is 18:00 in Tokyo.
    assert!(web.page(PAGE).await.contains("5 Jan 2026, 18:00"));
    let html = web
        .page(&format!("/settings/webhooks/{}", webhook.id))
        .await;
    assert!(
        html.contains(r#"<td class="when" data-label="Time">5 Jan 2026, 18:00</td>"#),
        "{html}"
    );
}

#[tokio::test]
async fn below_business_the_page_explains_and_nothing_is_added_or_sent() {
    let app = spawn_app_for_receivers().await;
    let receiver = Receiver::start().await;
    let (web, user) = signed_in(&app, Plan::Pro).await;
    let html = web.page(PAGE).await;
    assert!(html.contains("Webhooks need the Business plan"), "{html}");
    assert!(html.contains(r#"<strong class="capitalize">pro</strong>"#));
    assert!(
        !html.contains(r#"action="/settings/webhooks""#),
        "no add form"
    );

    let csrf = csrf_in(&html);
    let response = web
        .post(
            PAGE,
            &[
                ("csrf", csrf.as_str()),
                ("form_id", &"f".repeat(43)),
                ("url", receiver.url()),
                ("event", "*"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("Business plan"));
    assert!(webhooks_of(&app, &user).await.is_empty());

    // An endpoint kept from a Business past can be looked at, disabled and deleted, not used.
    let kept = stored_webhook(&app, &user, receiver.url(), None).await;
    let detail_path = format!("/settings/webhooks/{}", kept.id);
    let html = web.page(&detail_path).await;
    assert!(!html.contains("/test\""), "{html}");
    let response = press(&web, &format!("{detail_path}/test")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(receiver.received().is_empty());
    let response = press(&web, &format!("{detail_path}/disable")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = press(&web, &format!("{detail_path}/enable")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        app.store
            .get_webhook(&user.id, &kept.id)
            .await
            .unwrap()
            .disabled
    );
}
