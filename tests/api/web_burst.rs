//! Sign-in under a burst of simultaneous attempts: the throttle's budget holds, and the
//! server's memory stays bounded and comes back afterwards.

use std::sync::Arc;

use linkedgrow::store::Plan;
use reqwest::StatusCode;
use tokio::sync::Barrier;

use crate::helpers::spawn_app;
use crate::web_client::{user_with_password, WebClient, PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_guesses_at_one_account_check_at_most_five_passwords() {
    let app = spawn_app().await;
    let user = user_with_password(&app, Plan::Business).await;
    let mut clients = Vec::new();
    for _ in 0..40 {
        let web = WebClient::new(&app);
        let csrf = web.csrf("/login").await;
        clients.push((web, csrf));
    }
    // All forms are loaded; now every guess goes out at once.
    let barrier = Arc::new(Barrier::new(clients.len()));
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, (web, csrf))| {
            let email = user.email.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let guess = format!("guess number {i}");
                barrier.wait().await;
                let response = web
                    .post(
                        "/login",
                        &[("csrf", &csrf), ("email", &email), ("password", &guess)],
                    )
                    .await;
                let waits = response.headers().contains_key("retry-after");
                (response.status(), waits)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let checked = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        (1..=5).contains(&checked),
        "{checked} passwords were checked: {answers:?}"
    );
    assert!(
        answers
            .iter()
            .all(|(status, waits)| *status == StatusCode::UNAUTHORIZED
                || (*status == StatusCode::TOO_MANY_REQUESTS && *waits)),
        "{answers:?}"
    );

    // The budget is spent: even the right password now waits.
    let web = WebClient::new(&app);
    let response = crate::web_client::try_sign_in(&web, &user.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_wrong_current_passwords_are_checked_at_most_five_times() {
    let app = spawn_app().await;
    let (web, _) = crate::web_client::signed_in(&app, Plan::Business).await;
    let csrf = web.csrf("/settings/profile").await;
    let barrier = Arc::new(Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (web, csrf, barrier) = (web.clone(), csrf.clone(), barrier.clone());
            tokio::spawn(async move {
                let guess = format!("guess number {i}");
                barrier.wait().await;
                let response = web
                    .post(
                        "/settings/password",
                        &[
                            ("csrf", csrf.as_str()),
                            ("current_password", &guess),
                            ("new_password", "a brand new password"),
                        ],
                    )
                    .await;
                response.text().await.unwrap()
            })
        })
        .collect();
    let mut checked = 0;
    for task in tasks {
        let html = task.await.unwrap();
        if html.contains("That is not your current password.") {
            checked += 1;
        } else {
            assert!(html.contains("Too many wrong passwords"), "{html}");
        }
    }
    assert!(
        (1..=5).contains(&checked),
        "{checked} passwords were checked"
    );
}
