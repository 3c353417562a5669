//! Connecting a member: the consent page, the code exchange and userinfo.

use super::*;

#[tokio::test]
async fn connecting_follows_the_three_legged_flow_and_reads_the_member() {
    let fake = FakeLinkedIn::start().await;
    let client = new_client(fake.client_config());
    let url = client.authorization_url(REDIRECT_URI, "state-1&x");
    assert_eq!(
        url,
        format!(
            "{}/oauth/v2/authorization?response_type=code&client_id={CLIENT_ID}\
             &redirect_uri=https%3A%2F%2Fapp.example%2Fsettings%2Flinkedin%2Fcallback\
             &state=state-1%26x&scope=openid%20profile%20w_member_social%20r_member_postAnalytics",
            fake.url()
        )
    );

    let back = consent(&url, "allow").await;
    assert!(back.as_str().starts_with(REDIRECT_URI), "{back}");
    assert_eq!(query_value(&back, "state").as_deref(), Some("state-1&x"));
    let code = query_value(&back, "code").expect("a code");

    let grant = client.exchange_code(&code, REDIRECT_URI).await.unwrap();
    assert_eq!(grant.expires_in, Duration::from_secs(5_184_000));
    assert!(grant.scopes.can_share() && grant.scopes.can_read_analytics());
    let exchange = fake.requests().pop().unwrap();
    assert_eq!(
        (exchange.method.as_str(), exchange.path.as_str()),
        ("POST", "/oauth/v2/accessToken")
    );
    assert_eq!(
        exchange.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let form: Vec<(String, String)> = url::form_urlencoded::parse(exchange.body.as_bytes())
        .into_owned()
        .collect();
    let expected = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(form, expected);

    let member = client.userinfo(&grant.access_token).await.unwrap();
    assert_eq!(member.sub, "member-1");
    assert_eq!(member.name, "Ada Lovelace");
    assert_eq!(
        member.picture.as_deref(),
        Some("https://media.example/member-1.jpg")
    );
    let userinfo = fake.requests().pop().unwrap();
    assert_eq!(
        (userinfo.method.as_str(), userinfo.path.as_str()),
        ("GET", "/v2/userinfo")
    );
    assert_eq!(
        userinfo.headers["authorization"],
        format!("Bearer {}", grant.access_token.expose()).as_str()
    );
}

#[tokio::test]
async fn cancelling_comes_back_with_linkedins_error_and_the_state() {
    let fake = FakeLinkedIn::start().await;
    let url = new_client(fake.client_config()).authorization_url(REDIRECT_URI, "s-2");
    let back = consent(&url, "cancel").await;
    assert_eq!(
        query_value(&back, "error").as_deref(),
        Some("user_cancelled_authorize")
    );
    assert_eq!(query_value(&back, "state").as_deref(), Some("s-2"));
    assert_eq!(query_value(&back, "code"), None);
}

#[tokio::test]
async fn a_code_works_once_and_only_with_its_redirect_uri() {
    let fake = FakeLinkedIn::start().await;
    let client = new_client(fake.client_config());
    let code = |back: url::Url| query_value(&back, "code").unwrap();
    let first = code(consent(&client.authorization_url(REDIRECT_URI, "s"), "allow").await);
    let error = client
        .exchange_code(&first, "https://other.example/cb")
        .await
        .unwrap_err();
    assert_eq!(error.code(), "LINKEDIN_AUTHORIZATION_FAILED");

    let second = code(consent(&client.authorization_url(REDIRECT_URI, "s"), "allow").await);
    client.exchange_code(&second, REDIRECT_URI).await.unwrap();
    let again = client
        .exchange_code(&second, REDIRECT_URI)
        .await
        .unwrap_err();
    let LinkedInError::Authorization { error, .. } = &again else {
        panic!("{again:?}")
    };
    assert_eq!(error, "invalid_grant");
}

#[tokio::test]
async fn a_wrong_client_secret_is_refused_as_invalid_client() {
    let fake = FakeLinkedIn::start().await;
    let mut config = fake.client_config();
    config.client_secret = linkedgrow::linkedin::ClientSecret::new("wrong");
    let client = new_client(config);
    let back = consent(&client.authorization_url(REDIRECT_URI, "s"), "allow").await;
    let error = client
        .exchange_code(&query_value(&back, "code").unwrap(), REDIRECT_URI)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, LinkedInError::Authorization { error, .. } if error == "invalid_client"),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_granted_scopes_are_what_linkedin_says_not_what_was_asked() {
    let fake = FakeLinkedIn::start().await;
    fake.set_granted_scope("openid,profile,w_member_social");
    let client = new_client(fake.client_config());
    let back = consent(&client.authorization_url(REDIRECT_URI, "s"), "allow").await;
    let grant = client
        .exchange_code(&query_value(&back, "code").unwrap(), REDIRECT_URI)
        .await
        .unwrap();
    assert!(grant.scopes.can_share());
    assert!(!grant.scopes.can_read_analytics());
}
