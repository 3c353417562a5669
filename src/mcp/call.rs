//! One tool call: the arguments become what the REST endpoint reads (its path id, its query, its
//! JSON body), and the REST API's own functions do the rest, so validation, storage, events and
//! answers are those of the API.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::api::auth::{
    AnalyticsRead, ApiKey, IdeasRead, IdeasWrite, PostsDelete, PostsRead, PostsWrite, ProfileRead,
    Scoped,
};
use crate::api::error::ApiError;
use crate::api::etag::IfMatch;
use crate::api::query::QueryParams;
use crate::api::{account, analytics, ideas, json_body, posts, publishing};
use crate::domain::PostId;
use crate::AppState;

use super::render::Render;
use super::validate;

/// What a tool answers: the REST response body, and a line or two for people.
#[derive(Debug)]
pub struct Reply {
    pub body: Value,
    pub text: String,
}

fn reply<T: Serialize + Render>(view: &T) -> Result<Reply, ApiError> {
    let body = serde_json::to_value(view).map_err(|err| ApiError::Internal(err.into()))?;
    Ok(Reply {
        body,
        text: view.render(),
    })
}

/// Runs the tool `name` (one the catalogue has) for `key` with `args`.
pub async fn run(
    app: &AppState,
    key: &ApiKey,
    name: &str,
    mut args: Map<String, Value>,
) -> Result<Reply, ApiError> {
    // Each arm checks the scopes first, as the REST extractor does, so a key that may not use
    // the tool hears that whatever arguments it sent.
    match name {
        "list_posts" => {
            let key = Scoped::<PostsRead>::check(key.clone())?;
            reply(&posts::find_posts(app, &key, &query(args)?).await?)
        }
        "get_post" => {
            let key = Scoped::<PostsRead>::check(key.clone())?;
            let id = post_id(&mut args)?;
            no_more(&args)?;
            reply(&posts::read_post(app, &key, &id).await?)
        }
        "create_post" => {
            let key = Scoped::<PostsWrite>::check(key.clone())?;
            reply(&posts::add_post(app, &key, body(args)?).await?)
        }
        "update_post" => {
            let key = Scoped::<PostsWrite>::check(key.clone())?;
            let id = post_id(&mut args)?;
            let post = posts::edit_post(app, &key, &id, &IfMatch::Absent, body(args)?).await?;
            reply(&post)
        }
        "delete_post" => {
            let key = Scoped::<PostsDelete>::check(key.clone())?;
            let id = post_id(&mut args)?;
            no_more(&args)?;
            let query = QueryParams::default();
            reply(&posts::remove_post(app, &key, id, &IfMatch::Absent, &query).await?)
        }
        "publish_post" => {
            let key = Scoped::<PostsWrite>::check(key.clone())?;
            let id = post_id(&mut args)?;
            no_more(&args)?;
            reply(&publishing::publish_now(app, &key, &id).await?)
        }
        "list_ideas" => {
            let key = Scoped::<IdeasRead>::check(key.clone())?;
            reply(&ideas::find_ideas(app, &key, &query(args)?).await?)
        }
        "get_idea" => {
            let key = Scoped::<IdeasRead>::check(key.clone())?;
            let id = id(&mut args)?;
            no_more(&args)?;
            reply(&ideas::read_idea(app, &key, &id).await?)
        }
        "create_idea" => {
            let key = Scoped::<IdeasWrite>::check(key.clone())?;
            reply(&ideas::add_idea(app, &key, body(args)?).await?)
        }
        "update_idea" => {
            let key = Scoped::<IdeasWrite>::check(key.clone())?;
            let id = id(&mut args)?;
            let idea = ideas::edit_idea(app, &key, &id, &IfMatch::Absent, body(args)?).await?;
            reply(&idea)
        }
        "delete_idea" => {
            let key = Scoped::<IdeasWrite>::check(key.clone())?;
            let id = id(&mut args)?;
            no_more(&args)?;
            reply(&ideas::remove_idea(app, &key, id, &IfMatch::Absent).await?)
        }
        "convert_idea" => {
            let key = Scoped::<(IdeasWrite, PostsWrite)>::check(key.clone())?;
            let id = id(&mut args)?;
            no_more(&args)?;
            reply(&ideas::make_post_of_idea(app, &key, &id).await?)
        }
        "get_analytics" => {
            let key = Scoped::<AnalyticsRead>::check(key.clone())?;
            reply(&analytics::figures_of_account(app, &key, &query(args)?).await?)
        }
        "get_post_analytics" => {
            let key = Scoped::<AnalyticsRead>::check(key.clone())?;
            let id = post_id(&mut args)?;
            reply(&analytics::figures_of_post(app, &key, &id, &query(args)?).await?)
        }
        "get_profile" => {
            let key = Scoped::<ProfileRead>::check(key.clone())?;
            no_more(&args)?;
            reply(&account::read_profile(app, &key).await?)
        }
        "validate_post" => {
            Scoped::<PostsRead>::check(key.clone())?;
            reply(&validate::dry_run(body(args)?, app.clock.now()))
        }
        other => Err(ApiError::Internal(anyhow::anyhow!(
            "the catalogue lists {other}, which has no implementation"
        ))),
    }
}

/// The `id` argument, as the REST path carries it.
fn id(args: &mut Map<String, Value>) -> Result<String, ApiError> {
    match args.remove("id") {
        Some(Value::String(id)) => Ok(id),
        None | Some(Value::Null) => Err(invalid("id is required")),
        Some(_) => Err(invalid("id must be a string")),
    }
}

fn post_id(args: &mut Map<String, Value>) -> Result<PostId, ApiError> {
    id(args).map(PostId::from)
}

/// Refuses arguments a tool does not take, so typos are caught rather than ignored.
fn no_more(args: &Map<String, Value>) -> Result<(), ApiError> {
    let mut names: Vec<&str> = args.keys().map(String::as_str).collect();
    names.sort_unstable();
    match names.first() {
        None => Ok(()),
        Some(name) => Err(invalid(format!("unknown argument {name:?}"))),
    }
}

/// The arguments as the query string the REST endpoint reads; the endpoint's own checks then
/// say what is wrong with a value or name.
fn query(args: Map<String, Value>) -> Result<QueryParams, ApiError> {
    let mut pairs = Vec::with_capacity(args.len());
    for (name, value) in args {
        let raw = match value {
            Value::Null => continue,
            Value::String(text) => text,
            Value::Number(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            Value::Array(_) | Value::Object(_) => {
                return Err(invalid(format!("{name} must be a string or a number")))
            }
        };
        pairs.push((name, raw));
    }
    Ok(QueryParams::from_pairs(pairs))
}

/// The arguments as the REST endpoint's JSON body, read by the same reader and so refused with
/// the same messages.
fn body<T: DeserializeOwned>(args: Map<String, Value>) -> Result<T, ApiError> {
    let bytes =
        serde_json::to_vec(&Value::Object(args)).map_err(|err| ApiError::Internal(err.into()))?;
    json_body::parse(&bytes)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("INVALID_PARAMETER", message)
}
