//! Rate limits shared through Redis (`LINKEDGROW_REDIS_URL`): the same decisions as the
//! in-process limiter, exact across instances, and closed (503, never unlimited) while Redis
//! does not answer, until it is back.

use std::time::{Duration, Instant};

use linkedgrow::domain::Plan;
use linkedgrow::rate_limit::{InProcessLimiter, RateLimiter, RedisLimiter};
use linkedgrow::shared::Redis;

use crate::helpers::{assert_error, spawn_app_with};
use crate::instances::Fleet;
use crate::redis_server::RedisServer;
use crate::web_client::{try_sign_in, user_with_password, WebClient, PASSWORD};

/// Instants of a day's traffic in bursts and pauses, from a fixed seed: gaps from the same
/// millisecond to an hour, so both windows fill, drain and refuse.
fn instants(count: usize) -> Vec<i64> {
    const GAPS: [i64; 8] = [0, 1, 3, 50, 250, 700, 1_200, 3_000];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut t = 1_767_600_000_000;
    (0..count)
        .map(|i| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            t += GAPS[(seed >> 33) as usize % GAPS.len()];
            if i % 700 == 699 {
                t += [61_000, 1_200_000, 3_600_000][i / 700 % 3];
            }
            t
        })
        .collect()
}

#[tokio::test]
async fn the_redis_limiter_decides_exactly_as_the_in_process_one() {
    let Some(server) =
        RedisServer::start("the_redis_limiter_decides_exactly_as_the_in_process_one").await
    else {
        return;
    };
    let redis = Redis::open(&server.url().parse().unwrap()).unwrap();
    let instants = instants(6_000);
    // The defaults, limits that refuse often, and an hour tighter than the minute.
    for (per_minute, per_hour) in [(60, 1_000), (5, 12), (10, 3)] {
        let memory = InProcessLimiter::new(per_minute, per_hour);
        let shared = RedisLimiter::new(redis.clone(), per_minute, per_hour).with_caller_clock();
        let (mut allowed, mut refused) = (0, 0);
        for (n, &now) in instants.iter().enumerate() {
            // Two keys, taking turns unevenly.
            let key = format!("key_{per_minute}_{per_hour}_{}", n % 3 / 2);
            let expected = memory.check(&key, now).await.unwrap();
            let actual = shared.check(&key, now).await.unwrap();
            assert_eq!(
                actual, expected,
                "request {n} at {now} ({per_minute}/min, {per_hour}/h)"
            );
            if expected.allowed {
                allowed += 1;
            } else {
                refused += 1;
            }
        }
        assert!(
            allowed > 0 && refused > 0,
            "{allowed} allowed, {refused} refused"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_admit_exactly_sixty_of_a_hundred_concurrent_requests() {
    let test = "two_instances_admit_exactly_sixty_of_a_hundred_concurrent_requests";
    let Some(redis) = RedisServer::start(test).await else {
        return;
    };
    let fleet = Fleet::new(&[("LINKEDGROW_REDIS_URL", &redis.url())]).await;
    let user = fleet.user().await;
    let (key_id, key) = fleet.key(&user).await;
    let instances = [fleet.start(), fleet.start()];

    let client = reqwest::Client::new();
    let requests: Vec<_> = (0..100)
        .map(|n| {
            let request = client
                .get(instances[n % 2].url("/api/v1/posts?limit=1"))
                .bearer_auth(&key)
                .send();
            tokio::spawn(request)
        })
        .collect();
    let mut remaining = Vec::new();
    let mut refused = 0;
    for request in requests {
        let response = request.await.unwrap().unwrap();
        let header =
            |name: &str| -> u64 { response.headers()[name].to_str().unwrap().parse().unwrap() };
        match response.status().as_u16() {
            200 => remaining.push(header("x-ratelimit-remaining")),
            429 => {
                let retry_after = header("retry-after");
                assert!(
                    (1..=60).contains(&retry_after),
                    "Retry-After: {retry_after}"
                );
                assert_eq!(header("x-ratelimit-remaining"), 0);
                assert_error(response, 429, "RATE_LIMITED").await;
                refused += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    // Each admitted request was counted alone, whichever instance took it: the remaining
    // counts they were told are 59 down to 0, each once.
    remaining.sort_unstable();
    assert_eq!(remaining, (0..60).collect::<Vec<u64>>());
    assert_eq!(refused, 40);
    let logged: u64 = redis.command(&["ZCARD", &format!("lg:rl:{key_id}")]).await;
    assert_eq!(logged, 60, "refused requests are not logged");
}

/// Polls `url` until it answers `status`; panics after a generous deadline.
async fn wait_for(
    client: &reqwest::Client,
    request: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    status: u16,
) -> reqwest::Response {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = request(client).send().await.unwrap();
        if response.status().as_u16() == status {
            return response;
        }
        assert!(
            Instant::now() < deadline,
            "still {} after 30 s",
            response.status()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_redis_is_down_requests_fail_closed_and_service_resumes_when_it_is_back() {
    let test = "while_redis_is_down_requests_fail_closed_and_service_resumes_when_it_is_back";
    let Some(mut redis) = RedisServer::start(test).await else {
        return;
    };
    let url = redis.url().parse().unwrap();
    let app = spawn_app_with(|config| config.redis_url = Some(url)).await;
    let key = app.full_key().await;
    let user = user_with_password(&app, Plan::Business).await;
    let web = WebClient::new(&app);
    assert_eq!(app.as_key(&key).get("/api/v1/posts").await.status(), 200);
    assert_eq!(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    redis.stop();
    // Never unlimited: every request is refused, each with the envelope and Retry-After.
    for _ in 0..20 {
        let response = app.as_key(&key).get("/api/v1/posts").await;
        assert_eq!(response.headers()["retry-after"], "1");
        assert!(response.headers().get("x-ratelimit-remaining").is_none());
        assert_error(response, 503, "SERVICE_UNAVAILABLE").await;
    }
    let readyz = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_error(readyz, 503, "NOT_READY").await;
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Sign-in fails closed too: no password is checked without the shared counts.
    let sign_in = try_sign_in(&web, &user.email, PASSWORD).await;
    assert_eq!(sign_in.status(), 503);
    assert_eq!(sign_in.headers()["retry-after"], "1");
    assert!(sign_in
        .text()
        .await
        .unwrap()
        .contains("Temporarily unavailable"));

    redis.restart().await;
    let get = |client: &reqwest::Client| client.get(app.url("/api/v1/posts")).bearer_auth(&key);
    let response = wait_for(&app.client, get, 200).await;
    // The restarted Redis kept nothing (no persistence): a fresh window.
    assert_eq!(response.headers()["x-ratelimit-remaining"], "59");
    wait_for(&app.client, |client| client.get(app.url("/readyz")), 200).await;
    let sign_in = try_sign_in(&web, &user.email, PASSWORD).await;
    assert_eq!(sign_in.status(), 303, "signed in once Redis is back");
}
