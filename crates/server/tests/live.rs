//! Live updates (`GET /api/sync/events`) over real HTTP, on SQLite and PostgreSQL: a push by one
//! phone is announced on the other phones' streams; tokens are checked; streams are bounded.

mod common;

use std::time::Duration;

use common::sync::{now_ms, Phone};
use common::{on_both_backends, Backend, TestServer};
use diagnostic::association::routes;
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(
    a_push_is_announced_on_the_other_phones_stream,
    streams_need_a_valid_token_and_end_when_the_device_is_removed,
    streams_are_bounded_per_device_town_and_server,
    a_fast_phone_moves_only_its_own_towns_clock,
);

/// Generous: the event leaves as the push commits; this only bounds a broken test's wait.
const EVENT_BOUND: Duration = Duration::from_secs(5);

/// An open stream, read event by event.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(server: &TestServer, phone: &Phone) -> Stream {
        let response = open(server, Some(&phone.token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        Stream {
            response,
            buffer: String::new(),
        }
    }

    /// The data of the next `ops` event (heartbeat comments skipped); `None` if the stream ended.
    async fn next_ops(&mut self) -> Option<u64> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                if event.lines().any(|line| line == "event: ops") {
                    let data = event
                        .lines()
                        .find_map(|line| line.strip_prefix("data: "))
                        .expect("an ops event has data");
                    return Some(data.parse().expect("the data is a sequence number"));
                }
                continue;
            }
            let chunk = tokio::time::timeout(EVENT_BOUND, self.response.chunk())
                .await
                .expect("an event or the end within the bound")
                .ok()??;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// Whether the stream ends (the server closes it) within the bound.
    async fn ends(mut self) -> bool {
        tokio::time::timeout(EVENT_BOUND, async {
            while let Ok(Some(_)) = self.response.chunk().await {}
        })
        .await
        .is_ok()
    }
}

async fn open(server: &TestServer, token: Option<&str>) -> reqwest::Response {
    let mut request = server.client.get(server.url(routes::EVENTS));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request reaches the server")
}

async fn a_push_is_announced_on_the_other_phones_stream(backend: Backend) {
    // A request timeout of one second: the stream must outlive it.
    let server = TestServer::start_with_config(backend, |config| config.request_timeout = 1).await;
    let mut mayor = server.create_town("35024", "Laurence").await;
    let deputy = server.add_phone(&mayor, "Paul").await;
    let first = mayor.answer(0, Some(1), &[]);
    assert_eq!(server.push(&mayor, &[first]).await.0, StatusCode::OK);

    let mut stream = Stream::open(&server, &deputy).await;
    let headers = stream.response.headers();
    assert_eq!(headers["content-type"], "text/event-stream");
    assert!(headers["cache-control"]
        .to_str()
        .unwrap()
        .contains("no-cache"));
    assert_eq!(headers["x-accel-buffering"], "no");
    assert_eq!(
        stream.next_ops().await,
        Some(1),
        "the stream starts with the town's last sequence number"
    );

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ops = [mayor.answer(1, Some(0), &[]), mayor.answer(2, Some(0), &[])];
    assert_eq!(server.push(&mayor, &ops).await.0, StatusCode::OK);
    assert_eq!(
        stream.next_ops().await,
        Some(3),
        "announced past the request timeout"
    );

    // A retry stores nothing new: nothing to announce. The next real push is.
    assert_eq!(server.push(&mayor, &ops).await.0, StatusCode::OK);
    let third = mayor.answer(3, Some(0), &[]);
    assert_eq!(server.push(&mayor, &[third]).await.0, StatusCode::OK);
    assert_eq!(stream.next_ops().await, Some(4));

    // Another town's push is not announced here.
    let mut other = server.create_town("29155", "Yann").await;
    let elsewhere = other.answer(0, Some(0), &[]);
    assert_eq!(server.push(&other, &[elsewhere]).await.0, StatusCode::OK);
    let fifth = mayor.answer(4, Some(0), &[]);
    assert_eq!(server.push(&mayor, &[fifth]).await.0, StatusCode::OK);
    assert_eq!(stream.next_ops().await, Some(5));
}

async fn streams_need_a_valid_token_and_end_when_the_device_is_removed(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    for token in [None, Some("arobase_nope"), Some("Bearer")] {
        let response = open(&server, token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "unauthenticated", "{body}");
    }
    let mayor = server.create_town("35024", "Laurence").await;
    let deputy = server.add_phone(&mayor, "Paul").await;
    let mut stream = Stream::open(&server, &deputy).await;
    assert_eq!(stream.next_ops().await, Some(0));
    let (status, _) = server
        .delete(
            &format!("/api/devices/{}", deputy.device),
            Some(&mayor.token),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(stream.ends().await, "a removed device's stream ends");
    let response = open(&server, Some(&deputy.token)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "revoked", "{body}");
}

async fn streams_are_bounded_per_device_town_and_server(backend: Backend) {
    let server = TestServer::start_with_config(backend, |config| {
        config.live_per_town = 2;
        config.live_streams = 3;
        config.live_max_age = 3;
    })
    .await;
    let mayor = server.create_town("35024", "Laurence").await;
    let deputy = server.add_phone(&mayor, "Paul").await;
    let third = server.add_phone(&mayor, "Zoé").await;
    let mut first = Stream::open(&server, &mayor).await;
    assert_eq!(first.next_ops().await, Some(0));
    let mut replacing = Stream::open(&server, &mayor).await;
    assert_eq!(replacing.next_ops().await, Some(0));
    assert!(first.ends().await, "a device's new stream ends its old one");
    let mut second = Stream::open(&server, &deputy).await;
    assert_eq!(second.next_ops().await, Some(0));

    let refused = open(&server, Some(&third.token)).await;
    assert_eq!(
        refused.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "per town"
    );
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "busy", "{body}");

    let other = server.create_town("29155", "Yann").await;
    let colleague = server.add_phone(&other, "Anne").await;
    let mut elsewhere = Stream::open(&server, &other).await;
    assert_eq!(elsewhere.next_ops().await, Some(0));
    let refused = open(&server, Some(&colleague.token)).await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE, "overall");

    // Every stream ends at its maximum age; the phone reconnects.
    assert!(replacing.ends().await);
    assert!(second.ends().await);
    assert!(elsewhere.ends().await);
    let mut again = Stream::open(&server, &third).await;
    assert_eq!(again.next_ops().await, Some(0));
}

/// The server's clock is per town: a phone four minutes ahead (accepted: under the five-minute
/// bound) moves its own town's clock, not another town's.
async fn a_fast_phone_moves_only_its_own_towns_clock(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let mut fast = server.create_town("35024", "Laurence").await;
    let other = server.create_town("29155", "Yann").await;
    let ahead = now_ms() + 4 * 60 * 1000;
    fast.clock.wall_ms = ahead;
    let op = fast.answer(0, Some(0), &[]);
    let (status, ack) = server.push(&fast, &[op]).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert!(
        ack["clamped"].is_null(),
        "four minutes ahead is accepted: {ack}"
    );
    let clock_of = |page: &Value| page["clock"]["wall_ms"].as_u64().unwrap();
    let (_, own) = server.get_json("/api/sync/pull", Some(&fast.token)).await;
    assert!(clock_of(&own) >= ahead, "{own}");
    let (_, elsewhere) = server.get_json("/api/sync/pull", Some(&other.token)).await;
    assert!(
        clock_of(&elsewhere) < ahead - 3 * 60 * 1000,
        "another town's clock stays at the server's time: {elsewhere}"
    );
    let (_, me) = server.get_json("/api/me", Some(&other.token)).await;
    assert!(clock_of(&me) < ahead - 3 * 60 * 1000, "{me}");
}
