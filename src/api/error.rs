//! The API's one error type and the JSON envelope every error response uses:
//! `{"error":{"code":"UPPER_SNAKE","message":"…"}}`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::analytics::RangeError;
use crate::domain::idea::IdeaError;
use crate::domain::post::PostError;
use crate::domain::webhook::WebhookError;
use crate::domain::Scope;
use crate::store::StoreError;
use crate::webhooks::address::UrlRefusal;

/// Every way an API request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is wrong in a way the message explains.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// 401: no usable API key.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: the key lacks a scope the endpoint needs.
    #[error("this API key lacks the {0} scope")]
    MissingScope(Scope),
    /// 403: the key's owner is not on the Business plan.
    #[error("API access requires the Business plan")]
    PlanRequired,
    /// 404: no such resource for this key's owner.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409: the resource is in a state that forbids the change.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 429: a rate limit is used up.
    #[error("rate limit exceeded; retry in {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    /// 503: a service the request depends on (Redis, for the shared rate limits) does not
    /// answer; the request is refused rather than let through unlimited.
    #[error(
        "the server cannot check this key's rate limit right now; retry in {retry_after} seconds"
    )]
    Unavailable { retry_after: u64 },
    /// Any other status the framework itself decides (405, 413, 415 …).
    #[error("{message}")]
    Http {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    /// 500: something broke; the cause is logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A 400 with the given code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// A 409 with the given code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    /// The wire code, as the envelope carries it.
    pub fn code(&self) -> &'static str {
        self.status_and_code().1
    }

    /// The message a client may see: a 500's cause goes to the log (inside the request's span,
    /// so with its id), never to the client.
    pub fn client_message(&self) -> String {
        match self {
            Self::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                "internal server error; the request id identifies it in the server log".to_owned()
            }
            other => other.to_string(),
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
            Self::MissingScope(_) => (StatusCode::FORBIDDEN, "INSUFFICIENT_SCOPE"),
            Self::PlanRequired => (StatusCode::FORBIDDEN, "PLAN_REQUIRED"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            Self::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED"),
            Self::Unavailable { .. } => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
            Self::Http { status, code, .. } => (*status, code),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR"),
        }
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
}

/// Writes the documented error body with `status`.
pub fn envelope(status: StatusCode, code: &str, message: &str) -> Response {
    let body = Envelope {
        error: Body { code, message },
    };
    (status, axum::Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let mut response = envelope(status, code, &self.client_message());
        let headers = response.headers_mut();
        match self {
            Self::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::RateLimited { retry_after } | Self::Unavailable { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            _ => {}
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Conflict(message) => Self::conflict("CONFLICT", message),
            StoreError::Other(cause) => Self::Internal(cause),
        }
    }
}

// The wire codes of the domain's validation errors: the one place that names them.

impl From<PostError> for ApiError {
    fn from(err: PostError) -> Self {
        let code = match err {
            PostError::ContentMissing
            | PostError::ContentBlank
            | PostError::ContentTooLong { .. } => "INVALID_CONTENT",
            PostError::StatusPublished | PostError::StatusFailed | PostError::StatusUnknown(_) => {
                "INVALID_STATUS"
            }
            PostError::ScheduleMissing
            | PostError::ScheduleWithoutStatus
            | PostError::ScheduleMalformed(_)
            | PostError::ScheduleTooLate
            | PostError::ScheduleInPast => "INVALID_SCHEDULE",
        };
        Self::bad_request(code, err.to_string())
    }
}

impl From<IdeaError> for ApiError {
    fn from(err: IdeaError) -> Self {
        let code = match err {
            IdeaError::ContentMissing
            | IdeaError::ContentBlank
            | IdeaError::ContentTooLong { .. } => "INVALID_CONTENT",
            IdeaError::NotesTooLong { .. } => "INVALID_NOTES",
            IdeaError::TooManyTags { .. } | IdeaError::TagBlank | IdeaError::TagTooLong { .. } => {
                "INVALID_TAGS"
            }
        };
        Self::bad_request(code, err.to_string())
    }
}

impl From<WebhookError> for ApiError {
    fn from(err: WebhookError) -> Self {
        let code = match err {
            WebhookError::NoEvents
            | WebhookError::UnknownEvent(_)
            | WebhookError::WildcardNotAlone => "INVALID_EVENTS",
            WebhookError::DescriptionTooLong => "INVALID_DESCRIPTION",
            // Asking for events the key may not read is a scope problem, answered as one (403
            // naming the scope), in the domain's words, which say why the scope is needed.
            WebhookError::MissingScope(_) | WebhookError::NothingReadable => {
                return Self::Http {
                    status: StatusCode::FORBIDDEN,
                    code: "INSUFFICIENT_SCOPE",
                    message: err.to_string(),
                }
            }
        };
        Self::bad_request(code, err.to_string())
    }
}

impl From<UrlRefusal> for ApiError {
    fn from(err: UrlRefusal) -> Self {
        Self::bad_request("INVALID_WEBHOOK_URL", err.to_string())
    }
}

impl From<RangeError> for ApiError {
    fn from(err: RangeError) -> Self {
        let code = match err {
            RangeError::MalformedDay { .. } => "INVALID_PARAMETER",
            RangeError::FromAfterTo { .. } | RangeError::TooLong { .. } => "INVALID_RANGE",
        };
        Self::bad_request(code, err.to_string())
    }
}

/// The API's JSON body and response. Its rejections are [`ApiError`]s in the API's words (see
/// [`json_body`](super::json_body)): every endpoint that takes a body reads it through this
/// one extractor, so a new one inherits the messages.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<T, S> FromRequest<S> for AppJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !super::json_body::is_json(req.headers()) {
            return Err(ApiError::Http {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code: "UNSUPPORTED_MEDIA_TYPE",
                message: "send the body as JSON with Content-Type: application/json".into(),
            });
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rejection| bytes_rejection(&rejection))?;
        super::json_body::parse(&bytes).map(Self)
    }
}

fn bytes_rejection(rejection: &BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return payload_too_large();
    }
    ApiError::Http {
        status: rejection.status(),
        code: "INVALID_BODY",
        message: "the request body could not be read".into(),
    }
}

/// The 413 for bodies over the limit.
pub fn payload_too_large() -> ApiError {
    ApiError::Http {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "PAYLOAD_TOO_LARGE",
        message: format!(
            "the request body is larger than {} KiB",
            crate::MAX_BODY_BYTES / 1024
        ),
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
