//! Sign-in throttling with its counts in Redis answers as the counts in memory do, on the same
//! sequence of attempts and instants; and an attempt whose server never ended it (killed during
//! the password check) counts as a failure once it is a minute old.

use std::sync::Arc;

use linkedgrow::shared::Redis;
use linkedgrow::web::throttle::{Attempt, LoginThrottle, Refusal, ABANDONED_AFTER_MS};

use crate::redis_server::RedisServer;

/// The attempt, or the seconds to wait; Redis must answer.
async fn reserve(
    throttle: &Arc<LoginThrottle>,
    email: &str,
    address: &str,
    now: i64,
) -> Result<Attempt, u64> {
    throttle
        .reserve(email, address, now)
        .await
        .map_err(|refusal| match refusal {
            Refusal::Wait(seconds) => seconds,
            Refusal::Unavailable(err) => panic!("{err}"),
        })
}

/// A fixed pseudo-random sequence.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize % n
    }
}

/// Gaps between steps, from simultaneous attempts to an hour apart; each step's attempts end
/// within it.
const GAPS: [i64; 10] = [
    0, 0, 1_000, 10_000, 31_000, 31_000, 120_000, 300_000, 900_000, 3_600_000,
];

#[tokio::test]
async fn sign_in_counts_in_redis_decide_as_those_in_memory() {
    let test = "sign_in_counts_in_redis_decide_as_those_in_memory";
    let Some(server) = RedisServer::start(test).await else {
        return;
    };
    let redis = Redis::open(&server.url().parse().unwrap()).unwrap();
    let memory = Arc::new(LoginThrottle::default());
    let shared = Arc::new(LoginThrottle::shared_with_caller_clock(redis));
    // Enough accounts that an address runs out of its 20 free failures too.
    let emails = [
        "ada\u{40}x.io",
        "ADA\u{40}x.io ",
        "bob\u{40}x.io",
        "cy\u{40}x.io",
        "di\u{40}x.io",
        "ed\u{40}x.io",
        "flo\u{40}x.io",
        "gus\u{40}x.io",
    ];
    let addresses = ["10.0.0.1", "10.0.0.2"];
    let mut rng = Lcg(7);
    let mut now = 1_767_600_000_000;
    let (mut let_through, mut waits) = (0, 0);
    for step in 0..1_500 {
        now += GAPS[rng.below(GAPS.len())];
        let mut under_way = Vec::new();
        for _ in 0..=rng.below(3) {
            let email = emails[rng.below(emails.len())];
            let address = addresses[rng.below(addresses.len())];
            let expected = reserve(&memory, email, address, now).await;
            let actual = reserve(&shared, email, address, now).await;
            match (expected, actual) {
                (Ok(expected), Ok(actual)) => {
                    let_through += 1;
                    under_way.push((expected, actual));
                }
                (Err(expected), Err(actual)) => {
                    waits += 1;
                    assert_eq!(actual, expected, "step {step}: seconds to wait");
                }
                (expected, actual) => panic!("step {step}: memory {expected:?}, Redis {actual:?}"),
            }
        }
        for (expected, actual) in under_way {
            match rng.below(6) {
                0 => {
                    expected.succeeded().await;
                    actual.succeeded().await;
                }
                1 => {
                    expected.not_checked().await;
                    actual.not_checked().await;
                }
                _ => {
                    expected.failed().await;
                    actual.failed().await;
                }
            }
        }
    }
    assert!(
        let_through > 100 && waits > 100,
        "{let_through} let through, {waits} waits"
    );
}

#[tokio::test]
async fn an_attempt_its_server_never_ended_counts_as_a_failure_after_a_minute() {
    let test = "an_attempt_its_server_never_ended_counts_as_a_failure_after_a_minute";
    let Some(server) = RedisServer::start(test).await else {
        return;
    };
    let redis = Redis::open(&server.url().parse().unwrap()).unwrap();
    let throttle = Arc::new(LoginThrottle::shared_with_caller_clock(redis));
    let (email, address) = ("ada\u{40}x.io", "10.0.0.1");
    let start = 1_767_600_000_000;
    // The five free attempts under way when their server is killed: none will ever end.
    for _ in 0..5 {
        let attempt = reserve(&throttle, email, address, start).await.unwrap();
        std::mem::forget(attempt);
    }
    // Under way, they count as failures made now, so each new attempt waits 30 s.
    for later in [1_000, ABANDONED_AFTER_MS - 1_000] {
        let now = start + later;
        assert_eq!(
            reserve(&throttle, email, address, now).await.unwrap_err(),
            30
        );
    }
    // A minute on they are failures made when they began: that wait is over, and the next
    // failure is the sixth, which doubles it.
    let abandoned = start + ABANDONED_AFTER_MS;
    reserve(&throttle, email, address, abandoned)
        .await
        .unwrap()
        .failed()
        .await;
    assert_eq!(
        reserve(&throttle, email, address, abandoned)
            .await
            .unwrap_err(),
        60
    );
}
