//! The LinkedIn client against the stand-in: each operation's exact request, each failure's
//! classification, the duplicate's URN, both `metricType` forms, and no secret in any output.

mod analytics;
mod connect;
mod failures;
mod posts;
mod redaction;

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use linkedgrow::linkedin::little_text;
use linkedgrow::linkedin::{
    AccessToken, Aggregation, ClientConfig, DateRange, LinkedInClient, LinkedInError, Metric,
    PostUrn,
};
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::linkedin_fake::{
    Failure, FakeLinkedIn, MetricTypeForm, ALL_SCOPES, CLIENT_ID, CLIENT_SECRET,
};

const REDIRECT_URI: &str = "https://app.example/settings/linkedin/callback";

fn new_client(config: ClientConfig) -> LinkedInClient {
    LinkedInClient::new(config).unwrap()
}

/// A member with every scope, a client, and the member's token.
async fn connected() -> (FakeLinkedIn, LinkedInClient, AccessToken) {
    let fake = FakeLinkedIn::start().await;
    let token = AccessToken::new(fake.token_for("member-7", ALL_SCOPES));
    let client = new_client(fake.client_config());
    (fake, client, token)
}

/// What a browser does on the consent page: read the form, press `decision`; answers the
/// redirect's target.
async fn consent(authorization_url: &str, decision: &str) -> url::Url {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser.get(authorization_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(">Allow<") && html.contains(">Cancel<"),
        "{html}"
    );
    let action = url::Url::parse(authorization_url)
        .unwrap()
        .join("/oauth/v2/authorization/decision")
        .unwrap();
    let mut form = vec![("decision".to_owned(), decision.to_owned())];
    for name in ["redirect_uri", "state", "scope"] {
        let marker = format!(r#"name="{name}" value=""#);
        let start = html.find(&marker).unwrap() + marker.len();
        let value = &html[start..start + html[start..].find('"').unwrap()];
        form.push((
            name.to_owned(),
            value.replace("&amp;", "&").replace("&quot;", "\""),
        ));
    }
    let answer = browser.post(action).form(&form).send().await.unwrap();
    assert!(answer.status().is_redirection(), "{}", answer.status());
    url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap()
}

fn query_value(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
