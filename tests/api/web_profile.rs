//! Settings › Profile over HTTP, and the CLI that gives command-line users a password.

use linkedgrow::domain::Plan;
use reqwest::StatusCode;

use crate::helpers::{spawn_app, TestApp};
use crate::web_client::{csrf_in, location, signed_in, try_sign_in, WebClient, PASSWORD};

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    let (here, user) = signed_in(&app, Plan::Business).await;
    let elsewhere = WebClient::new(&app);
    elsewhere.sign_in(&user.email, PASSWORD).await;

    let csrf = here.csrf("/settings/profile").await;
    let change = |current: &'static str, new: &'static str| {
        let here = here.clone();
        let csrf = csrf.clone();
        async move {
            here.post(
                "/settings/password",
                &[
                    ("csrf", &csrf),
                    ("current_password", current),
                    ("new_password", new),
                ],
            )
            .await
        }
    };
    let response = change("not it", "a brand new password").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("That is not your current password."));
    let response = change(PASSWORD, "short").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let _ = elsewhere.page("/posts").await;

    let response = change(PASSWORD, "a brand new password").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(here
        .page("/settings/profile?saved=password")
        .await
        .contains("password was changed"));
    let response = elsewhere.get("/posts").await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the other session ended"
    );
    assert_eq!(location(&response), "/login");

    let fresh = WebClient::new(&app);
    assert_eq!(
        try_sign_in(&fresh, &user.email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    fresh.sign_in(&user.email, "a brand new password").await;
}

#[tokio::test]
async fn the_profile_saves_a_name_and_a_listed_timezone() {
    let app = spawn_app().await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let html = web.page("/settings/profile").await;
    assert!(html.contains(r#"<option value="Europe/Berlin">"#));
    assert!(html.contains(r#"<option value="UTC" selected>"#));
    let csrf = csrf_in(&html);

    let response = web
        .post(
            "/settings/profile",
            &[
                ("csrf", &csrf),
                ("name", "Ada L."),
                ("timezone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains(r#"id="timezone-error""#));

    let response = web
        .post(
            "/settings/profile",
            &[
                ("csrf", &csrf),
                ("name", "Ada L."),
                ("timezone", "Europe/Berlin"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let stored = app.store.user_by_id(&user.id).await.unwrap();
    assert_eq!(
        (stored.name.as_str(), stored.timezone.as_str()),
        ("Ada L.", "Europe/Berlin")
    );
    let html = web.page("/settings/profile?saved=profile").await;
    assert!(html.contains(r#"<option value="Europe/Berlin" selected>"#));
    assert!(html.contains("Ada L."));
}

/// Runs `linkedgrow users set-password` for `email` with `input` on standard input.
fn set_password_cli(app: &TestApp, email: &str, input: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_linkedgrow"))
        .args(["users", "set-password", "--email", email])
        .env("LINKEDGROW_DATABASE_URL", app.database_url())
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn set_password_on_the_command_line_lets_a_cli_user_sign_in() {
    let app = spawn_app().await;
    let user = app.create_user(Plan::Business).await;
    let short = set_password_cli(&app, &user.email, "short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 characters"));

    let output = set_password_cli(&app, &user.email, "a long enough password\n");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("can now sign in"));
    let web = WebClient::new(&app);
    web.sign_in(&user.email, "a long enough password").await;
}

#[tokio::test]
async fn a_password_reset_on_the_command_line_signs_out_every_session() {
    let app = spawn_app().await;
    let (laptop, user) = signed_in(&app, Plan::Business).await;
    let phone = WebClient::new(&app);
    phone.sign_in(&user.email, PASSWORD).await;
    let _ = laptop.page("/posts").await;

    let output = set_password_cli(&app, &user.email, "a new password after the theft\n");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("2 web sessions signed out"), "{stdout}");
    for web in [&laptop, &phone] {
        let response = web.get("/posts").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/login");
    }
    phone
        .sign_in(&user.email, "a new password after the theft")
        .await;
}
