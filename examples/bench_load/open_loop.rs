//! Latency at a fixed offered rate. A closed loop (each connection sends its next request when
//! the previous one is answered) saturates the server, so its p99 only restates the throughput;
//! and when the server stalls, the loop stops asking, so the stall hides in fewer samples
//! ("coordinated omission"). Here the requests are due at fixed intervals whatever the server
//! does, and each latency counts from the moment its request was due, not from when it went out:
//! a request that waited for a free connection behind a slow answer is counted as slow.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::{latency_histogram, micros, millis, Connection, Endpoint, Requests};

/// Beyond this p99 delay between a request's due time and its hand-over to a connection, the
/// load generator itself, not the server, is late: its latencies are then not the server's.
const LATE_P99: Duration = Duration::from_millis(1);
/// Answers per second below this share of the offered rate mean the server did not keep up.
const KEPT_UP: f64 = 0.95;

/// What one endpoint's open-loop run measured.
pub struct OpenTally {
    /// Requests scheduled per second.
    offered: f64,
    answered: u64,
    /// From the first due time to the last answer.
    elapsed: Duration,
    /// From each request's due time to the end of its answer, in µs.
    latency_us: Histogram<u64>,
    /// From each request's due time to its hand-over to a connection task: the generator's own
    /// delay, in µs.
    lag_us: Histogram<u64>,
    /// Requests that found every connection busy and queued for one.
    queued: u64,
}

impl OpenTally {
    fn achieved(&self) -> f64 {
        self.answered as f64 / self.elapsed.as_secs_f64()
    }

    fn generator_late(&self) -> bool {
        self.lag_us.value_at_quantile(0.99) > micros(LATE_P99)
    }

    fn server_behind(&self) -> bool {
        self.achieved() < KEPT_UP * self.offered
    }
}

/// The connections the requests in flight share: each request takes the longest-idle one, so
/// several servers' connections take turns.
struct Pool {
    idle: Mutex<VecDeque<Connection>>,
    free: Semaphore,
    queued: AtomicU64,
    latency_us: Mutex<Histogram<u64>>,
}

/// Sends `endpoint` requests at `rate` per second for `seconds` over `conns` and waits for
/// every answer. Any non-2xx answer or connection error aborts.
pub async fn run(
    conns: &mut Vec<Connection>,
    requests: &Arc<Requests>,
    endpoint: Endpoint,
    rate: f64,
    seconds: f64,
) -> anyhow::Result<OpenTally> {
    let total = (rate * seconds).round() as u64;
    let free = Semaphore::new(conns.len());
    let pool = Arc::new(Pool {
        idle: Mutex::new(conns.drain(..).collect()),
        free,
        queued: AtomicU64::new(0),
        latency_us: Mutex::new(latency_histogram()),
    });
    let mut lag_us = latency_histogram();
    let mut in_flight = JoinSet::new();
    let start = Instant::now();
    for n in 0..total {
        // From the start each time, so rounding never accumulates into drift.
        let due = start + Duration::from_secs_f64(n as f64 / rate);
        wait_until(due).await;
        // If the generator is late it sends what is due at once (a burst) and the lateness
        // counts in every latency of the burst; it never skips a request.
        lag_us.saturating_record(micros(due.elapsed()));
        in_flight.spawn(request(pool.clone(), requests.clone(), endpoint, due));
        while let Some(done) = in_flight.try_join_next() {
            done??;
        }
    }
    while let Some(done) = in_flight.join_next().await {
        done??;
    }
    let elapsed = start.elapsed();
    let pool = Arc::into_inner(pool).context("every request has finished")?;
    conns.extend(pool.idle.into_inner().expect("not poisoned"));
    Ok(OpenTally {
        offered: rate,
        answered: total,
        elapsed,
        latency_us: pool.latency_us.into_inner().expect("not poisoned"),
        lag_us,
        queued: pool.queued.into_inner(),
    })
}

/// One request, due at `due`: waits for a free connection if need be, sends, reads the answer.
async fn request(
    pool: Arc<Pool>,
    requests: Arc<Requests>,
    endpoint: Endpoint,
    due: Instant,
) -> anyhow::Result<()> {
    let permit = match pool.free.try_acquire() {
        Ok(permit) => permit,
        Err(_) => {
            pool.queued.fetch_add(1, Ordering::Relaxed);
            pool.free.acquire().await?
        }
    };
    let mut conn = pool
        .idle
        .lock()
        .expect("not poisoned")
        .pop_front()
        .expect("a permit stands for an idle connection");
    let result = conn.exchange(&requests, endpoint).await;
    let latency = due.elapsed();
    pool.idle.lock().expect("not poisoned").push_back(conn);
    drop(permit);
    result?;
    pool.latency_us
        .lock()
        .expect("not poisoned")
        .saturating_record(micros(latency));
    Ok(())
}

/// Waits until `due` to within a few microseconds. Tokio's timer counts whole milliseconds, too
/// coarse when requests are due every 100 µs, so the last stretch yields to the runtime in a
/// loop (it reads the sockets between turns): the generator's core stays busy in return.
async fn wait_until(due: Instant) {
    const TIMER_SLACK: Duration = Duration::from_millis(2);
    loop {
        let now = Instant::now();
        if now >= due {
            return;
        }
        if due - now > TIMER_SLACK {
            tokio::time::sleep_until((due - TIMER_SLACK / 2).into()).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
}

/// Prints the open-loop table, then a warning for each run whose figures are not the server's.
pub fn print_table(runs: &[(Endpoint, OpenTally)]) {
    println!("open loop: each endpoint offered half its closed-loop rate; latency from the time each request was due");
    println!(
        "{:<28} {:>9} {:>10} {:>7} {:>7} {:>8} {:>8} {:>10} {:>7}",
        "endpoint",
        "offered/s",
        "achieved/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "lag p99 ms",
        "queued"
    );
    for (endpoint, run) in runs {
        let flag = if run.generator_late() || run.server_behind() {
            "  (see below)"
        } else {
            ""
        };
        println!(
            "{:<28} {:>9.0} {:>10.0} {:>7.3} {:>7.3} {:>8.3} {:>8.3} {:>10.3} {:>7}{flag}",
            endpoint.label(),
            run.offered,
            run.achieved(),
            millis(&run.latency_us, 0.50),
            millis(&run.latency_us, 0.99),
            millis(&run.latency_us, 0.999),
            run.latency_us.max() as f64 / 1000.0,
            millis(&run.lag_us, 0.99),
            run.queued,
        );
    }
    for (endpoint, run) in runs {
        if run.generator_late() {
            println!(
                "LOAD GENERATOR BEHIND SCHEDULE on {}: p99 {:.3} ms late sending (limit {} ms); \
                 its latencies include the generator's own delay and do not describe the server",
                endpoint.label(),
                millis(&run.lag_us, 0.99),
                LATE_P99.as_secs_f64() * 1000.0,
            );
        }
        if run.server_behind() {
            println!(
                "OFFERED RATE NOT KEPT on {}: {:.0} answers/s of {:.0} offered; the server (or its \
                 machine) fell behind and the latencies grew with the queue",
                endpoint.label(),
                run.achieved(),
                run.offered,
            );
        }
    }
}
