//! Sign-in under a burst of simultaneous attempts: the throttle's budget holds, and the
//! server's memory stays bounded and comes back afterwards.

use std::sync::Arc;

use linkedgrow::domain::Plan;
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
    assert_eq!(app.web.passwords.checks(), checked as u64);
    eprintln!(
        "40 simultaneous guesses: {checked} password checks, {} answered 429",
        answers.len() - checked
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
            // Throttled, or (on a very slow machine) turned away unchecked as busy.
            assert!(
                html.contains("Too many wrong passwords") || html.contains("The server is busy"),
                "{html}"
            );
        }
    }
    assert!(
        (1..=5).contains(&checked),
        "{checked} passwords were checked"
    );
}

/// The server as its own process, killed when the test ends however it ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    /// A `/proc/<pid>/status` figure in KiB (`VmRSS` now, `VmHWM` the peak so far).
    fn kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap();
        let line = status
            .lines()
            .find(|line| line.starts_with(field))
            .unwrap_or_else(|| panic!("no {field} in {status}"));
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

/// The value a response sets for `name`.
fn cookie_value(response: &reqwest::Response, name: &str) -> String {
    let prefix = format!("{name}=");
    crate::web_client::set_cookies(response)
        .iter()
        .find_map(|c| {
            c.strip_prefix(&prefix)
                .map(|v| v.split(';').next().unwrap().to_owned())
        })
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

/// KiB in a MiB (the unit /proc reports in).
const MIB: u64 = 1024;

// The real binary in its own process: its memory (and its allocator settings) are then its own,
// read from /proc. Each argon2id run holds 19 MiB; unbounded, this burst took 3 GiB and kept it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_simultaneous_sign_ins_keep_memory_bounded_and_give_it_back() {
    use linkedgrow::admin;
    use linkedgrow::config::DatabaseUrl;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let mut emails = Vec::new();
    {
        let store = linkedgrow::open_store(&DatabaseUrl::Sqlite(path.clone()))
            .await
            .unwrap();
        for i in 0..10 {
            let email = format!("known{i}\u{40}example.com");
            admin::create_user(store.as_ref(), &email, "Known", Plan::Business, 0)
                .await
                .unwrap();
            admin::set_password(store.as_ref(), &email, PASSWORD, 0)
                .await
                .unwrap();
            emails.push(email);
        }
    }
    // Trusting the proxy, each attempt can come from its own address, so the per-address
    // throttle lets them all reach the password check.
    let (child, address) =
        crate::cli::serve(&format!("sqlite://{}", path.display()), &["--trust-proxy"]);
    let server = Server(child);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let loads: Vec<_> = (0..200)
        .map(|_| {
            let (client, url) = (client.clone(), format!("{address}/login"));
            tokio::spawn(async move {
                let response = client.get(url).send().await.unwrap();
                assert_eq!(response.status(), StatusCode::OK);
                let cookie = cookie_value(&response, "lg_form");
                let csrf = crate::web_client::csrf_in(&response.text().await.unwrap());
                (cookie, csrf)
            })
        })
        .collect();
    let mut forms = Vec::new();
    for load in loads {
        forms.push(load.await.unwrap());
    }
    let baseline = server.kib("VmRSS");

    let barrier = Arc::new(Barrier::new(forms.len()));
    let attempts: Vec<_> = forms
        .into_iter()
        .enumerate()
        .map(|(i, (cookie, csrf))| {
            // Half unknown emails, half known accounts (a few with the right password).
            let (email, password) = if i % 2 == 0 {
                (format!("nobody{i}\u{40}example.com"), "wrong password")
            } else if i % 10 == 1 {
                (emails[(i / 2) % emails.len()].clone(), PASSWORD)
            } else {
                (emails[(i / 2) % emails.len()].clone(), "wrong password")
            };
            let (client, url, barrier) =
                (client.clone(), format!("{address}/login"), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let response = client
                    .post(url)
                    .header("cookie", format!("lg_form={cookie}"))
                    .header(
                        "x-forwarded-for",
                        format!("10.0.{}.{}", i / 200, i % 200 + 1),
                    )
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("email", &email),
                        ("password", password),
                    ])
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                // Turned away (throttled or busy) always says when to come back.
                assert!(
                    status != StatusCode::TOO_MANY_REQUESTS
                        || response.headers().contains_key("retry-after")
                );
                status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    let peak = server.kib("VmHWM");
    let count = |wanted: StatusCode| statuses.iter().filter(|s| **s == wanted).count();
    let (signed_in, wrong, refused) = (
        count(StatusCode::SEE_OTHER),
        count(StatusCode::UNAUTHORIZED),
        count(StatusCode::TOO_MANY_REQUESTS),
    );
    assert_eq!(signed_in + wrong + refused, statuses.len(), "{statuses:?}");
    assert!(wrong > 0, "no password was checked: {statuses:?}");

    // Freed memory goes back to the system: poll briefly, as a free is not instant.
    let mut settled = server.kib("VmRSS");
    for _ in 0..50 {
        if settled < baseline + 16 * MIB {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        settled = server.kib("VmRSS");
    }
    eprintln!(
        "200 sign-ins: {signed_in} signed in, {wrong} wrong, {refused} refused (429); \
         RSS before {baseline} KiB, peak {peak} KiB, settled {settled} KiB"
    );
    assert!(peak < 128 * MIB, "peak RSS {peak} KiB");
    assert!(
        settled < baseline + 16 * MIB,
        "RSS stayed at {settled} KiB (before: {baseline} KiB)"
    );
}
