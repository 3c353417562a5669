//! The web app over plain HTTP: first run, sessions, CSRF, sign-in throttling, security
//! headers, and which errors are pages and which stay JSON.

use linkedgrow::domain::Plan;
use reqwest::StatusCode;

use crate::helpers::{assert_error, spawn_app, spawn_app_trusting_proxy};
use crate::web_client::{
    csrf_in, location, set_cookies, signed_in, try_sign_in, user_with_password, WebClient, PASSWORD,
};

fn owner_email() -> String {
    "owner\u{40}example.com".to_owned()
}

async fn setup_form(web: &WebClient, csrf: &str, email: &str, password: &str) -> reqwest::Response {
    web.post(
        "/setup",
        &[
            ("csrf", csrf),
            ("email", email),
            ("name", "Olive Owner"),
            ("password", password),
        ],
    )
    .await
}

#[tokio::test]
async fn first_run_creates_a_business_owner_once() {
    let app = spawn_app().await;
    let web = WebClient::new(&app);
    let html = web.page("/").await;
    assert!(html.contains(r#"action="/setup""#), "{html}");
    for field in ["email", "name", "password"] {
        assert!(
            html.contains(&format!(r#"<label for="{field}">"#)),
            "{field}"
        );
    }
    let csrf = csrf_in(&html);

    let response = setup_form(&web, &csrf, &owner_email(), PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?created=1");
    let owner = app.store.user_by_email(&owner_email()).await.unwrap();
    assert_eq!(owner.plan, Plan::Business);
    assert_eq!(owner.name, "Olive Owner");

    // The form is gone: `/` sends people to sign in, and posting it again is refused.
    let response = web.get("/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");
    let again = setup_form(&web, &csrf, "second\u{40}example.com", PASSWORD).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(app.store.count_users().await.unwrap(), 1);

    web.sign_in(&owner_email(), PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_first_run_forms_create_exactly_one_owner() {
    let app = spawn_app().await;
    // Every client loads the form first, then all submit at once.
    let mut forms = Vec::new();
    for _ in 0..8 {
        let web = WebClient::new(&app);
        let csrf = web.csrf("/").await;
        forms.push((web, csrf));
    }
    let tasks: Vec<_> = forms
        .into_iter()
        .enumerate()
        .map(|(i, (web, csrf))| {
            tokio::spawn(async move {
                let email = format!("owner{i}\u{40}example.com");
                setup_form(&web, &csrf, &email, PASSWORD).await.status()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::SEE_OTHER)
        .count();
    assert_eq!(created, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::SEE_OTHER || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert_eq!(app.store.count_users().await.unwrap(), 1);
}

#[tokio::test]
async fn the_first_run_form_explains_what_is_wrong() {
    let app = spawn_app().await;
    let web = WebClient::new(&app);
    let csrf = web.csrf("/").await;
    let response = setup_form(&web, &csrf, "not-an-email", "short").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="email-error""#), "{html}");
    assert!(html.contains(r#"id="password-error""#), "{html}");
    assert!(html.contains("at least 8 characters"), "{html}");
    assert!(!html.contains(r#"id="name-error""#));
    assert!(
        html.contains(r#"value="not-an-email""#),
        "the email is kept"
    );
    assert_eq!(app.store.count_users().await.unwrap(), 0);
}

#[tokio::test]
async fn a_session_cookie_is_httponly_samesite_and_sign_out_ends_it_on_the_server() {
    let app = spawn_app().await;
    let user = user_with_password(&app, Plan::Business).await;
    let web = WebClient::new(&app);
    let csrf = web.csrf("/login").await;
    let response = web
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", &user.email),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookies = set_cookies(&response);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("lg_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(session.contains("Path=/"), "{session}");
    assert!(!session.contains("Secure"), "plain HTTP: {session}");
    let token = session["lg_session=".len()..session.find(';').unwrap()].to_owned();
    assert_eq!(token.len(), 43);

    let html = web.page("/settings/api").await;
    let response = web.post("/logout", &[("csrf", &csrf_in(&html))]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?signed_out=1");

    // The old cookie, sent again by hand, no longer opens anything: the server forgot it.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/settings/api"))
        .header("cookie", format!("lg_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&replay), "/login");
}

#[tokio::test]
async fn the_cookie_is_secure_only_when_a_trusted_proxy_says_https() {
    for (trusted, expect_secure) in [(true, true), (false, false)] {
        let app = if trusted {
            spawn_app_trusting_proxy().await
        } else {
            spawn_app().await
        };
        let user = user_with_password(&app, Plan::Business).await;
        let web = WebClient::new(&app);
        let csrf = web.csrf("/login").await;
        let response = web
            .client
            .post(app.url("/login"))
            .header("x-forwarded-proto", "https")
            .form(&[
                ("csrf", &csrf),
                ("email", &user.email),
                ("password", &PASSWORD.to_owned()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let cookies = set_cookies(&response);
        let session = cookies
            .iter()
            .find(|c| c.starts_with("lg_session="))
            .unwrap();
        assert_eq!(
            session.contains("; Secure"),
            expect_secure,
            "trusted {trusted}: {session}"
        );
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_message() {
    let app = spawn_app().await;
    let user = user_with_password(&app, Plan::Business).await;
    let web = WebClient::new(&app);
    let wrong = try_sign_in(&web, &user.email, "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookies(&wrong)
        .iter()
        .all(|c| !c.starts_with("lg_session=")));
    let wrong = wrong.text().await.unwrap();
    let unknown = try_sign_in(&web, "nobody\u{40}example.com", PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown = unknown.text().await.unwrap();
    let message = "That email and password do not match an account.";
    assert!(wrong.contains(message), "{wrong}");
    assert!(unknown.contains(message), "{unknown}");

    // A CLI-made user without a password cannot sign in either, with the same message.
    let no_password = app.create_user(Plan::Business).await;
    let response = try_sign_in(&web, &no_password.email, "").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.text().await.unwrap().contains(message));
}

#[tokio::test]
async fn repeated_failures_make_an_account_wait_and_the_wait_ends() {
    let app = spawn_app_trusting_proxy().await;
    let user = user_with_password(&app, Plan::Business).await;
    let web = WebClient::new(&app);
    for attempt in 0..5 {
        // From a different address each time: the account itself is what is counted.
        let csrf = web.csrf("/login").await;
        let response = web
            .client
            .post(app.url("/login"))
            .header("x-forwarded-for", format!("198.51.100.{attempt}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", &user.email),
                ("password", "guess"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    // Now even the right password is not checked until the wait is over.
    let response = try_sign_in(&web, &user.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "30");
    assert!(set_cookies(&response)
        .iter()
        .all(|c| !c.starts_with("lg_session=")));
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Too many failed attempts"));

    app.clock.advance(chrono::Duration::seconds(29));
    let response = try_sign_in(&web, &user.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "1");

    app.clock.advance(chrono::Duration::seconds(1));
    let response = try_sign_in(&web, &user.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn one_address_failing_on_many_accounts_is_slowed_down() {
    let app = spawn_app_trusting_proxy().await;
    let user = user_with_password(&app, Plan::Business).await;
    let web = WebClient::new(&app);
    let from = |address: &'static str, email: String, password: &'static str| {
        let web = web.clone();
        let url = app.url("/login");
        async move {
            let csrf = web.csrf("/login").await;
            web.client
                .post(url)
                .header("x-forwarded-for", address)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("email", &email),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for i in 0..20 {
        let status = from("203.0.113.9", format!("guess{i}\u{40}example.com"), "guess").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = from("203.0.113.9", user.email.clone(), PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // The same account from another address is fine: the account itself had no failures.
    let status = from("192.0.2.44", user.email.clone(), PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused() {
    let app = spawn_app().await;
    // Signed-out forms: first run and sign in.
    let web = WebClient::new(&app);
    let _ = web.csrf("/").await;
    let response = setup_form(&web, "", &owner_email(), PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = setup_form(
        &web,
        "forged-token-forged-token-forged-token-abcd",
        &owner_email(),
        PASSWORD,
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.count_users().await.unwrap(), 0);

    let (alice, alice_user) = signed_in(&app, Plan::Business).await;
    let (mallory, _) = signed_in(&app, Plan::Business).await;
    let fresh = WebClient::new(&app);
    let _ = fresh.csrf("/login").await;
    let response = fresh
        .post(
            "/login",
            &[("email", &alice_user.email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("security token"));

    // Signed-in forms: missing, wrong, and another session's token.
    let mallory_token = mallory.csrf("/settings/api").await;
    for token in [None, Some("wrong"), Some(mallory_token.as_str())] {
        let mut form = vec![("name", "Zapier integration"), ("scope", "posts:read")];
        if let Some(token) = token {
            form.push(("csrf", token));
        }
        let response = alice.post("/settings/api", &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "token {token:?}");
        let response = alice.post("/logout", &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "token {token:?}");
    }
    assert!(app
        .store
        .list_keys(&alice_user.id)
        .await
        .unwrap()
        .is_empty());
    // Still signed in: the refused sign-out changed nothing.
    let _ = alice.page("/settings/api").await;
}

#[tokio::test]
async fn a_planted_form_cookie_is_refused_and_only_the_servers_own_works() {
    let app = spawn_app().await;
    // Someone who can set cookies for the site plants a value of their choosing and sends
    // the same value in the form: no double-submit check alone can tell.
    let chosen = "planted-by-someone-else-planted-by-someone1";
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let planted = |path: &str, form: &[(&str, &str)]| {
        client
            .post(app.url(path))
            .header("cookie", format!("lg_form={chosen}"))
            .form(form)
            .send()
    };
    let response = planted(
        "/setup",
        &[
            ("csrf", chosen),
            ("email", &owner_email()),
            ("name", "Mallory"),
            ("password", PASSWORD),
        ],
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.count_users().await.unwrap(), 0);

    let user = user_with_password(&app, Plan::Business).await;
    let response = planted(
        "/login",
        &[
            ("csrf", chosen),
            ("email", &user.email),
            ("password", PASSWORD),
        ],
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(set_cookies(&response)
        .iter()
        .all(|c| !c.starts_with("lg_session=")));

    // A page load replaces a planted cookie with one the server signed, and that one works.
    let web = WebClient::new(&app);
    let response = web
        .client
        .get(app.url("/login"))
        .header("cookie", format!("lg_form={chosen}"))
        .send()
        .await
        .unwrap();
    let issued = set_cookies(&response);
    assert!(
        issued
            .iter()
            .any(|c| c.starts_with("lg_form=") && !c.contains(chosen)),
        "{issued:?}"
    );
    web.sign_in(&user.email, PASSWORD).await;

    // A genuine token ages out: after 12 hours the form is refused, a reload gets a new one.
    let later = WebClient::new(&app);
    let csrf = later.csrf("/login").await;
    app.clock.advance(chrono::Duration::hours(12));
    let form = [
        ("csrf", csrf.as_str()),
        ("email", &user.email),
        ("password", PASSWORD),
    ];
    let response = later.post("/login", &form).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    later.sign_in(&user.email, PASSWORD).await;
}

#[tokio::test]
async fn the_form_token_secret_outlives_a_restart_and_is_shared_by_instances() {
    use linkedgrow::config::{Config, DatabaseUrl};
    use linkedgrow::AppState;

    let app = spawn_app().await;
    let token = app.web.form_tokens.issue(app.now_ms());
    // Another instance (or this one restarted) on the same database accepts it.
    let config = Config::new(DatabaseUrl::Sqlite(app.db_path.clone()));
    let other = AppState::from_config(&config, app.clock.clone())
        .await
        .unwrap();
    assert!(other.web.form_tokens.is_valid(&token, app.now_ms()));
    // Another database has its own secret.
    let elsewhere = spawn_app().await;
    assert!(!elsewhere.web.form_tokens.is_valid(&token, app.now_ms()));
}

fn assert_security_headers(response: &reqwest::Response) {
    let headers = response.headers();
    let path = response.url().path();
    let csp = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{path}: {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
    assert_eq!(headers["x-frame-options"], "DENY", "{path}");
    assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
}

#[tokio::test]
async fn security_headers_on_every_page_asset_and_error() {
    let app = spawn_app().await;
    let anonymous = WebClient::new(&app);
    let response = anonymous.get("/").await;
    assert_security_headers(&response);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("<script src=\"/assets/app.js\""));

    let (web, _) = signed_in(&app, Plan::Business).await;
    for path in [
        "/login",
        "/posts",
        "/posts/new",
        "/ideas",
        "/analytics",
        "/settings/api",
        "/settings/profile",
        "/assets/app.css",
        "/assets/app.js",
        "/no-such-page",
    ] {
        let response = web.get(path).await;
        assert_security_headers(&response);
        if response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
        {
            assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
            let html = response.text().await.unwrap();
            // No inline script anywhere: the only script tag loads the file.
            assert_eq!(html.matches("<script").count(), 1, "{path}");
            assert!(
                !html.contains(" onclick=") && !html.contains(" style="),
                "{path}"
            );
        }
    }
    let response = app
        .client
        .get(app.url("/api/v1/posts"))
        .send()
        .await
        .unwrap();
    assert_security_headers(&response);
}

#[tokio::test]
async fn unknown_pages_are_html_and_unknown_api_paths_stay_json() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/no-such-page"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(response.text().await.unwrap().contains("Page not found"));

    let response = app
        .client
        .get(app.url("/api/v2/whatever"))
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "NOT_FOUND").await;
    let response = app
        .client
        .get(app.url("/api/v1/nothing"))
        .send()
        .await
        .unwrap();
    assert_error(response, 404, "NOT_FOUND").await;

    // A page route with the wrong method is an HTML page too.
    let response = app.client.get(app.url("/logout")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}
