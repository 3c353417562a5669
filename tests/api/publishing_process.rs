//! Publishing by the real `linkedgrow serve` process, with the wall clock: on time, and never
//! twice even when the server is killed while LinkedIn holds the request.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::linkedin_fake::{FakeLinkedIn, ALL_SCOPES};

/// `linkedgrow` with `args`, pointed at the database and the stand-in.
pub(crate) fn command(db: &str, fake: &FakeLinkedIn, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_linkedgrow"));
    command
        .args(args)
        .env("LINKEDGROW_DATABASE_URL", db)
        .env("LINKEDGROW_LINKEDIN_API_URL", fake.url())
        .env("LINKEDGROW_LINKEDIN_AUTH_URL", fake.url())
        .env_remove("LINKEDGROW_ENCRYPTION_KEY")
        .env_remove("RUST_LOG");
    command
}

pub(crate) fn run(db: &str, fake: &FakeLinkedIn, args: &[&str]) -> String {
    let output: Output = command(db, fake, args).output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `serve` on an ephemeral port with its log in `log`; the process and its address.
fn serve(db: &str, fake: &FakeLinkedIn, log: &std::path::Path) -> (Child, String) {
    serve_with(db, fake, log, &[])
}

/// `serve` as [`serve`] does, with more environment variables.
pub(crate) fn serve_with(
    db: &str,
    fake: &FakeLinkedIn,
    log: &std::path::Path,
    env: &[(&str, &str)],
) -> (Child, String) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    // Limits out of the way of the test's polling.
    let args = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--rate-limit-per-minute",
        "100000",
    ];
    let mut child = command(db, fake, &args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let address = crate::helpers::listening_address(&mut child);
    (child, address)
}

async fn get_post(client: &reqwest::Client, address: &str, key: &str, id: &str) -> Value {
    client
        .get(format!("{address}/api/v1/posts/{id}"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_linkedin_holds_the_post_it_is_published_once_after_restart() {
    let fake = FakeLinkedIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let log = dir.path().join("server.log");
    let email = "ada\u{40}example.com";
    run(&db, &fake, &["migrate"]);
    run(
        &db,
        &fake,
        &[
            "users", "create", "--email", email, "--name", "Ada", "--plan", "business",
        ],
    );
    let key = run(
        &db,
        &fake,
        &[
            "keys",
            "create",
            "--email",
            email,
            "--name",
            "k",
            "--scopes",
            "posts:read,posts:write",
        ],
    )
    .trim()
    .to_owned();
    let token = fake.token_for("member-1", ALL_SCOPES);
    let connected = run(
        &db,
        &fake,
        &[
            "linkedin",
            "connect",
            "--email",
            email,
            "--access-token",
            &token,
            "--expires-in",
            "5184000",
        ],
    );
    assert!(connected.contains("Ada Lovelace"), "{connected}");

    let (mut server, address) = serve(&db, &fake, &log);
    let client = reqwest::Client::new();
    fake.hold_next_posts(1);
    let due = chrono::Utc::now() + chrono::Duration::seconds(2);
    let created: Value = client
        .post(format!("{address}/api/v1/posts"))
        .bearer_auth(&key)
        .json(&json!({
            "content": "Shipped (at last) #launch",
            "status": "scheduled",
            "scheduledAt": due.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();

    // LinkedIn receives it, and holds its answer.
    let deadline = Instant::now() + Duration::from_secs(20);
    while fake.posts().is_empty() {
        assert!(Instant::now() < deadline, "the post was never sent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let late = chrono::Utc::now() - due;
    println!("sent {} ms after its scheduledAt", late.num_milliseconds());
    assert!(late < chrono::Duration::seconds(3), "{late}");

    server.kill().unwrap();
    server.wait().unwrap();
    let restarted_at = Instant::now();
    let (mut server, address) = serve(&db, &fake, &log);
    let deadline = Instant::now() + Duration::from_secs(70);
    let ours = loop {
        let ours = get_post(&client, &address, &key, &id).await;
        if ours["status"] != "scheduled" {
            break ours;
        }
        assert!(
            Instant::now() < deadline,
            "still in doubt after a minute: {ours}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    println!("resolved {:?} after the restart", restarted_at.elapsed());
    server.kill().unwrap();
    server.wait().unwrap();

    let posts = fake.posts();
    assert_eq!(posts.len(), 1, "exactly one post on LinkedIn");
    assert_eq!(ours["status"], "published", "{ours}");
    assert_eq!(ours["linkedinUrn"], posts[0].urn.as_str());
    assert!(
        fake.requests()
            .iter()
            .filter(|r| r.path == "/rest/posts")
            .count()
            >= 2,
        "sent once more after the restart"
    );

    // The token is nowhere in clear: not in the database, its WAL, or the server's log.
    for file in std::fs::read_dir(dir.path()).unwrap() {
        let path = file.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let found = bytes
            .windows(token.len())
            .any(|window| window == token.as_bytes());
        assert!(!found, "the token is in clear in {}", path.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_linkedin_commands_connect_show_and_disconnect_a_member() {
    let fake = FakeLinkedIn::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let email = "ada\u{40}example.com";
    run(&db, &fake, &["migrate"]);
    run(
        &db,
        &fake,
        &[
            "users", "create", "--email", email, "--name", "Ada", "--plan", "business",
        ],
    );

    let refused = command(
        &db,
        &fake,
        &[
            "linkedin",
            "connect",
            "--email",
            email,
            "--access-token",
            "not-a-token",
        ],
    )
    .output()
    .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("LinkedIn"), "{stderr}");
    assert!(
        !stderr.contains("not-a-token"),
        "the token is not echoed: {stderr}"
    );

    let status = run(
        &db,
        &fake,
        &["linkedin", "status", "--email", email, "--json"],
    );
    let status: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["connected"], false);

    // From standard input, so the token is in no process list.
    let token = fake.token_for("member-1", ALL_SCOPES);
    let mut child = command(
        &db,
        &fake,
        &[
            "linkedin",
            "connect",
            "--email",
            email,
            "--access-token",
            "-",
            "--expires-in",
            "86400",
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        format!("{token}\n").as_bytes(),
    )
    .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("Ada Lovelace"));

    let status = run(
        &db,
        &fake,
        &["linkedin", "status", "--email", email, "--json"],
    );
    let status: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["connected"], true);
    assert_eq!(status["name"], "Ada Lovelace");
    assert_eq!(status["memberUrn"], "urn:li:person:member-1");
    assert_eq!(
        status["needsReconnect"], true,
        "a day left is less than a week"
    );
    assert!(status["tokenExpiresAt"].is_string());

    let gone = run(&db, &fake, &["linkedin", "disconnect", "--email", email]);
    assert!(gone.contains("disconnected"), "{gone}");
    let status = run(&db, &fake, &["linkedin", "status", "--email", email]);
    assert!(status.contains("not connected"), "{status}");
}
