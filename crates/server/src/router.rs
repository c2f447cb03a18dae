//! Every route of the server, and the middleware around all of them.
//!
//! | method   | path                                   | handler                               | auth     |
//! |----------|----------------------------------------|---------------------------------------|----------|
//! | GET/HEAD | `/api/health`                          | [`health::health`]                    |          |
//! | GET/HEAD | `/api/questionnaire`                   | [`questionnaire::questionnaire`]      |          |
//! | GET/HEAD | `/api/communes?q=`                     | [`communes::search`]                  |          |
//! | GET/HEAD | `/api/host`                            | [`town::host`]                        |          |
//! | POST     | `/api/towns`                           | [`towns::create`] (or access request) | rate     |
//! | POST     | `/api/join`                            | [`towns::join`] (by invitation)       | rate     |
//! | GET/HEAD | `/api/me`                              | [`towns::me`]                         | token    |
//! | GET/HEAD | `/api/access-request`                  | [`town::access_request`]              | request  |
//! | GET/HEAD | `/api/devices`                         | [`devices::list`]                     | token    |
//! | DELETE   | `/api/devices/{id}`                    | [`devices::revoke`]                   | token    |
//! | POST     | `/api/invites`                         | [`invites::create`]                   | token, rate |
//! | GET/HEAD | `/api/town`                            | [`town::export`]                      | token    |
//! | DELETE   | `/api/town`                            | [`town::erase`] (administrator)       | token    |
//! | POST     | `/api/sync/push`                       | [`sync::push`]                        | token    |
//! | GET/HEAD | `/api/sync/pull`                       | [`sync::pull`]                        | token    |
//! | GET      | `/api/sync/events`                     | [`sync::events`] (SSE, long-lived)    | token    |
//! | POST     | `/api/operator/enrol`                  | [`operator::enrol`]                   | rate     |
//! | GET/HEAD | `/api/operator/me`                     | [`operator::me`]                      | operator |
//! | GET/HEAD | `/api/operator/towns`                  | [`operator::towns`]                   | operator |
//! | GET/HEAD | `/api/operator/towns/{id}`             | [`operator::town`]                    | operator |
//! | POST     | `/api/operator/towns/{id}/verify`      | [`operator::verify`]                  | operator |
//! | POST     | `/api/operator/towns/{id}/reject`      | [`operator::reject`]                  | operator |
//! | POST     | `/api/operator/towns/{id}/recovery`    | [`operator::recovery`]                | operator |
//! | DELETE   | `/api/operator/towns/{id}/devices/{device}` | [`operator::remove_device`]      | operator |
//! | GET/HEAD | `/api/operator/requests`               | [`operator::requests`]                | operator |
//! | POST     | `/api/operator/requests/{id}`          | [`operator::decide`]                  | operator |
//! | GET/HEAD | `/api/operator/audit`                  | [`operator::audit`]                   | operator |
//! | GET/HEAD | `/api/network/aggregates?campaign=`    | [`network::aggregates`]               | token    |
//! | GET/HEAD | `/api/network/aggregates.csv?campaign=` | [`network::open_data_csv`]           | rate     |
//! | GET/HEAD | `/api/operator/network?campaign=`      | [`network::dashboard`]                | operator |
//! | GET/HEAD | `/api/operator/network.csv?campaign=`  | [`network::operator_csv`]             | operator |
//! | GET/HEAD | `/api/atlas?question=&limit=`          | [`atlas::published`]                  | token    |
//! | POST     | `/api/atlas`                           | [`atlas::submit`] (administrator)     | token, rate |
//! | GET/HEAD | `/api/atlas/own`                       | [`atlas::own`]                        | token    |
//! | DELETE   | `/api/atlas/{id}`                      | [`atlas::remove`] (administrator)     | token    |
//! | GET/HEAD | `/api/operator/atlas?status=&limit=`   | [`atlas::queue`]                      | operator |
//! | POST     | `/api/operator/atlas/{id}/publish`     | [`atlas::publish`]                    | operator |
//! | POST     | `/api/operator/atlas/{id}/refuse`      | [`atlas::refuse`]                     | operator |
//! | any      | other `/api/...`                       | [`unmatched::api_not_found`] (JSON 404) |        |
//! | GET/HEAD | any other path                         | [`app::serve`] (the file, else `index.html`) |   |
//!
//! "token": `Authorization: Bearer <device token>`; the town acted on is the token's (see
//! [`crate::auth`]). "request": the token an access request answered, before it is let in.
//! "operator": `Authorization: Bearer <operator token>` (`arobase_op_…`), never a device's.
//! "rate": rate-limited per client address (anonymous creations, one shared bucket) or per device
//! token (invitations and atlas examples, one shared bucket), 429 with `Retry-After` beyond (see [`crate::limits`]). The protocol is
//! described in `docs/sync.md`.
//!
//! Every request gets an id (`X-Request-Id`, see [`crate::telemetry`]) and is counted in the
//! metrics ([`crate::metrics`], served on their own listener, never here).
//!
//! Every request is also under the transport limits: a request timeout and a concurrency cap
//! (503 with `Retry-After`), and no control character in the decoded path or query string.
//!
//! A known path asked with another method gets a JSON 405 ([`unmatched::method_not_allowed`],
//! or [`app::serve`] itself for app paths).

use std::sync::Arc;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use diagnostic::association::routes;
use diagnostic::network::atlas::routes as atlas_routes;
use diagnostic::network::routes as network_routes;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower::timeout::TimeoutLayer;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::Level;

use crate::config::MAX_BODY_BYTES;
use crate::error::{self, ApiError};
use crate::extract::reject_control_characters;
use crate::handlers::{
    app, atlas, communes, devices, health, invites, network, operator, questionnaire, sync, town,
    towns, unmatched,
};
use crate::limits::transport_error;
use crate::metrics;
use crate::security::{add_security_headers, serves_https, SecurityHeaders};
use crate::telemetry::{self, RequestId};
use crate::AppState;

/// The whole application: API routes, the app's files and the middleware stack.
pub fn router(state: AppState) -> Router {
    let limits = state.limits.clone();
    let api = Router::new()
        .route(routes::HEALTH, get(health::health))
        .route(routes::QUESTIONNAIRE, get(questionnaire::questionnaire))
        .route(routes::COMMUNES, get(communes::search))
        .route(routes::HOST, get(town::host))
        .route(
            routes::TOWNS,
            post(towns::create).route_layer(limits.anonymous()),
        )
        .route(
            routes::JOIN,
            post(towns::join).route_layer(limits.anonymous()),
        )
        .route(routes::ME, get(towns::me))
        .route(routes::ACCESS_REQUEST, get(town::access_request))
        .route(routes::DEVICES, get(devices::list))
        .route(routes::DEVICE, delete(devices::revoke))
        .route(
            routes::INVITES,
            post(invites::create).route_layer(limits.invites()),
        )
        .route(routes::TOWN, get(town::export).delete(town::erase))
        .route(routes::PUSH, post(sync::push))
        .route(routes::PULL, get(sync::pull))
        .route(routes::EVENTS, get(sync::events))
        .route(
            routes::OPERATOR_ENROL,
            post(operator::enrol).route_layer(limits.anonymous()),
        )
        .route(routes::OPERATOR_ME, get(operator::me))
        .route(routes::OPERATOR_TOWNS, get(operator::towns))
        .route(routes::OPERATOR_TOWN, get(operator::town))
        .route(routes::OPERATOR_VERIFY, post(operator::verify))
        .route(routes::OPERATOR_REJECT, post(operator::reject))
        .route(routes::OPERATOR_RECOVERY, post(operator::recovery))
        .route(routes::OPERATOR_DEVICE, delete(operator::remove_device))
        .route(routes::OPERATOR_REQUESTS, get(operator::requests))
        .route(routes::OPERATOR_REQUEST, post(operator::decide))
        .route(routes::OPERATOR_AUDIT, get(operator::audit))
        .route(network_routes::AGGREGATES, get(network::aggregates))
        .route(
            network_routes::OPEN_DATA_CSV,
            get(network::open_data_csv).route_layer(limits.anonymous()),
        )
        .route(network_routes::OPERATOR_DASHBOARD, get(network::dashboard))
        .route(network_routes::OPERATOR_CSV, get(network::operator_csv))
        .route(
            atlas_routes::ATLAS,
            get(atlas::published).merge(post(atlas::submit).route_layer(limits.invites())),
        )
        .route(atlas_routes::ATLAS_OWN, get(atlas::own))
        .route(atlas_routes::ATLAS_EXAMPLE, delete(atlas::remove))
        .route(atlas_routes::OPERATOR_ATLAS, get(atlas::queue))
        .route(atlas_routes::OPERATOR_ATLAS_PUBLISH, post(atlas::publish))
        .route(atlas_routes::OPERATOR_ATLAS_REFUSE, post(atlas::refuse));
    with_fallbacks_and_layers(api, state)
}

/// Adds what every route shares. Separate from [`router`] so tests can mount extra endpoints
/// behind exactly the production middleware.
pub(crate) fn with_fallbacks_and_layers(api: Router<AppState>, state: AppState) -> Router {
    let security = Arc::new(
        SecurityHeaders::new(state.app.script_hashes())
            .with_hsts(serves_https(state.public_url.as_deref())),
    );
    let settings = &state.limits.settings;
    // Saturation answers at once (503, Retry-After) rather than queueing: a queue only makes
    // every waiting phone time out. The timeout sits inside the cap, so it frees its slot.
    let transport = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(transport_error))
        .layer(LoadShedLayer::new())
        // Global: `Router::layer` wraps each route separately, and the cap is the server's.
        .layer(GlobalConcurrencyLimitLayer::new(
            settings.max_concurrent_requests,
        ))
        .layer(TimeoutLayer::new(settings.request_timeout));
    api
        // Must come after the routes: it applies to the routes registered so far.
        .method_not_allowed_fallback(unmatched::method_not_allowed)
        .fallback(fallback)
        // Layers wrap what is above them; the last one added sees the request first.
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(reject_oversized_body))
        .layer(middleware::from_fn(reject_control_characters))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(transport)
        // Outside the transport limits: their 503s are counted too.
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .layer(
            TraceLayer::new_for_http()
                // The path only: query strings may one day carry tokens. Every event logged
                // while serving the request is in this span, hence carries its id.
                .make_span_with(|request: &Request| {
                    let id = request.extensions().get::<RequestId>();
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        request_id = id.map_or("", |id| id.0.as_str()),
                    )
                })
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(LatencyUnit::Millis),
                )
                .on_failure(DefaultOnFailure::new().latency_unit(LatencyUnit::Millis)),
        )
        .layer(middleware::from_fn(close_after_refused_body))
        // Outside the log span, which reads the id it sets.
        .layer(middleware::from_fn(telemetry::request_id))
        // Outermost, so even the answers of the layers above (413, panic 500) carry them.
        .layer(middleware::from_fn_with_state(
            security,
            add_security_headers,
        ))
        .with_state(state)
}

/// Paths no route matched: `/api/...` is an API 404, anything else belongs to the app.
async fn fallback(
    state: State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if is_api_path(uri.path()) {
        unmatched::api_not_found(uri).await.into_response()
    } else {
        app::serve(state, method, uri, headers).await
    }
}

fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Refuses a body that announces more than the limit before reading any of it. Bodies without
/// `Content-Length` are bounded while read by [`DefaultBodyLimit`] in the extractors.
async fn reject_oversized_body(request: Request, next: Next) -> Response {
    let announced = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if announced.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return ApiError::payload_too_large().into_response();
    }
    next.run(request).await
}

/// A refusal answered before the request's body was read (401, 413, 415, 429, a 503 shed…)
/// leaves that body unread, and hyper then closes the connection after the answer without
/// saying so: a keep-alive client would send its next request into a closed socket and get a
/// broken pipe instead of an answer. A refusal of a request that carries a body says
/// `Connection: close`, so the client opens a new connection for the next one.
async fn close_after_refused_body(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let has_body = headers.contains_key(TRANSFER_ENCODING)
        || headers
            .get(CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0");
    let mut response = next.run(request).await;
    let status = response.status();
    if has_body && (status.is_client_error() || status.is_server_error()) {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::AppFiles;
    use crate::extract::ApiJson;
    use crate::storage::Database;
    use axum::body::{to_bytes, Body};
    use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
    use axum::http::StatusCode;
    use axum::routing::post;
    use tower::ServiceExt;

    #[test]
    fn recognises_api_paths() {
        assert!(is_api_path("/api"));
        assert!(is_api_path("/api/"));
        assert!(is_api_path("/api/nope"));
        assert!(!is_api_path("/apiculture"));
        assert!(!is_api_path("/"));
    }

    async fn test_app() -> Router {
        async fn echo_len(ApiJson(value): ApiJson<serde_json::Value>) -> String {
            value.to_string().len().to_string()
        }
        async fn boom() -> &'static str {
            panic!("handler bug")
        }
        let storage = Database::connect("sqlite::memory:").await.unwrap();
        let state = AppState::new(
            storage,
            AppFiles::NotBuilt {
                reason: "test".into(),
            },
        );
        let api = Router::new()
            .route("/api/test-json", post(echo_len))
            .route("/api/test-panic", get(boom));
        with_fallbacks_and_layers(api, state)
    }

    async fn send(app: Router, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, headers, String::from_utf8(body.to_vec()).unwrap())
    }

    /// The rejection mapping, exercised through the real middleware stack on a JSON endpoint.
    #[tokio::test]
    async fn malformed_json_is_a_json_400_with_reason() {
        let request = Request::post("/api/test-json")
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from("{\"answers\": [1, 2"))
            .unwrap();
        let (status, headers, body) = send(test_app().await, request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(headers[CONTENT_TYPE], "application/json");
        assert!(headers.contains_key(CONTENT_SECURITY_POLICY));
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        let message = json["error"].as_str().unwrap();
        assert!(message.starts_with("malformed JSON body"), "{message}");
        assert!(message.contains("EOF"), "{message}");
    }

    #[tokio::test]
    async fn valid_json_reaches_the_handler() {
        let request = Request::post("/api/test-json")
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from("[1,2]"))
            .unwrap();
        let (status, _, body) = send(test_app().await, request).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "5");
    }

    /// Found by `tests/fuzz.rs`: after a refusal that left the body unread, the connection was
    /// closed without a word and the client's next request failed with a broken pipe.
    #[tokio::test]
    async fn refusals_of_a_body_close_the_connection_and_others_keep_it() {
        let with_body = |content_type: &str, body: &'static str| {
            Request::post("/api/test-json")
                .header(CONTENT_TYPE, content_type)
                .header(CONTENT_LENGTH, body.len())
                .body(Body::from(body))
                .unwrap()
        };
        let (status, headers, _) = send(test_app().await, with_body("text/plain", "[1]")).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(headers[CONNECTION], "close");
        let (status, headers, _) =
            send(test_app().await, with_body("application/json", "[1]")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!headers.contains_key(CONNECTION));
        let request = Request::get("/api/nope").body(Body::empty()).unwrap();
        let (status, headers, _) = send(test_app().await, request).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!headers.contains_key(CONNECTION));
    }

    #[tokio::test]
    async fn oversized_body_without_length_is_a_json_413() {
        let big = format!("[{}0]", "0,".repeat(MAX_BODY_BYTES));
        let request = Request::post("/api/test-json")
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(big))
            .unwrap();
        assert!(!request.headers().contains_key(CONTENT_LENGTH));
        let (status, _, body) = send(test_app().await, request).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(
            body.contains("exceeds the limit of 1048576 bytes"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn a_panicking_handler_is_a_json_500_with_security_headers() {
        let request = Request::get("/api/test-panic").body(Body::empty()).unwrap();
        let (status, headers, body) = send(test_app().await, request).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(headers.contains_key(CONTENT_SECURITY_POLICY));
        // Nothing of the panic, and the request's id, as its header says.
        let id = headers["x-request-id"].to_str().unwrap();
        assert_eq!(
            body,
            format!(r#"{{"error":"internal server error","request_id":"{id}"}}"#)
        );
    }
}
