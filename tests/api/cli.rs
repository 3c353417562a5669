//! The `linkedgrow` binary: admin commands, and the server as a separate process.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use linkedgrow::domain::Plan;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{assert_error, spawn_app};

fn linkedgrow(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_linkedgrow"))
        .args(args)
        .env("LINKEDGROW_DATABASE_URL", database_url)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Asserts a one-line error and a non-zero exit, never a panic.
fn assert_cli_error(output: &Output, needle: &str) {
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.iter().any(|l| l.contains(needle)),
        "expected {needle:?} in {stderr}"
    );
}

fn email(name: &str) -> String {
    format!("{name}\u{40}example.com")
}

#[tokio::test]
async fn users_and_keys_from_the_command_line() {
    let app = spawn_app().await;
    let db = app.database_url();
    let ada = email("ada");
    stdout(&linkedgrow(
        &db,
        &[
            "users", "create", "--email", &ada, "--name", "Ada", "--plan", "business",
        ],
    ));

    let output = linkedgrow(
        &db,
        &[
            "keys",
            "create",
            "--email",
            &ada,
            "--name",
            "Zapier integration",
            "--scopes",
            "posts:read,posts:write",
        ],
    );
    let printed = stdout(&output);
    let secret = printed.trim();
    assert_eq!(printed, format!("{secret}\n"), "only the key on stdout");
    assert!(linkedgrow::keys::is_well_formed(secret), "{secret}");

    let response = app
        .request(Method::GET, "/api/v1/posts", secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let listed: Value = serde_json::from_str(&stdout(&linkedgrow(
        &db,
        &["keys", "list", "--email", &ada, "--json"],
    )))
    .unwrap();
    let keys = listed.as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    let mut fields: Vec<&str> = key
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["createdAt", "id", "lastUsedAt", "name", "prefix", "scopes"]
    );
    assert_eq!(key["name"], "Zapier integration");
    assert_eq!(
        key["scopes"],
        serde_json::json!(["posts:read", "posts:write"])
    );
    assert!(secret.starts_with(key["prefix"].as_str().unwrap()));
    assert!(
        key["lastUsedAt"].is_string(),
        "the request above was recorded"
    );
    let table = stdout(&linkedgrow(&db, &["keys", "list", "--email", &ada]));
    assert!(table.contains("Zapier integration") && !table.contains(secret));

    // Revoked by another process while the server runs: refused on the very next request, also
    // when the server had the key's lookup in memory (the requests here come after its
    // lastUsedAt write, so the last of them is answered from memory).
    for _ in 0..2 {
        let response = app
            .request(Method::GET, "/api/v1/posts", secret)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let id = key["id"].as_str().unwrap();
    stdout(&linkedgrow(&db, &["keys", "revoke", id]));
    let response = app
        .request(Method::GET, "/api/v1/posts", secret)
        .send()
        .await
        .unwrap();
    assert_error(response, 401, "UNAUTHORIZED").await;
    let listed: Value = serde_json::from_str(&stdout(&linkedgrow(
        &db,
        &["keys", "list", "--email", &ada, "--json"],
    )))
    .unwrap();
    assert_eq!(
        listed,
        serde_json::json!([]),
        "revoked keys are not listed as active"
    );
}

#[tokio::test]
async fn plan_changes_from_the_command_line_apply_at_once() {
    let app = spawn_app().await;
    let db = app.database_url();
    let user = app.create_user(Plan::Business).await;
    let (_, key) = app
        .create_key(&user, &[linkedgrow::domain::Scope::PostsRead])
        .await;
    stdout(&linkedgrow(
        &db,
        &["users", "set-plan", "--email", &user.email, "--plan", "pro"],
    ));
    let response = app
        .request(Method::GET, "/api/v1/posts", &key)
        .send()
        .await
        .unwrap();
    assert_error(response, 403, "PLAN_REQUIRED").await;
    stdout(&linkedgrow(
        &db,
        &[
            "users",
            "set-plan",
            "--email",
            &user.email,
            "--plan",
            "business",
        ],
    ));
    let response = app
        .request(Method::GET, "/api/v1/posts", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.store.list_keys(&user.id).await.unwrap().len(),
        1,
        "the key was never deleted"
    );
}

#[tokio::test]
async fn timezone_is_set_from_the_command_line() {
    let app = spawn_app().await;
    let user = app.create_user(Plan::Business).await;
    assert_eq!(user.timezone, "UTC");
    let args = [
        "users",
        "set-timezone",
        "--email",
        &user.email,
        "--timezone",
        "Europe/Berlin",
    ];
    stdout(&linkedgrow(&app.database_url(), &args));
    let stored = app.store.user_by_id(&user.id).await.unwrap();
    assert_eq!(stored.timezone, "Europe/Berlin");
    assert_eq!(stored.name, user.name);
}

#[tokio::test]
async fn bad_input_gets_a_one_line_error() {
    let app = spawn_app().await;
    let db = app.database_url();
    let bo = email("bo");
    stdout(&linkedgrow(
        &db,
        &[
            "users", "create", "--email", &bo, "--name", "Bo", "--plan", "pro",
        ],
    ));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "users", "create", "--email", &bo, "--name", "Bo", "--plan", "business",
            ],
            "already exists",
        ),
        (
            vec![
                "users", "create", "--email", "nobody", "--name", "X", "--plan", "pro",
            ],
            "not an email",
        ),
        (
            vec![
                "users",
                "create",
                "--email",
                "x\u{40}y.z",
                "--name",
                "X",
                "--plan",
                "gold",
            ],
            "unknown plan",
        ),
        (
            vec![
                "users",
                "set-plan",
                "--email",
                "ghost\u{40}example.com",
                "--plan",
                "pro",
            ],
            "no user",
        ),
        (
            vec![
                "keys",
                "create",
                "--email",
                &bo,
                "--name",
                "k",
                "--scopes",
                "posts:read",
            ],
            "Business plan",
        ),
        (
            vec![
                "keys",
                "create",
                "--email",
                &bo,
                "--name",
                "k",
                "--scopes",
                "posts:admin",
            ],
            "unknown scope",
        ),
        (vec!["keys", "revoke", "key_nope"], "no API key"),
        (
            vec!["keys", "list", "--email", "ghost\u{40}example.com"],
            "no user",
        ),
        (
            vec![
                "users",
                "set-timezone",
                "--email",
                &bo,
                "--timezone",
                "Mars/Olympus",
            ],
            "unknown timezone",
        ),
    ];
    for (args, needle) in cases {
        assert_cli_error(&linkedgrow(&db, &args), needle);
    }
    let long_name = "n".repeat(101);
    stdout(&linkedgrow(
        &db,
        &["users", "set-plan", "--email", &bo, "--plan", "business"],
    ));
    assert_cli_error(
        &linkedgrow(
            &db,
            &[
                "keys",
                "create",
                "--email",
                &bo,
                "--name",
                &long_name,
                "--scopes",
                "posts:read",
            ],
        ),
        "maximum is 100",
    );
    assert_cli_error(
        &linkedgrow("mysql://x", &["keys", "list", "--email", &bo]),
        "expected sqlite://PATH",
    );
}

/// Waits for `child` to exit; kills it and fails the test if it takes longer than `limit`.
pub fn wait_at_most(child: &mut Child, limit: std::time::Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the server did not stop within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A `linkedgrow serve` process on an ephemeral port, and its address.
pub(crate) fn serve(database_url: &str, extra: &[&str]) -> (Child, String) {
    serve_logging_to(database_url, extra, Stdio::null())
}

/// As [`serve`], with the server's log (its standard error) going to `log`.
pub(crate) fn serve_logging_to(database_url: &str, extra: &[&str], log: Stdio) -> (Child, String) {
    serve_command(database_url, extra, log, |_| {})
}

/// As [`serve_logging_to`], with the command as `prepare` leaves it.
pub fn serve_command(
    database_url: &str,
    extra: &[&str],
    log: Stdio,
    prepare: impl FnOnce(&mut Command),
) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_linkedgrow"));
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env("LINKEDGROW_DATABASE_URL", database_url)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(log);
    prepare(&mut command);
    let mut child = command.spawn().unwrap();
    let address = crate::helpers::listening_address(&mut child);
    (child, address)
}

#[tokio::test]
async fn an_acknowledged_write_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    stdout(&linkedgrow(&db, &["migrate"]));
    let ada = email("ada");
    stdout(&linkedgrow(
        &db,
        &[
            "users", "create", "--email", &ada, "--name", "Ada", "--plan", "business",
        ],
    ));
    let key = stdout(&linkedgrow(
        &db,
        &[
            "keys",
            "create",
            "--email",
            &ada,
            "--name",
            "k",
            "--scopes",
            "posts:read,posts:write",
        ],
    ));
    let key = key.trim();
    let (mut child, address) = serve(&db, &[]);
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for i in 0..20 {
        let response = client
            .post(format!("{address}/api/v1/posts"))
            .bearer_auth(key)
            .json(&serde_json::json!({ "content": format!("durable {i}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        ids.push(
            response.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let (mut child, address) = serve(&db, &[]);
    for id in ids {
        let response = client
            .get(format!("{address}/api/v1/posts/{id}"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{id} survived");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn demo_start_prints_a_working_key_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let (mut child, address) = serve(&db, &["--demo"]);
    let mut rest = String::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    while !rest.contains("sign in as") {
        assert!(reader.read_line(&mut rest).unwrap() > 0, "{rest}");
    }
    let key = rest
        .split_whitespace()
        .find(|w| w.starts_with("lg_"))
        .unwrap()
        .to_owned();
    let response = reqwest::Client::new()
        .get(format!("{address}/api/v1/posts"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = wait_at_most(&mut child, std::time::Duration::from_secs(20));
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");

    // The printed password signs the demo user in to the web app.
    let password = rest
        .lines()
        .find_map(|line| line.trim().strip_prefix("password:"))
        .unwrap()
        .trim()
        .to_owned();
    let store = linkedgrow::open_store(&db.parse().unwrap()).await.unwrap();
    let user = store.user_by_email(&email("demo")).await.unwrap();
    let hash = store.password_hash(&user.id).await.unwrap();
    assert!(linkedgrow::password::verify_password(password, hash).await);
}

#[tokio::test]
async fn each_request_has_a_log_line_with_its_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let (mut child, address) = serve_logging_to(&db, &[], Stdio::from(log));
    let client = reqwest::Client::new();
    let mut answered = Vec::new();
    for (path, status) in [("/healthz", 200), ("/nowhere", 404), ("/api/v1/posts", 401)] {
        let response = client.get(format!("{address}{path}")).send().await.unwrap();
        assert_eq!(response.status(), status, "{path}");
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        answered.push((path, status, id));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(wait_at_most(&mut child, std::time::Duration::from_secs(20)).success());

    let log = std::fs::read_to_string(&log_path).unwrap();
    for (path, status, id) in answered {
        let lines: Vec<&str> = log.lines().filter(|line| line.contains(&id)).collect();
        assert_eq!(lines.len(), 1, "one line for {path} ({id}) in:\n{log}");
        assert!(
            lines[0].contains(&format!("path={path}"))
                && lines[0].contains(&format!("status={status}")),
            "{path}: {}",
            lines[0]
        );
    }
}

/// Lines of `output`'s standard error, blank ones left out.
fn stderr_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn admin_commands_never_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("elsewhere").join("db.sqlite");
    let db = format!("sqlite://{}", path.display());
    let ada = email("ada");
    for args in [
        vec!["keys", "list", "--email", &ada],
        vec!["keys", "revoke", "key_nope"],
        vec![
            "keys",
            "create",
            "--email",
            &ada,
            "--name",
            "k",
            "--scopes",
            "posts:read",
        ],
        vec![
            "users", "create", "--email", &ada, "--name", "Ada", "--plan", "business",
        ],
        vec!["users", "set-plan", "--email", &ada, "--plan", "pro"],
        vec!["linkedin", "status", "--email", &ada],
    ] {
        let output = linkedgrow(&db, &args);
        assert!(!output.status.success(), "{args:?}");
        let lines = stderr_lines(&output);
        assert_eq!(
            lines,
            [format!(
                "error: no database at {}; point at yours with --database-url sqlite://PATH \
                 (or LINKEDGROW_DATABASE_URL), or create one with `linkedgrow migrate`",
                path.display()
            )],
            "{args:?}"
        );
        assert!(
            !dir.path().join("elsewhere").exists(),
            "{args:?} created it"
        );
    }

    // `migrate` creates it on purpose; then the admin commands work.
    let created = stdout(&linkedgrow(&db, &["migrate"]));
    assert!(created.contains(&path.display().to_string()), "{created}");
    assert!(path.is_file());
    let output = linkedgrow(&db, &["keys", "list", "--email", &ada]);
    assert_eq!(
        stderr_lines(&output),
        [format!("error: no user with the email {ada}")]
    );
}

/// `linkedgrow` run from `cwd` with no database named, its per-user data directory under `home`.
fn linkedgrow_by_default(home: &Path, cwd: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_linkedgrow"));
    command
        .args(args)
        .current_dir(cwd)
        .env_remove("LINKEDGROW_DATABASE_URL")
        .env_remove("RUST_LOG")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"));
    command
}

#[tokio::test]
async fn the_default_database_is_the_same_from_any_directory() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    for d in [&home, &one, &two] {
        std::fs::create_dir_all(d).unwrap();
    }
    let expected = home.join("data/linkedgrow/linkedgrow.db");

    // Before any server ran: no database, and the error names where it was looked for.
    let output = linkedgrow_by_default(
        &home,
        &one,
        &["keys", "list", "--email", "demo@example.com"],
    )
    .output()
    .unwrap();
    assert!(!output.status.success());
    let lines = stderr_lines(&output);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!("error: no database at {};", expected.display())),
        "{lines:?}"
    );
    assert!(!expected.exists());

    // `serve` started in one directory says where its data is…
    let mut command =
        linkedgrow_by_default(&home, &one, &["serve", "--listen", "127.0.0.1:0", "--demo"]);
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut banner = String::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    while !banner.contains("sign in as") {
        assert!(reader.read_line(&mut banner).unwrap() > 0, "{banner}");
    }
    let lines: Vec<&str> = banner.lines().collect();
    assert!(
        lines[0].starts_with("LinkedGrow API listening on http://127.0.0.1:"),
        "{banner}"
    );
    assert_eq!(
        lines[1],
        format!("Database: {}", expected.display()),
        "{banner}"
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(wait_at_most(&mut child, std::time::Duration::from_secs(20)).success());

    // …and an admin command run from another directory finds the demo key there.
    let output = linkedgrow_by_default(
        &home,
        &two,
        &["keys", "list", "--email", "demo@example.com", "--json"],
    )
    .output()
    .unwrap();
    let listed: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert!(!one.join("data").exists() && !two.join("data").exists());
}

#[tokio::test]
async fn a_data_directory_of_earlier_versions_in_the_current_directory_is_still_used() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let old = dir.path().join("old");
    std::fs::create_dir_all(&home).unwrap();
    let legacy = old.join("data/linkedgrow.db");
    stdout(&linkedgrow(
        &format!("sqlite://{}", legacy.display()),
        &["migrate"],
    ));
    let ghost = email("ghost");
    let output = linkedgrow_by_default(&home, &old, &["keys", "list", "--email", &ghost])
        .output()
        .unwrap();
    assert_eq!(
        stderr_lines(&output),
        [format!("error: no user with the email {ghost}")],
        "the database in ./data was opened"
    );
    assert!(!home.join("data").exists());
}

#[tokio::test]
async fn revoking_says_what_happened() {
    let app = spawn_app().await;
    let db = app.database_url();
    let user = app.create_user(Plan::Business).await;
    let (id, _) = app
        .create_key(&user, &[linkedgrow::domain::Scope::PostsRead])
        .await;

    let first = stdout(&linkedgrow(&db, &["keys", "revoke", &id]));
    assert_eq!(first, format!("revoked {id} (test key)\n"));
    let revoked_at = app
        .store
        .key_by_id(&id.as_str().into())
        .await
        .unwrap()
        .revoked_at
        .unwrap();
    // Again: nothing to do, said plainly with the first revocation's time, and still a success.
    let again = stdout(&linkedgrow(&db, &["keys", "revoke", &id]));
    assert_eq!(
        again,
        format!(
            "{id} (test key) was already revoked on {}; nothing changed\n",
            linkedgrow::domain::time::rfc3339(revoked_at)
        )
    );
    // An unknown id: one line, said once.
    let output = linkedgrow(&db, &["keys", "revoke", "key_nope"]);
    assert!(!output.status.success());
    assert_eq!(
        stderr_lines(&output),
        ["error: no API key with id key_nope"]
    );
    let ghost = email("ghost");
    let output = linkedgrow(&db, &["keys", "list", "--email", &ghost]);
    assert_eq!(
        stderr_lines(&output),
        [format!("error: no user with the email {ghost}")]
    );
}
