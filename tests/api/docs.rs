//! The OpenAPI document and the /docs reference: served without a key, matching the router,
//! and the reference loads nothing from outside the server.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::spawn_app;

/// The values of `attr="…"` in `html`.
fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!("{attr}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

#[tokio::test]
async fn the_document_is_served_without_a_key_and_matches_the_router() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "LinkedGrow API");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    // Every documented operation exists: without a key it is 401 (or a probe's 200), never 404/405.
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let method: Method = method.to_uppercase().parse().unwrap();
            let url = app.url(&path.replace("{id}", "x").replace("{deliveryId}", "y"));
            let status = app
                .client
                .request(method.clone(), url)
                .send()
                .await
                .unwrap()
                .status();
            let expected = if path.starts_with("/api/") { 401 } else { 200 };
            assert_eq!(status, expected, "{method} {path}");
            if path.starts_with("/api/") {
                let scopes = op["x-required-scopes"].as_array().unwrap();
                let security = &op["security"][0]["bearer"];
                assert_eq!(security.as_array().unwrap(), scopes, "{method} {path}");
            }
        }
    }
    assert_eq!(operations, 25);
}

#[tokio::test]
async fn docs_and_their_assets_are_served_locally() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(response.status(), 200, "redirected to /docs/");
    assert_eq!(response.url().path(), "/docs/");
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = response.text().await.unwrap();

    let mut assets: Vec<&str> = attribute_values(&html, "src");
    assets.extend(attribute_values(&html, "href"));
    assert!(assets.len() >= 4, "{html}");
    assert!(
        assets.iter().any(|a| a.ends_with(".js")) && assets.iter().any(|a| a.ends_with(".css"))
    );
    for asset in &assets {
        assert!(
            !asset.contains(':') && !asset.starts_with("//"),
            "{asset} points outside the server"
        );
        let url = app.url(&format!("/docs/{}", asset.trim_start_matches("./")));
        let response = app.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let body = response.bytes().await.unwrap();
        assert!(body.len() > 100, "{url}");
    }
    for needle in ["http://", "https://", "//cdn", "unpkg", "jsdelivr"] {
        assert!(!html.contains(needle), "the page mentions {needle}");
    }

    // The page renders the server's own document, and validates it nowhere else.
    let init = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("\"url\": \"/api/v1/openapi.json\""), "{init}");
    assert!(init.contains("\"validatorUrl\": \"none\""), "{init}");
    assert!(!init.contains("http"), "{init}");
}
