//! The Posts API: `POST /rest/posts` with LinkedIn's body validation, "little" text parsing
//! and duplicate detection, and `DELETE /rest/posts/{encoded urn}`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{check_rest, header, linkedin_error, restli_error, FakePost, Shared};

/// The characters "little" reserves.
const RESERVED: &str = "|{}@[]()<>#\\*_~";
/// LinkedIn's limit on what a post shows.
const MAX_CHARS: usize = 3_000;

/// `POST /rest/posts`.
pub async fn create_post(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let caller = match check_rest(&state, &headers) {
        Ok(caller) => caller,
        Err(refused) => return *refused,
    };
    let json_type =
        header(&headers, "content-type").is_some_and(|v| v.starts_with("application/json"));
    let Some(body) = json_type
        .then(|| serde_json::from_slice::<Value>(&body).ok())
        .flatten()
    else {
        return restli_error(
            400,
            Some("ILLEGAL_ARGUMENT"),
            "Request body could not be converted to data map",
        );
    };
    if !caller.has("w_member_social") {
        return access_denied(
            "Not enough permissions to access: partnerApiPostsExternal.CREATE.20261001",
        );
    }
    let problems = shape_problems(&body);
    if !problems.is_empty() {
        return restli_error(422, None, &problems.join("\n"));
    }
    let author = body["author"].as_str().unwrap_or_default().to_owned();
    if author != format!("urn:li:person:{}", caller.sub) {
        return access_denied(
            "Unpermitted fields present in REQUEST_BODY: Data Processing Exception while processing fields [/author]",
        );
    }
    let commentary = body["commentary"].as_str().unwrap_or_default().to_owned();
    let text = render(&commentary);
    if text.chars().count() > MAX_CHARS {
        return restli_error(
            422,
            None,
            &format!(
                "ERROR :: /commentary :: length {} exceeds the maximum allowed {MAX_CHARS}",
                text.chars().count()
            ),
        );
    }
    let (urn, hold) = {
        let mut fake = state.lock();
        let earlier = fake
            .posts
            .iter()
            .find(|p| !p.deleted && p.author == author && p.commentary == commentary);
        if let Some(earlier) = earlier {
            return duplicate(&earlier.urn);
        }
        fake.next_id += 1;
        let urn = format!(
            "urn:li:share:{}",
            7_400_000_000_000_000_000u64 + fake.next_id
        );
        fake.posts.push(FakePost {
            urn: urn.clone(),
            author,
            commentary,
            text,
            body,
            headers: headers.clone(),
            deleted: false,
        });
        let hold = fake.holds > 0;
        fake.holds = fake.holds.saturating_sub(1);
        (urn, hold)
    };
    if hold {
        // Accepted and published, but the answer never leaves: as if the network died here.
        std::future::pending::<()>().await;
    }
    (
        StatusCode::CREATED,
        [
            ("x-restli-id", urn.as_str()),
            ("x-linkedin-id", urn.as_str()),
        ],
    )
        .into_response()
}

/// `DELETE /rest/posts/{urn}`: the URN must be percent-encoded as one path segment.
pub async fn delete_post(State(state): State<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    let caller = match check_rest(&state, &headers) {
        Ok(caller) => caller,
        Err(refused) => return *refused,
    };
    let raw = uri.path().trim_start_matches("/rest/posts/");
    if raw.contains(':') {
        return restli_error(400, None, "The post URN in the path must be URL-encoded");
    }
    let urn = percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned();
    if !caller.has("w_member_social") {
        return access_denied(
            "Not enough permissions to access: partnerApiPostsExternal.DELETE.20261001",
        );
    }
    let mut fake = state.lock();
    let Some(post) = fake.posts.iter_mut().find(|p| p.urn == urn && !p.deleted) else {
        return restli_error(404, None, &format!("Post {urn} does not exist"));
    };
    if post.author != format!("urn:li:person:{}", caller.sub) {
        return access_denied("Not enough permissions to delete this post");
    }
    post.deleted = true;
    StatusCode::NO_CONTENT.into_response()
}

fn access_denied(message: &str) -> Response {
    linkedin_error(
        403,
        json!({"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED", "message": message}),
    )
}

/// LinkedIn's 422 for a repeated post, naming the existing one.
fn duplicate(existing: &str) -> Response {
    linkedin_error(
        422,
        json!({
            "message": format!("ERROR :: /commentary :: Content is a duplicate of {existing}"),
            "status": 422,
            "errorDetailType": "com.linkedin.common.error.BadRequest",
            "errorDetails": {"inputErrors": [{
                "description": "Duplicate post is detected",
                "input": {"inputPath": {"fieldPath": "/commentary"}},
                "code": "DUPLICATE_POST"
            }]}
        }),
    )
}

/// The Posts API's validation messages for `body`, in LinkedIn's `ERROR :: /path :: …` form.
fn shape_problems(body: &Value) -> Vec<String> {
    const REQUIRED: [&str; 5] = [
        "author",
        "commentary",
        "visibility",
        "distribution",
        "lifecycleState",
    ];
    const OPTIONAL: [&str; 8] = [
        "isReshareDisabledByAuthor",
        "content",
        "contentLandingPage",
        "contentCallToActionLabel",
        "reshareContext",
        "container",
        "adContext",
        "id",
    ];
    let Some(fields) = body.as_object() else {
        return vec!["ERROR :: / :: the body must be an object".into()];
    };
    let mut problems = Vec::new();
    for name in fields.keys() {
        if !REQUIRED.contains(&name.as_str()) && !OPTIONAL.contains(&name.as_str()) {
            problems.push(format!(
                "ERROR :: /{name} :: unrecognized field found but not allowed"
            ));
        }
    }
    for name in REQUIRED {
        if !fields.contains_key(name) {
            problems.push(format!(
                "ERROR :: /{name} :: field is required but not found and has no default value"
            ));
        }
    }
    let mut expect = |path: &str, ok: bool, what: &str| {
        if !ok {
            problems.push(format!("ERROR :: {path} :: {what}"));
        }
    };
    let text = |v: &Value| v.as_str().map(str::to_owned);
    if let Some(author) = fields.get("author") {
        let ok = text(author).is_some_and(|a| {
            a.starts_with("urn:li:person:") || a.starts_with("urn:li:organization:")
        });
        expect("/author", ok, "must be a person or organization URN");
    }
    if let Some(commentary) = fields.get("commentary") {
        expect("/commentary", commentary.is_string(), "must be a string");
    }
    let one_of =
        |v: &Value, allowed: &[&str]| text(v).is_some_and(|s| allowed.contains(&s.as_str()));
    if let Some(visibility) = fields.get("visibility") {
        let ok = one_of(
            visibility,
            &["PUBLIC", "CONNECTIONS", "LOGGED_IN", "CONTAINER"],
        );
        expect("/visibility", ok, "is not a valid enum symbol");
    }
    if let Some(state) = fields.get("lifecycleState") {
        let ok = one_of(
            state,
            &["PUBLISHED", "DRAFT", "PUBLISH_REQUESTED", "PUBLISH_FAILED"],
        );
        expect("/lifecycleState", ok, "is not a valid enum symbol");
    }
    if let Some(flag) = fields.get("isReshareDisabledByAuthor") {
        expect(
            "/isReshareDisabledByAuthor",
            flag.is_boolean(),
            "must be a boolean",
        );
    }
    if let Some(distribution) = fields.get("distribution") {
        let feed = &distribution["feedDistribution"];
        expect(
            "/distribution/feedDistribution",
            one_of(feed, &["MAIN_FEED", "NONE"]),
            "is required and must be MAIN_FEED or NONE",
        );
        for list in ["targetEntities", "thirdPartyDistributionChannels"] {
            let value = &distribution[list];
            expect(
                &format!("/distribution/{list}"),
                value.is_null() || value.is_array(),
                "must be an array",
            );
        }
    }
    problems
}

/// What LinkedIn shows for "little" `commentary`: escapes resolved, hashtag templates as
/// `#word`, and the text cut at the first reserved character that is neither escaped nor the
/// start of a template, as LinkedIn does without an error.
pub fn render(commentary: &str) -> String {
    let mut out = String::new();
    let mut rest = commentary;
    while let Some(c) = rest.chars().next() {
        if c == '\\' {
            let Some(escaped) = rest[1..].chars().next() else {
                break;
            };
            out.push(escaped);
            rest = &rest[1 + escaped.len_utf8()..];
        } else if c == '{' {
            let Some((word, used)) = hashtag_template(rest) else {
                break;
            };
            out.push('#');
            out.push_str(&word);
            rest = &rest[used..];
        } else if RESERVED.contains(c) {
            break;
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// `{hashtag|\#|word}` at the start of `text`: the word and the bytes the template takes.
fn hashtag_template(text: &str) -> Option<(String, usize)> {
    let mut rest = text.strip_prefix("{hashtag|\\#|")?;
    let mut word = String::new();
    loop {
        let c = rest.chars().next()?;
        match c {
            '}' if !word.is_empty() => return Some((word, text.len() - rest.len() + 1)),
            '\\' => {
                let escaped = rest[1..].chars().next()?;
                word.push(escaped);
                rest = &rest[1 + escaped.len_utf8()..];
            }
            c if RESERVED.contains(c) || c.is_whitespace() => return None,
            c => {
                word.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
}
