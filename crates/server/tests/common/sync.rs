//! A minimal sync client over HTTP for the tests: what the app does, without the app.

use std::sync::atomic::{AtomicU64, Ordering};

use diagnostic::sync::{op_id, Hlc, Operation};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::TestServer;

/// A phone enrolled in a town.
#[derive(Debug, Clone)]
pub struct Phone {
    pub token: String,
    pub device: String,
    pub clock: Hlc,
}

/// Question ids of the real content, with their option ids.
pub fn questions() -> Vec<(String, Vec<String>)> {
    diagnostic::questionnaire()
        .questions()
        .map(|q| {
            (
                q.id.clone(),
                q.answers.iter().map(|o| o.id.clone()).collect(),
            )
        })
        .collect()
}

pub fn now_ms() -> u64 {
    server::clock::now_ms()
}

static NEXT: AtomicU64 = AtomicU64::new(1);

/// A fresh UUIDv7 (random part from a counter mixed with the process id: unique in a test run).
pub fn fresh_id() -> String {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut random = [0u8; 10];
    random[..2].copy_from_slice(&(std::process::id() as u16).to_be_bytes());
    random[2..].copy_from_slice(&n.to_be_bytes());
    let secret = server::auth::random_bytes::<2>().unwrap();
    random[0] ^= secret[0];
    random[1] ^= secret[1];
    op_id(now_ms(), random)
}

impl Phone {
    /// An answer to question number `question` (of [`questions`]) with its option number
    /// `option` (`None` clears it), on campaign 2026, based on `base`.
    pub fn answer(&mut self, question: usize, option: Option<usize>, base: &[&str]) -> Operation {
        let questions = questions();
        let (question, options) = &questions[question];
        self.clock = self.clock.tick(now_ms());
        Operation {
            id: fresh_id(),
            device: self.device.clone(),
            campaign: "2026".into(),
            question: question.clone(),
            option: option.map(|i| options[i].clone()),
            comment: None,
            clock: self.clock.clone(),
            base: base.iter().map(|id| id.to_string()).collect(),
        }
    }
}

impl TestServer {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request reaches the server");
        let status = response.status();
        let text = response.text().await.unwrap();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
        };
        (status, json)
    }

    pub async fn get_json(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(reqwest::Method::DELETE, path, token, None).await
    }

    fn phone_from(body: &Value) -> Phone {
        let device = body["device"]["id"].as_str().unwrap().to_string();
        Phone {
            token: body["token"].as_str().unwrap().to_string(),
            clock: Hlc::zero(device.clone()),
            device,
        }
    }

    /// Creates the space of `commune`; panics unless 201.
    pub async fn create_town(&self, commune: &str, name: &str) -> Phone {
        let (status, body) = self
            .post_json(
                "/api/towns",
                None,
                json!({"commune": commune, "name": name, "role": "maire"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        Self::phone_from(&body)
    }

    pub async fn invite(&self, phone: &Phone) -> Value {
        let (status, body) = self
            .post_json("/api/invites", Some(&phone.token), json!({}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// Invites then joins by code; panics unless both succeed.
    pub async fn add_phone(&self, inviter: &Phone, name: &str) -> Phone {
        let invite = self.invite(inviter).await;
        let (status, body) = self
            .post_json(
                "/api/join",
                None,
                json!({"code": invite["code"], "name": name, "role": "dgs"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        Self::phone_from(&body)
    }

    pub async fn push(&self, phone: &Phone, ops: &[Operation]) -> (StatusCode, Value) {
        self.post_json("/api/sync/push", Some(&phone.token), json!({ "ops": ops }))
            .await
    }

    /// Every operation of the phone's town, following pages of `limit`.
    pub async fn pull_all(&self, phone: &Phone, limit: u32) -> Vec<Operation> {
        let mut after = 0;
        let mut ops = Vec::new();
        loop {
            let (status, page) = self
                .get_json(
                    &format!("/api/sync/pull?after={after}&limit={limit}"),
                    Some(&phone.token),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            let batch: Vec<Operation> = serde_json::from_value(page["ops"].clone()).unwrap();
            assert!(batch.len() <= limit as usize);
            ops.extend(batch);
            after = page["next"].as_u64().unwrap();
            if !page["more"].as_bool().unwrap() {
                return ops;
            }
        }
    }
}
