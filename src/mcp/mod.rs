//! `/mcp`: the Model Context Protocol endpoint, so that AI assistants draft, schedule and read
//! analytics with exactly the rights an API key grants.
//!
//! It is the official SDK's streamable-HTTP server, stateless (no `Mcp-Session-Id`: every POST
//! stands alone, so any instance behind a load balancer can answer it) and answering with plain
//! JSON rather than an event stream. In front of it sits the REST API's authentication (401, 403
//! `PLAN_REQUIRED`, revocation from the next request); each tool call counts as one request
//! against the key's limits, while the protocol's own messages count nothing. Tools run the REST
//! API's own functions, so they validate, store and emit events exactly as the API does.

mod call;
pub mod catalogue;
mod render;
pub mod validate;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, request::Parts, HeaderValue};
use axum::response::Response;
use axum::Router;
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorData,
    Implementation, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{RoleServer, ServerHandler};
use serde_json::json;

use crate::api::auth::ApiKey;
use crate::api::error::{envelope, ApiError};
use crate::api::middleware::{authenticate_agent, count_request};
use crate::AppState;

/// The path of the endpoint.
pub const PATH: &str = "/mcp";

/// The `/mcp` route, behind the REST API's authentication. `allowed_hosts` are the `Host`
/// values the SDK's DNS-rebinding protection lets through (see [`allowed_hosts`]).
pub fn routes(state: AppState, allowed_hosts: Vec<String>) -> Router<AppState> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_allowed_hosts(allowed_hosts)
        .with_max_request_body_bytes(crate::MAX_BODY_BYTES);
    let app = state.clone();
    let service = StreamableHttpService::new(
        move || Ok(Agent { app: app.clone() }),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    Router::new()
        .route_service(PATH, service)
        .route_layer(axum::middleware::map_response(envelope_for_sdk_errors))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            authenticate_agent,
        ))
}

/// The hosts `/mcp` answers to: that of the public URL, and loopback (for assistants on the
/// same machine, and for tests). An entry without a port matches any port.
pub fn allowed_hosts(public_url: Option<&str>) -> Vec<String> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .into_iter()
        .map(String::from)
        .collect();
    if let Some(host) = public_url
        .and_then(|url| url::Url::parse(url).ok())
        .and_then(|url| url.host_str().map(str::to_owned))
    {
        hosts.push(host);
    }
    hosts
}

/// The SDK answers transport problems (a disallowed `Host`, a wrong `Accept`) in plain text;
/// they get the API's envelope, keeping the SDK's words as the message.
async fn envelope_for_sdk_errors(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|value| value.as_bytes().starts_with(b"text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, crate::MAX_BODY_BYTES)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let reason = status.canonical_reason().unwrap_or("error");
    let code = reason.to_uppercase().replace([' ', '-'], "_");
    let message = if text.is_empty() { reason } else { &text };
    let mut replacement = envelope(status, &code, message);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replacement.headers_mut().insert(name, value.clone());
        }
    }
    replacement.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    replacement.map(Body::new)
}

/// The MCP server behind one HTTP request.
#[derive(Clone)]
struct Agent {
    app: AppState,
}

/// The key the authentication layer found for this HTTP request.
fn caller(context: &RequestContext<RoleServer>) -> Result<ApiKey, ErrorData> {
    context
        .extensions
        .get::<Parts>()
        .and_then(|parts| parts.extensions.get::<ApiKey>())
        .cloned()
        .ok_or_else(|| ErrorData::internal_error("the request carries no authenticated key", None))
}

impl ServerHandler for Agent {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("linkedgrow", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "LinkedGrow drafts, schedules and publishes LinkedIn posts and keeps post ideas. \
                 The tools listed are those this API key's scopes allow; results are the REST \
                 API's JSON. Check a text with validate_post before creating or publishing it.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let key = caller(&context)?;
        let tools = catalogue::TOOLS
            .iter()
            .filter(|tool| tool.allowed(key.scopes))
            .map(catalogue::ToolSpec::describe)
            .collect();
        // The list depends on the key: no one else may be served it from a cache.
        Ok(ListToolsResult::with_all_items(tools).with_cache_scope(CacheScope::Private))
    }

    fn get_tool(&self, name: &str) -> Option<rmcp::model::Tool> {
        catalogue::find(name).map(catalogue::ToolSpec::describe)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let key = caller(&context)?;
        let decision = match count_request(&self.app, &key.id).await {
            Ok(decision) => decision,
            Err(unavailable) => return Ok(failure(&unavailable).into()),
        };
        if !decision.allowed {
            return Ok(failure(&ApiError::RateLimited {
                retry_after: decision.retry_after,
            })
            .into());
        }
        let Some(tool) = catalogue::find(&request.name) else {
            return Err(ErrorData::invalid_params(
                format!("unknown tool {:?}", request.name),
                None,
            ));
        };
        let args = request.arguments.unwrap_or_default();
        let result = match call::run(&self.app, &key, tool.name, args).await {
            Ok(reply) => {
                let mut result = CallToolResult::success(vec![ContentBlock::text(reply.text)]);
                result.structured_content = Some(reply.body);
                result
            }
            Err(err) => failure(&err),
        };
        Ok(result.into())
    }
}

/// An error result: the REST error's envelope as structured content, its code and message as
/// text. A refused rate limit also says, as a number, how many seconds to wait.
fn failure(err: &ApiError) -> CallToolResult {
    let code = err.code();
    let message = err.client_message();
    let mut body = json!({"error": {"code": code, "message": message}});
    if let ApiError::RateLimited { retry_after } = err {
        body["error"]["retryAfter"] = json!(retry_after);
    }
    let mut result = CallToolResult::error(vec![ContentBlock::text(format!("{code}: {message}"))]);
    result.structured_content = Some(body);
    result
}
