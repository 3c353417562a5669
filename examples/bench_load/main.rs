//! The load generator of `scripts/bench`: keeps a fixed number of keep-alive HTTP/1.1
//! connections busy against four endpoints and prints req/s, p50/p99 latency and the ratio to
//! `GET /healthz` for each; then drives each endpoint open loop at half the rate it reached
//! (`open_loop.rs`) and prints a second table of latencies.
//!
//! The endpoints take turns in short slices (health, get, list, create, health, …) rather than
//! one long run each, so that a machine whose background load changes during the run slows all
//! four alike and the ratios stay comparable. Any non-2xx answer or connection error aborts.

mod open_loop;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use rand::seq::SliceRandom;

/// Drives the servers at `--url` and prints two tables.
#[derive(Debug, Parser)]
struct Args {
    /// The server, e.g. http://127.0.0.1:8080; several, comma-separated, share the connections
    /// in turn (instances of one installation).
    #[arg(long = "url", value_delimiter = ',', required = true)]
    urls: Vec<String>,
    /// The API key (every scope), from the environment so it stays out of `ps`.
    #[arg(long, env = "BENCH_KEY", hide_env_values = true)]
    key: String,
    /// A file of post ids, one per line, for GET /api/v1/posts/:id.
    #[arg(long)]
    ids: PathBuf,
    /// Keep-alive connections kept busy at once.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Measured seconds per endpoint, in total.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// How many slices each endpoint's measured time is cut into.
    #[arg(long, default_value_t = 20)]
    rounds: u32,
    /// Unmeasured seconds per endpoint before the measured rounds.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// The server's process id, to report its CPU use per endpoint; several, comma-separated,
    /// are summed (one per instance).
    #[arg(long, value_delimiter = ',')]
    server_pid: Vec<u32>,
    /// Clock ticks per second of /proc/PID/stat (`getconf CLK_TCK`).
    #[arg(long, default_value_t = 100)]
    clock_ticks: u64,
    /// Only these endpoints, e.g. `get` to profile one alone; ratios are to the first listed.
    #[arg(long, value_delimiter = ',', default_value = "health,get,list,create")]
    endpoints: Vec<Endpoint>,
    /// Seconds per endpoint driven open loop at half its closed-loop rate; 0 skips.
    #[arg(long, default_value_t = 10.0)]
    open_loop_seconds: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Endpoint {
    Health,
    Get,
    List,
    Create,
}

impl Endpoint {
    fn label(self) -> &'static str {
        match self {
            Endpoint::Health => "GET /healthz (ceiling)",
            Endpoint::Get => "GET /api/v1/posts/:id",
            Endpoint::List => "GET /api/v1/posts (page 1)",
            Endpoint::Create => "POST /api/v1/posts",
        }
    }
}

/// What every connection needs to build requests; shared, built once.
struct Requests {
    auth: HeaderValue,
    health: Uri,
    list: Uri,
    /// Every post id's URI, in a shuffled order.
    posts: Vec<Uri>,
    next_post: AtomicUsize,
    create_body: Bytes,
}

impl Requests {
    fn build(&self, endpoint: Endpoint, host: &HeaderValue) -> Request<Full<Bytes>> {
        let (method, uri, body) = match endpoint {
            Endpoint::Health => (Method::GET, self.health.clone(), Bytes::new()),
            Endpoint::Get => {
                let n = self.next_post.fetch_add(1, Ordering::Relaxed);
                let uri = self.posts[n % self.posts.len()].clone();
                (Method::GET, uri, Bytes::new())
            }
            Endpoint::List => (Method::GET, self.list.clone(), Bytes::new()),
            Endpoint::Create => (Method::POST, self.list.clone(), self.create_body.clone()),
        };
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(HOST, host.clone());
        if endpoint != Endpoint::Health {
            request = request.header(AUTHORIZATION, self.auth.clone());
        }
        if endpoint == Endpoint::Create {
            request = request.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        request.body(Full::new(body)).expect("a valid request")
    }
}

/// One endpoint's measurements, summed over its slices.
struct Tally {
    latency_us: Histogram<u64>,
    requests: u64,
    elapsed: Duration,
    cpu_ticks: u64,
    own_cpu_ticks: u64,
}

impl Tally {
    fn new() -> Self {
        Self {
            latency_us: latency_histogram(),
            requests: 0,
            elapsed: Duration::ZERO,
            cpu_ticks: 0,
            own_cpu_ticks: 0,
        }
    }

    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// Microseconds from 1 µs to a minute, to three significant digits.
fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// A histogram value in microseconds, shown in milliseconds.
fn millis(latency_us: &Histogram<u64>, quantile: f64) -> f64 {
    latency_us.value_at_quantile(quantile) as f64 / 1000.0
}

/// One keep-alive connection to one server, with the `Host` its requests carry.
struct Connection {
    sender: SendRequest<Full<Bytes>>,
    host: HeaderValue,
}

impl Connection {
    async fn open(authority: &str) -> anyhow::Result<Self> {
        let stream = tokio::net::TcpStream::connect(authority)
            .await
            .with_context(|| format!("cannot connect to {authority}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Self {
            sender,
            host: HeaderValue::from_str(authority)?,
        })
    }

    /// Sends one request and reads the whole answer; a non-2xx answer is an error.
    async fn exchange(&mut self, requests: &Requests, endpoint: Endpoint) -> anyhow::Result<()> {
        let request = requests.build(endpoint, &self.host);
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        if !status.is_success() {
            bail!(
                "{} answered {status}: {}",
                endpoint.label(),
                String::from_utf8_lossy(&body)
            );
        }
        Ok(())
    }
}

/// Sends requests on one connection until `until`; returns it with what it measured.
async fn drive(
    mut conn: Connection,
    requests: Arc<Requests>,
    endpoint: Endpoint,
    until: Instant,
) -> anyhow::Result<(Connection, Histogram<u64>, u64)> {
    let mut latency_us = latency_histogram();
    let mut done = 0;
    while Instant::now() < until {
        let start = Instant::now();
        conn.exchange(&requests, endpoint).await?;
        latency_us.saturating_record(micros(start.elapsed()));
        done += 1;
    }
    Ok((conn, latency_us, done))
}

/// Runs one slice of `seconds` on every connection; adds what it measured to `tally`.
async fn slice(
    conns: &mut Vec<Connection>,
    requests: &Arc<Requests>,
    endpoint: Endpoint,
    seconds: f64,
    servers: &[PathBuf],
    tally: Option<&mut Tally>,
) -> anyhow::Result<()> {
    let ticks_before = servers_cpu_ticks(servers)?;
    let own_before = cpu_ticks(Path::new("/proc/self/stat"))?;
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = conns
        .drain(..)
        .map(|conn| tokio::spawn(drive(conn, requests.clone(), endpoint, until)))
        .collect();
    let mut latency_us = latency_histogram();
    let mut done = 0;
    for task in tasks {
        let (conn, histogram, n) = task.await??;
        conns.push(conn);
        latency_us.add(histogram)?;
        done += n;
    }
    let elapsed = start.elapsed();
    let ticks_after = servers_cpu_ticks(servers)?;
    let own_after = cpu_ticks(Path::new("/proc/self/stat"))?;
    if let Some(tally) = tally {
        tally.latency_us.add(latency_us)?;
        tally.requests += done;
        tally.elapsed += elapsed;
        tally.own_cpu_ticks += own_after - own_before;
        tally.cpu_ticks += ticks_after - ticks_before;
    }
    Ok(())
}

/// The CPU time of every server process, summed, in clock ticks.
fn servers_cpu_ticks(servers: &[PathBuf]) -> anyhow::Result<u64> {
    servers.iter().map(|stat| cpu_ticks(stat)).sum()
}

/// User plus system CPU time of a process, in clock ticks.
fn cpu_ticks(stat: &Path) -> anyhow::Result<u64> {
    let text = std::fs::read_to_string(stat)?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = text
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("unexpected /proc stat format")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Ok(fields[11].parse::<u64>()? + fields[12].parse::<u64>()?)
}

/// Prints the table; the CPU columns need `--server-pid`.
fn print_table(args: &Args, tallies: &[(Endpoint, Tally)]) {
    let seconds = |ticks: u64| ticks as f64 / args.clock_ticks as f64;
    let cpu_per_request = |tally: &Tally| seconds(tally.cpu_ticks) / tally.requests as f64;
    let ceiling = &tallies[0].1;
    println!(
        "{:<28} {:>8} {:>7} {:>7} {:>9} {:>10} {:>10} {:>9} {:>8}",
        "endpoint",
        "req/s",
        "p50 ms",
        "p99 ms",
        "x healthz",
        "server CPU",
        "us CPU/req",
        "x by CPU",
        "load CPU"
    );
    for (endpoint, tally) in tallies {
        let (busy, per_request, ratio_by_cpu) = if args.server_pid.is_empty() {
            ("-".into(), "-".into(), "-".into())
        } else {
            (
                format!(
                    "{:.0}%",
                    100.0 * seconds(tally.cpu_ticks) / tally.elapsed.as_secs_f64()
                ),
                format!("{:.1}", 1e6 * cpu_per_request(tally)),
                format!("{:.2}", cpu_per_request(ceiling) / cpu_per_request(tally)),
            )
        };
        println!(
            "{:<28} {:>8.0} {:>7.3} {:>7.3} {:>9.2} {:>10} {:>10} {:>9} {:>7.0}%",
            endpoint.label(),
            tally.rps(),
            millis(&tally.latency_us, 0.50),
            millis(&tally.latency_us, 0.99),
            tally.rps() / ceiling.rps(),
            busy,
            per_request,
            ratio_by_cpu,
            100.0 * seconds(tally.own_cpu_ticks) / tally.elapsed.as_secs_f64()
        );
    }
}

/// The `host:port` of each `--url`.
fn authorities(urls: &[String]) -> anyhow::Result<Vec<String>> {
    urls.iter()
        .map(|url| {
            let uri: Uri = url
                .parse()
                .with_context(|| format!("--url {url:?} must be an http:// URL"))?;
            Ok(uri
                .authority()
                .with_context(|| format!("--url {url:?} needs a host and port"))?
                .to_string())
        })
        .collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let authorities = authorities(&args.urls)?;

    let ids = std::fs::read_to_string(&args.ids)
        .with_context(|| format!("cannot read {}", args.ids.display()))?;
    let mut posts: Vec<Uri> = ids
        .lines()
        .map(|id| format!("/api/v1/posts/{id}").parse())
        .collect::<Result<_, _>>()?;
    if posts.is_empty() {
        bail!("{} holds no post ids", args.ids.display());
    }
    posts.shuffle(&mut rand::thread_rng());
    let requests = Arc::new(Requests {
        auth: HeaderValue::from_str(&format!("Bearer {}", args.key))?,
        health: Uri::from_static("/healthz"),
        list: Uri::from_static("/api/v1/posts"),
        posts,
        next_post: AtomicUsize::new(0),
        create_body: Bytes::from_static(
            br#"{"content":"What a benchmark taught me about latency: measure first, change one thing at a time, and keep the numbers. #engineering"}"#,
        ),
    });

    // Dealt out in turn, so several servers get equal shares of the connections.
    let mut conns = Vec::with_capacity(args.connections);
    for authority in authorities.iter().cycle().take(args.connections) {
        conns.push(Connection::open(authority).await?);
    }
    let servers: Vec<PathBuf> = args
        .server_pid
        .iter()
        .map(|pid| PathBuf::from(format!("/proc/{pid}/stat")))
        .collect();

    for &endpoint in &args.endpoints {
        slice(&mut conns, &requests, endpoint, args.warmup, &servers, None).await?;
    }
    let mut tallies: Vec<(Endpoint, Tally)> =
        args.endpoints.iter().map(|&e| (e, Tally::new())).collect();
    let slice_seconds = args.seconds / f64::from(args.rounds.max(1));
    for _ in 0..args.rounds.max(1) {
        for (endpoint, tally) in &mut tallies {
            slice(
                &mut conns,
                &requests,
                *endpoint,
                slice_seconds,
                &servers,
                Some(tally),
            )
            .await?;
        }
    }
    print_table(&args, &tallies);

    if args.open_loop_seconds > 0.0 {
        let mut runs = Vec::with_capacity(tallies.len());
        for (endpoint, tally) in &tallies {
            let rate = tally.rps() / 2.0;
            let run = open_loop::run(
                &mut conns,
                &requests,
                *endpoint,
                rate,
                args.open_loop_seconds,
            )
            .await?;
            runs.push((*endpoint, run));
        }
        println!();
        open_loop::print_table(&runs);
    }
    Ok(())
}
