//! Revocation is immediate under load: four keep-alive loops call the API with a key while it is
//! revoked (by the CLI in another process, by the web page, or by a plan change below Business),
//! and no request sent after the revoking action returned may succeed.
//!
//! `REVOCATION_TRIALS` sets the trials per way of revoking (a few here; `scripts/revocation-trials`
//! runs the full count).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use linkedgrow::domain::Plan;
use linkedgrow::domain::Scope;
use linkedgrow::store::User;

use crate::helpers::{spawn_app_with, TestApp};
use crate::web_client::{csrf_in, signed_in, WebClient};

/// Concurrent keep-alive loops per key.
const LOOPS: usize = 4;
/// Requests each loop must send after the revocation returned before it stops.
const REQUESTS_AFTER: usize = 5;

fn trials() -> usize {
    std::env::var("REVOCATION_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

/// How one trial revokes the key.
#[derive(Clone, Copy, Debug)]
enum Revoke {
    Cli,
    WebPage,
    PlanDown,
}

impl Revoke {
    /// The status every request sent after the revocation must get.
    fn expected_status(self) -> u16 {
        match self {
            Revoke::Cli | Revoke::WebPage => 401,
            Revoke::PlanDown => 403,
        }
    }
}

/// What the loops saw after the revocation returned.
#[derive(Default, Debug)]
struct Tally {
    after: usize,
    succeeded_after: usize,
    other_after: Vec<u16>,
}

async fn run_cli(app: &TestApp, args: &[&str]) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_linkedgrow"))
        .args(args)
        .env("LINKEDGROW_DATABASE_URL", app.database_url())
        .env_remove("RUST_LOG")
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Calls the API with `key` in a keep-alive loop until `REQUESTS_AFTER` requests were sent
/// after `revoked_at` was set; counts their answers.
async fn hammer(
    app_url: String,
    key: String,
    warm: Arc<AtomicUsize>,
    revoked_at: Arc<OnceLock<Instant>>,
) -> Tally {
    // One client per loop: its own keep-alive connection, as an integration would hold.
    let client = reqwest::Client::new();
    let mut tally = Tally::default();
    let mut warmed = false;
    while tally.after < REQUESTS_AFTER {
        let sent_at = Instant::now();
        let status = client
            .get(&app_url)
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        match revoked_at.get() {
            Some(revoked) if sent_at > *revoked => {
                tally.after += 1;
                if status == 200 {
                    tally.succeeded_after += 1;
                } else {
                    tally.other_after.push(status);
                }
            }
            _ if status == 200 && !warmed => {
                warmed = true;
                warm.fetch_add(1, Ordering::SeqCst);
            }
            _ => {}
        }
    }
    tally
}

/// One trial: a fresh key, the loops, the revocation, the tally.
async fn trial(app: &TestApp, user: &User, web: &WebClient, how: Revoke, n: usize) -> Tally {
    let (key_id, key) = app.create_key(user, &[Scope::PostsRead]).await;
    let warm = Arc::new(AtomicUsize::new(0));
    let revoked_at = Arc::new(OnceLock::new());
    let loops: Vec<_> = (0..LOOPS)
        .map(|_| {
            tokio::spawn(hammer(
                app.url("/api/v1/posts?limit=1"),
                key.clone(),
                warm.clone(),
                revoked_at.clone(),
            ))
        })
        .collect();
    // Every loop has had the key accepted (and the server has it in hand) before the revocation,
    // which then lands at a different point of the loops' requests each trial.
    while warm.load(Ordering::SeqCst) < LOOPS {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_micros((n as u64 * 1_777) % 20_000)).await;
    match how {
        Revoke::Cli => run_cli(app, &["keys", "revoke", &key_id]).await,
        Revoke::WebPage => {
            let path = format!("/settings/api/{key_id}/revoke");
            let csrf = csrf_in(&web.page(&path).await);
            let response = web.post(&path, &[("csrf", &csrf)]).await;
            assert_eq!(response.status(), 303, "the revoke form redirects");
        }
        Revoke::PlanDown => {
            let email = user.email.as_str();
            run_cli(
                app,
                &["users", "set-plan", "--email", email, "--plan", "pro"],
            )
            .await;
        }
    }
    revoked_at.set(Instant::now()).unwrap();
    let mut tally = Tally::default();
    for handle in loops {
        let one = handle.await.unwrap();
        tally.after += one.after;
        tally.succeeded_after += one.succeeded_after;
        tally.other_after.extend(one.other_after);
    }
    if matches!(how, Revoke::PlanDown) {
        app.store.set_plan(&user.id, Plan::Business).await.unwrap();
    }
    tally
}

async fn no_success_after(how: Revoke) {
    // Limits out of the way: a 429 would hide a key that still works.
    let app = spawn_app_with(|config| {
        config.rate_limit_per_minute = 1_000_000;
        config.rate_limit_per_hour = 1_000_000;
    })
    .await;
    let (web, user) = signed_in(&app, Plan::Business).await;
    let trials = trials();
    let mut after = 0;
    let mut succeeded = 0;
    for n in 0..trials {
        let tally = trial(&app, &user, &web, how, n).await;
        assert!(
            tally
                .other_after
                .iter()
                .all(|s| *s == how.expected_status()),
            "{how:?} trial {n}: {tally:?}"
        );
        after += tally.after;
        succeeded += tally.succeeded_after;
    }
    println!(
        "revocation by {how:?}: {trials} trials, {after} requests sent after it returned, \
         {succeeded} succeeded"
    );
    assert_eq!(
        succeeded, 0,
        "{how:?}: requests sent after the revocation returned still succeeded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_by_the_cli_stops_working_for_the_next_request_under_load() {
    no_success_after(Revoke::Cli).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_on_the_web_page_stops_working_for_the_next_request_under_load() {
    no_success_after(Revoke::WebPage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_below_business_stops_keys_for_the_next_request_under_load() {
    no_success_after(Revoke::PlanDown).await;
}
