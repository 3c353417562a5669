//! Two real server processes sharing one database and one Redis, as instances behind a load
//! balancer: what one of them (or the CLI) changes, the other applies from its next request.
//!
//! Key lookups read the database on every request (no instance keeps key records), so a
//! revocation or plan change committed anywhere counts from the next request everywhere.
//! `REVOCATION_TRIALS` sets the trials (50 here; `scripts/revocation-trials` runs more).

use linkedgrow::domain::{Plan, UserId};

use crate::instances::{Fleet, Instance};
use crate::redis_server::RedisServer;
use crate::web_client::{csrf_in, field_in, location, try_sign_in, WebClient, PASSWORD};

fn trials() -> usize {
    std::env::var("REVOCATION_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

/// How a trial takes a key away.
#[derive(Clone, Copy, Debug)]
enum Revoke {
    /// The revoke form of Settings › API, on instance A.
    WebPageOnA,
    /// `linkedgrow keys revoke`, in a process of its own.
    Cli,
    /// `linkedgrow users set-plan … pro`: the owner drops below Business.
    PlanDown,
}

async fn status(client: &reqwest::Client, instance: &Instance, key: &str) -> u16 {
    client
        .get(instance.url("/api/v1/posts?limit=1"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn two_instances(test: &str) -> Option<(RedisServer, Fleet, Instance, Instance)> {
    let redis = RedisServer::start(test).await?;
    let fleet = Fleet::new(&[("LINKEDGROW_REDIS_URL", &redis.url())]).await;
    let (a, b) = (fleet.start(), fleet.start());
    Some((redis, fleet, a, b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_through_one_instance_or_the_cli_stops_the_key_on_the_other_at_once() {
    let test = "revocation_through_one_instance_or_the_cli_stops_the_key_on_the_other_at_once";
    let Some((_redis, fleet, a, b)) = two_instances(test).await else {
        return;
    };
    let user = fleet.user().await;
    let web = WebClient::at(&a.address);
    web.sign_in(&user.email, PASSWORD).await;
    let client = reqwest::Client::new();
    let ways = [Revoke::WebPageOnA, Revoke::Cli, Revoke::PlanDown];
    let trials = trials();
    let mut successes_after = 0;
    for n in 0..trials {
        let how = ways[n % ways.len()];
        let (key_id, key) = fleet.key(&user).await;
        // B has accepted the key before it is taken away.
        assert_eq!(status(&client, &b, &key).await, 200, "trial {n}");
        let expected = match how {
            Revoke::WebPageOnA => {
                let path = format!("/settings/api/{key_id}/revoke");
                let csrf = csrf_in(&web.page(&path).await);
                let response = web.post(&path, &[("csrf", &csrf)]).await;
                assert_eq!(response.status(), 303, "the revoke form redirects");
                401
            }
            Revoke::Cli => {
                fleet.run(&["keys", "revoke", &key_id]).await;
                401
            }
            Revoke::PlanDown => {
                let email = user.email.as_str();
                fleet
                    .run(&["users", "set-plan", "--email", email, "--plan", "pro"])
                    .await;
                403
            }
        };
        let after = status(&client, &b, &key).await;
        if after == 200 {
            successes_after += 1;
        }
        assert_eq!(after, expected, "trial {n}, {how:?}: B's next request");
        if let Revoke::PlanDown = how {
            restore_business(&fleet, &user.id).await;
        }
    }
    println!("revocation across instances: {trials} trials, {successes_after} successes after");
    assert_eq!(successes_after, 0);
}

async fn restore_business(fleet: &Fleet, user: &UserId) {
    fleet.store.set_plan(user, Plan::Business).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_count_across_instances() {
    let Some((_redis, fleet, a, b)) = two_instances("failed_sign_ins_count_across_instances").await
    else {
        return;
    };
    let user = fleet.user().await;
    let on_a = WebClient::at(&a.address);
    let on_b = on_a.on(&b.address);
    // Five wrong passwords, taking turns: each instance alone saw at most three.
    for n in 0..5 {
        let web = if n % 2 == 0 { &on_a } else { &on_b };
        let response = try_sign_in(web, &user.email, "wrong password").await;
        assert_eq!(response.status(), 401, "failure {n}");
    }
    // The budget is spent everywhere: even the right password is not checked now.
    for web in [&on_b, &on_a] {
        let response = try_sign_in(web, &user.email, PASSWORD).await;
        assert_eq!(response.status(), 429);
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (1..=30).contains(&retry_after),
            "Retry-After: {retry_after}"
        );
        let page = response.text().await.unwrap();
        assert!(page.contains("Too many failed attempts"), "{page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_sent_again_through_another_instance_takes_effect_once() {
    let test = "a_form_sent_again_through_another_instance_takes_effect_once";
    let Some((_redis, fleet, a, b)) = two_instances(test).await else {
        return;
    };
    let user = fleet.user().await;
    let on_a = WebClient::at(&a.address);
    on_a.sign_in(&user.email, PASSWORD).await;
    let html = on_a.page("/settings/api").await;
    let (csrf, form_id) = (csrf_in(&html), field_in(&html, "form_id"));
    let form = [
        ("csrf", csrf.as_str()),
        ("form_id", form_id.as_str()),
        ("name", "Pipeline"),
        ("scope", "posts:read"),
    ];
    assert_eq!(on_a.post("/settings/api", &form).await.status(), 201);
    // A reload that the load balancer sends to the other instance.
    let again = on_a.on(&b.address).post("/settings/api", &form).await;
    assert_eq!(again.status(), 303);
    assert_eq!(location(&again), "/settings/api?resubmitted=1");
    assert_eq!(fleet.store.list_keys(&user.id).await.unwrap().len(), 1);
}
