//! Publishing and deleting: the exact requests, the duplicate's URN, and LinkedIn's refusals.

use super::*;

#[tokio::test]
async fn create_post_sends_the_documented_request_and_answers_the_urn() {
    let (fake, client, token) = connected().await;
    let text = "Shipping (finally) #rust_lang & #axum: 100% [done] <3 @team ~*_|{}\\ #";
    let urn = client.create_post(&token, "member-7", text).await.unwrap();

    let posts = fake.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(urn.to_string(), posts[0].urn);
    assert!(posts[0].urn.starts_with("urn:li:share:"));
    assert_eq!(posts[0].text, text, "LinkedIn shows the text whole");
    assert_eq!(posts[0].commentary, little_text::escape(text));

    let request = fake.requests().pop().unwrap();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/rest/posts")
    );
    let headers = &request.headers;
    assert_eq!(
        headers["authorization"],
        format!("Bearer {}", token.expose()).as_str()
    );
    assert_eq!(headers["linkedin-version"], "202610");
    assert_eq!(headers["x-restli-protocol-version"], "2.0.0");
    assert_eq!(headers["content-type"], "application/json");
    let body: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        body,
        json!({
            "author": "urn:li:person:member-7",
            "commentary": little_text::escape(text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": []
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": false
        })
    );
    assert_eq!(posts[0].body, body, "the accepted post keeps its body");
    assert_eq!(posts[0].headers["linkedin-version"], "202610");
}

#[tokio::test]
async fn the_stand_in_cuts_unescaped_text_like_linkedin_does() {
    // Guards the guard: were the stand-in lenient, the test above could not fail.
    let fake = FakeLinkedIn::start().await;
    let token = fake.token_for("member-7", ALL_SCOPES);
    let body = json!({
        "author": "urn:li:person:member-7",
        "commentary": "Before (after",
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED"},
        "lifecycleState": "PUBLISHED"
    });
    let answer = reqwest::Client::new()
        .post(format!("{}/rest/posts", fake.url()))
        .bearer_auth(&token)
        .header("LinkedIn-Version", "202610")
        .header("X-Restli-Protocol-Version", "2.0.0")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
    assert_eq!(fake.posts()[0].text, "Before ");
}

#[tokio::test]
async fn the_same_text_again_is_a_duplicate_naming_the_first_post() {
    let (fake, client, token) = connected().await;
    let first = client
        .create_post(&token, "member-7", "Same words")
        .await
        .unwrap();
    let error = client
        .create_post(&token, "member-7", "Same words")
        .await
        .unwrap_err();
    assert_eq!(
        error,
        LinkedInError::Duplicate {
            urn: Some(first.clone()),
            message: format!("ERROR :: /commentary :: Content is a duplicate of {first}"),
        }
    );
    assert_eq!(error.code(), "LINKEDIN_REJECTED");
    assert_eq!(fake.posts().len(), 1);
}

#[tokio::test]
async fn delete_post_sends_the_encoded_urn_and_a_second_delete_is_not_found() {
    let (fake, client, token) = connected().await;
    let urn = client.create_post(&token, "member-7", "Bye").await.unwrap();
    client.delete_post(&token, &urn).await.unwrap();

    let request = fake.requests().pop().unwrap();
    assert_eq!(request.method, "DELETE");
    assert_eq!(
        request.path,
        format!("/rest/posts/urn%3Ali%3Ashare%3A{}", urn.id())
    );
    assert_eq!(request.headers["linkedin-version"], "202610");
    assert_eq!(request.headers["x-restli-protocol-version"], "2.0.0");
    assert!(fake.posts()[0].deleted);

    let again = client.delete_post(&token, &urn).await.unwrap_err();
    assert_eq!(again.code(), "LINKEDIN_NOT_FOUND");
}

#[tokio::test]
async fn posting_for_another_member_or_without_the_scope_is_forbidden() {
    let (fake, client, token) = connected().await;
    let other = client
        .create_post(&token, "member-8", "Not mine")
        .await
        .unwrap_err();
    assert_eq!(other.code(), "LINKEDIN_FORBIDDEN");
    let read_only = AccessToken::new(fake.token_for("member-9", "openid,profile"));
    let error = client
        .create_post(&read_only, "member-9", "No scope")
        .await
        .unwrap_err();
    assert_eq!(error.code(), "LINKEDIN_FORBIDDEN");
    assert!(fake.posts().is_empty());
}

#[tokio::test]
async fn an_unknown_token_is_token_invalid() {
    let (fake, client, _) = connected().await;
    let error = client
        .create_post(&AccessToken::new("AQ-revoked"), "member-7", "Hi")
        .await
        .unwrap_err();
    assert_eq!(
        error,
        LinkedInError::TokenInvalid {
            message: "Invalid access token".into()
        }
    );
    let error = client
        .userinfo(&AccessToken::new("AQ-revoked"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "LINKEDIN_TOKEN_INVALID");
    assert!(fake.posts().is_empty());
}

#[tokio::test]
async fn a_text_over_the_limit_is_rejected_with_linkedins_message() {
    let (_fake, client, token) = connected().await;
    let error = client
        .create_post(&token, "member-7", &"x".repeat(3_001))
        .await
        .unwrap_err();
    let LinkedInError::Rejected { status, message } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*status, 422);
    assert!(message.starts_with("ERROR :: /commentary ::"), "{message}");
    assert_eq!(error.code(), "LINKEDIN_REJECTED");
}
