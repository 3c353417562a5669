//! Three instances behind one imaginary load balancer, on one PostgreSQL and one Redis: the
//! promises of the API page about keys hold across them — 60 requests a minute in total, a
//! revocation or a plan change seen by every instance on its next request, an Idempotency-Key
//! replayed by whichever instance gets the retry. (`scale_out_work.rs`: the work they share.)
//!
//! `CLUSTER_TRIALS` sets the revocation trials (a few here; `scripts/revocation-trials`
//! runs 1,000).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cluster::Cluster;

fn trials() -> usize {
    std::env::var("CLUSTER_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_key_gets_sixty_requests_a_minute_across_three_instances() {
    let Some(cluster) = Cluster::start(3).await else {
        return;
    };
    let (_, key) = cluster.user_with_key("ada", "posts:read");
    let client = reqwest::Client::new();
    let requests = (0..100).map(|i| {
        let url = format!("{}/api/v1/posts?limit=1", cluster.instances[i % 3].address);
        let request = client.get(url).bearer_auth(&key);
        async move { request.send().await.unwrap() }
    });
    let responses = futures_join_all(requests).await;
    let admitted = responses.iter().filter(|r| r.status() == 200).count();
    let refused: Vec<_> = responses.iter().filter(|r| r.status() == 429).collect();
    assert_eq!(
        admitted,
        60,
        "exactly 60 admitted in total\n{}",
        cluster.log()
    );
    assert_eq!(refused.len(), 40);
    for response in refused {
        let wait: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "Retry-After {wait}");
    }
}

/// Awaits every future, concurrently.
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}

/// How a trial takes a key's rights away.
#[derive(Clone, Copy, Debug)]
enum Revoke {
    /// `keys revoke` in another process.
    Cli,
    /// `users set-plan … pro`: the key's owner drops below Business.
    PlanDown,
}

/// Revokes keys while loops on the other instances call the API with them: no request sent
/// after the revoking command returned may succeed, on any instance.
async fn nothing_succeeds_after(how: Revoke) {
    // Each trial has a fresh key, but the plan trials share one user: limits out of the way.
    let Some(cluster) = Cluster::start_unlimited(3).await else {
        return;
    };
    let (email, _) = cluster.user_with_key("ada", "posts:read");
    let expected = match how {
        Revoke::Cli => 401,
        Revoke::PlanDown => 403,
    };
    let trials = trials();
    let mut after = 0;
    for n in 0..trials {
        let key = cluster
            .cli(&[
                "keys",
                "create",
                "--email",
                &email,
                "--name",
                "trial",
                "--scopes",
                "posts:read",
            ])
            .trim()
            .to_owned();
        let id = key_id_of(&cluster, &email);
        let warm = Arc::new(AtomicUsize::new(0));
        let revoked_at: Arc<std::sync::OnceLock<Instant>> = Arc::default();
        // Two loops on each of the instances the revocation does not go through.
        let loops: Vec<_> = (0..4)
            .map(|i| {
                let url = format!(
                    "{}/api/v1/posts?limit=1",
                    cluster.instances[1 + i % 2].address
                );
                tokio::spawn(hammer(url, key.clone(), warm.clone(), revoked_at.clone()))
            })
            .collect();
        while warm.load(Ordering::SeqCst) < 4 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_micros((n as u64 * 1_777) % 20_000)).await;
        match how {
            Revoke::Cli => {
                cluster.cli(&["keys", "revoke", &id]);
            }
            Revoke::PlanDown => {
                cluster.cli(&["users", "set-plan", "--email", &email, "--plan", "pro"]);
            }
        }
        revoked_at.set(Instant::now()).unwrap();
        for handle in loops {
            let statuses = handle.await.unwrap();
            after += statuses.len();
            assert!(
                statuses.iter().all(|s| *s == expected),
                "{how:?} trial {n}: after the revocation returned: {statuses:?}"
            );
        }
        if let Revoke::PlanDown = how {
            cluster.cli(&["users", "set-plan", "--email", &email, "--plan", "business"]);
            cluster.cli(&["keys", "revoke", &id]);
        }
    }
    println!("{how:?}: {trials} trials, {after} requests after the revocation, 0 succeeded");
}

/// The newest active key's id of `email`'s.
fn key_id_of(cluster: &Cluster, email: &str) -> String {
    let listed: Value =
        serde_json::from_str(&cluster.cli(&["keys", "list", "--email", email, "--json"])).unwrap();
    listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["name"] == "trial")
        .filter_map(|k| k["id"].as_str())
        .next_back()
        .unwrap()
        .to_owned()
}

/// Calls `url` until five requests were sent after `revoked_at` was set; their statuses.
async fn hammer(
    url: String,
    key: String,
    warm: Arc<AtomicUsize>,
    revoked_at: Arc<std::sync::OnceLock<Instant>>,
) -> Vec<u16> {
    let client = reqwest::Client::new();
    let mut warmed = false;
    let mut after = Vec::new();
    while after.len() < 5 {
        let sent_at = Instant::now();
        let status = client
            .get(&url)
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        match revoked_at.get() {
            Some(revoked) if sent_at > *revoked => after.push(status),
            _ if status == 200 && !warmed => {
                warmed = true;
                warm.fetch_add(1, Ordering::SeqCst);
            }
            _ => {}
        }
    }
    after
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_revoked_by_the_cli_fails_on_every_instance_from_the_next_request() {
    nothing_succeeds_after(Revoke::Cli).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_plan_downgrade_is_seen_by_every_instance_on_the_next_request() {
    nothing_succeeds_after(Revoke::PlanDown).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idempotency_key_replays_on_another_instance() {
    let Some(cluster) = Cluster::start(3).await else {
        return;
    };
    let (_, key) = cluster.user_with_key("ada", "posts:read,posts:write");
    let client = reqwest::Client::new();
    let body = json!({ "content": "Sent once, retried through another instance" });
    let mut answers = Vec::new();
    for instance in &cluster.instances {
        let response = client
            .post(format!("{}/api/v1/posts", instance.address))
            .bearer_auth(&key)
            .header("Idempotency-Key", "retry-across-instances")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        answers.push(response.json::<Value>().await.unwrap());
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
    let list: Value = client
        .get(format!("{}/api/v1/posts", cluster.instances[2].address))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1, "one post made: {list}");
}
