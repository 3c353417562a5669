//! Failures below and above HTTP: a retired version, injected answers, slow, held and lost answers.

use super::*;

#[tokio::test]
async fn a_retired_version_is_its_own_failure_for_every_rest_call() {
    let (fake, client, token) = connected().await;
    let urn = client
        .create_post(&token, "member-7", "Early")
        .await
        .unwrap();
    fake.retire_version("202610");
    let posting = client
        .create_post(&token, "member-7", "Late")
        .await
        .unwrap_err();
    assert_eq!(
        posting,
        LinkedInError::VersionRetired {
            version: "202610".into()
        }
    );
    assert_eq!(posting.code(), "LINKEDIN_VERSION_RETIRED");
    assert!(posting.to_string().contains("LINKEDGROW_LINKEDIN_VERSION"));
    let reading = client
        .post_analytics(
            &token,
            &urn,
            Metric::MembersReached,
            Aggregation::Total,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(reading.code(), "LINKEDIN_VERSION_RETIRED");

    let mut config = fake.client_config();
    config.version = "202611".into();
    let current = new_client(config);
    current
        .create_post(&token, "member-7", "Late")
        .await
        .unwrap();
}

#[tokio::test]
async fn injected_failures_are_classified_and_nothing_is_posted() {
    let (fake, client, token) = connected().await;
    let cases = [
        (Failure::Unauthorized, "LINKEDIN_TOKEN_INVALID", false, None),
        (Failure::Forbidden, "LINKEDIN_FORBIDDEN", false, None),
        (
            Failure::TooManyRequests {
                retry_after: Some(30),
            },
            "LINKEDIN_UNAVAILABLE",
            true,
            Some(30),
        ),
        (
            Failure::TooManyRequests { retry_after: None },
            "LINKEDIN_UNAVAILABLE",
            true,
            None,
        ),
        (Failure::ServerError, "LINKEDIN_UNAVAILABLE", true, None),
        (
            Failure::Unavailable {
                retry_after: Some(5),
            },
            "LINKEDIN_UNAVAILABLE",
            true,
            Some(5),
        ),
        (
            Failure::Unavailable { retry_after: None },
            "LINKEDIN_UNAVAILABLE",
            true,
            None,
        ),
    ];
    for (failure, code, retryable, retry_after) in cases {
        fake.fail_next(1, failure);
        let error = client
            .create_post(&token, "member-7", "Hello")
            .await
            .unwrap_err();
        assert_eq!(error.code(), code, "{failure:?}: {error:?}");
        assert_eq!(error.is_retryable(), retryable, "{failure:?}");
        assert_eq!(
            error.retry_after(),
            retry_after.map(Duration::from_secs),
            "{failure:?}"
        );
        assert_eq!(
            error.may_have_been_applied(),
            failure == Failure::ServerError,
            "{failure:?}"
        );
    }
    assert!(fake.posts().is_empty());
    // The failures were used up: the next call goes through.
    client
        .create_post(&token, "member-7", "Hello")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_succeeds() {
    let (fake, client, token) = connected().await;
    fake.set_delay(Some(Duration::from_millis(300)));
    client
        .create_post(&token, "member-7", "Slow")
        .await
        .unwrap();
    fake.set_delay(None);
    assert_eq!(fake.posts().len(), 1);
}

#[tokio::test]
async fn a_post_accepted_but_never_answered_is_in_doubt_and_the_resend_names_it() {
    let fake = FakeLinkedIn::start().await;
    let token = AccessToken::new(fake.token_for("member-7", ALL_SCOPES));
    let mut config = fake.client_config();
    config.timeout = Duration::from_millis(800);
    config.connect_timeout = Duration::from_millis(400);
    let client = new_client(config);
    fake.hold_next_posts(1);

    let error = client
        .create_post(&token, "member-7", "Maybe posted")
        .await
        .unwrap_err();
    assert!(matches!(error, LinkedInError::InDoubt { .. }), "{error:?}");
    assert!(error.may_have_been_applied() && !error.is_retryable());
    let held = fake.posts();
    assert_eq!(held.len(), 1, "LinkedIn has it");

    let resend = client
        .create_post(&token, "member-7", "Maybe posted")
        .await
        .unwrap_err();
    let LinkedInError::Duplicate { urn, .. } = resend else {
        panic!("{resend:?}")
    };
    assert_eq!(urn.unwrap().to_string(), held[0].urn);
    assert_eq!(fake.posts().len(), 1, "published once");
}

#[tokio::test]
async fn a_refused_connection_is_retryable_as_nothing_was_sent() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let fake = FakeLinkedIn::start().await;
    let mut config = fake.client_config();
    config.api_url = format!("http://{address}");
    let error = new_client(config)
        .create_post(&AccessToken::new("AQ-x"), "member-7", "Hi")
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert!(!error.may_have_been_applied());
    assert_eq!(error.code(), "LINKEDIN_UNAVAILABLE");
}

#[tokio::test]
async fn a_connection_closed_after_the_request_is_in_doubt() {
    // A peer that reads the whole request and hangs up without answering.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = received.clone();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buffer = vec![0; 64 * 1024];
        let n = socket.read(&mut buffer).await.unwrap();
        sink.lock().extend_from_slice(&buffer[..n]);
        socket.shutdown().await.ok();
    });
    let fake = FakeLinkedIn::start().await;
    let mut config = fake.client_config();
    config.api_url = format!("http://{address}");
    let error = new_client(config)
        .create_post(&AccessToken::new("AQ-x"), "member-7", "Hi")
        .await
        .unwrap_err();
    assert!(matches!(error, LinkedInError::InDoubt { .. }), "{error:?}");
    assert_eq!(error.code(), "LINKEDIN_IN_DOUBT");
    assert!(String::from_utf8_lossy(&received.lock()).starts_with("POST /rest/posts "));
}
