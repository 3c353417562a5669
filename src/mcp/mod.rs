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
mod transport;
pub mod validate;

pub use transport::allowed_hosts;

use std::sync::Arc;

use axum::http::request::Parts;
use axum::Router;
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock,
    CustomRequest, CustomResult, ErrorCode, ErrorData, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{RoleServer, ServerHandler};
use serde_json::{json, Value};

use crate::api::auth::ApiKey;
use crate::api::error::ApiError;
use crate::api::middleware::{authenticate_agent, count_request};
use crate::AppState;

/// The path of the endpoint.
pub const PATH: &str = "/mcp";

/// The `/mcp` route (and `/mcp/`, which clients given the URL with a slash ask for), behind
/// the REST API's authentication. `allowed_hosts` are the `Host` values the SDK's DNS-rebinding
/// protection lets through (see [`allowed_hosts`]); browser pages from those hosts alone may
/// call it.
pub fn routes(state: AppState, allowed_hosts: Vec<String>) -> Router<AppState> {
    let origins = transport::allowed_origins(&allowed_hosts);
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_allowed_hosts(allowed_hosts)
        .with_allowed_origins(origins)
        .with_max_request_body_bytes(crate::MAX_BODY_BYTES);
    let app = state.clone();
    let service = StreamableHttpService::new(
        move || Ok(Agent { app: app.clone() }),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    Router::new()
        .route_service(PATH, service.clone())
        .route_service(&format!("{PATH}/"), service)
        .route_layer(axum::middleware::map_response(
            transport::envelope_for_sdk_errors,
        ))
        .route_layer(axum::middleware::from_fn(
            transport::refuse_unreadable_messages,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            authenticate_agent,
        ))
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
                let text = text_of(&reply.summary, &reply.body);
                let mut result = CallToolResult::success(vec![text]);
                result.structured_content = Some(reply.body);
                result
            }
            Err(err) => failure(&err),
        };
        Ok(result.into())
    }

    /// The SDK reads a request for a method it knows but whose params do not fit (`tools/call`
    /// without a string `name`, or with `arguments` that are not an object) as a custom
    /// request, which would be refused as an unknown method; it is invalid params.
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        let method = request.method;
        let message = match method.as_str() {
            "tools/call" => {
                "tools/call needs params {\"name\": a string, \"arguments\": an object}".to_owned()
            }
            "initialize" | "ping" | "tools/list" => format!("invalid params for {method}"),
            _ => return Err(ErrorData::new(ErrorCode::METHOD_NOT_FOUND, method, None)),
        };
        Err(ErrorData::invalid_params(message, None))
    }
}

/// A result's text: a line for people, then the whole result as JSON (the same as
/// `structuredContent`), so that a client that reads only text, as those of protocol revisions
/// before `structuredContent` do, misses nothing; the specification recommends it.
fn text_of(summary: &str, body: &Value) -> ContentBlock {
    ContentBlock::text(format!("{summary}\n{body}"))
}

/// An error result: the REST error's envelope as structured content, and as text after its
/// code and message. A refused rate limit also says, as a number, how many seconds to wait.
fn failure(err: &ApiError) -> CallToolResult {
    let code = err.code();
    let message = err.client_message();
    let mut body = json!({"error": {"code": code, "message": message}});
    if let ApiError::RateLimited { retry_after } = err {
        body["error"]["retryAfter"] = json!(retry_after);
    }
    let text = text_of(&format!("{code}: {message}"), &body);
    let mut result = CallToolResult::error(vec![text]);
    result.structured_content = Some(body);
    result
}
