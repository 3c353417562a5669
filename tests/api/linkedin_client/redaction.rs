//! No token, client secret or authorization code in Debug output, errors or logs.

use super::*;

/// Collects what the client logs, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_token_secret_or_code_appears_in_debug_output_errors_or_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = FakeLinkedIn::start().await;
    // Another test's thread may have registered a callsite while this subscriber was being
    // set, caching "nobody listens" for it (tracing's scoped subscribers race so); recompute.
    tracing::callsite::rebuild_interest_cache();
    let client = new_client(fake.client_config());
    let back = consent(&client.authorization_url(REDIRECT_URI, "s"), "allow").await;
    let code = query_value(&back, "code").unwrap();
    let grant = client.exchange_code(&code, REDIRECT_URI).await.unwrap();
    let token = grant.access_token.expose().to_owned();
    let reused = client.exchange_code(&code, REDIRECT_URI).await.unwrap_err();
    client.userinfo(&grant.access_token).await.unwrap();
    fake.fail_next(1, Failure::Unauthorized);
    let refused = client
        .create_post(&grant.access_token, "member-1", "Hi")
        .await
        .unwrap_err();
    let stolen = client
        .create_post(&AccessToken::new("AQ-not-a-real-token"), "member-1", "Hi")
        .await
        .unwrap_err();

    let shown = format!(
        "{client:?} {:?} {grant:?} {reused:?} {reused} {refused:?} {refused} {stolen:?} {stolen}",
        client.config()
    );
    let logged = String::from_utf8(logs.0.lock().clone()).unwrap();
    assert!(
        logged.contains("LINKEDIN_TOKEN_INVALID"),
        "the capture works: {logged}"
    );
    for secret in [
        token.as_str(),
        CLIENT_SECRET,
        code.as_str(),
        "AQ-not-a-real-token",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
        assert!(!logged.contains(secret), "{secret} in {logged}");
    }
}
