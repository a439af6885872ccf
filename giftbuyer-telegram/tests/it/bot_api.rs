//! The Bot API client against an in-process fake Bot API server on loopback: request paths,
//! multipart uploads, the `file_id` cache, rate limits and error mapping.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use giftbuyer_core::GiftId;
use giftbuyer_core::ports::{BotError, ChatId, NotificationBot, Secret, Sticker};
use giftbuyer_telegram::bot_api::{BotApi, BotApiConfig};
use serde_json::{Value, json};

const TOKEN: &str = "123456:TEST-token_x";

/// One request as the fake server saw it.
#[derive(Debug, Clone, Default)]
struct Seen {
    path: String,
    content_type: String,
    json: Option<Value>,
    parts: Vec<SeenPart>,
}

#[derive(Debug, Clone)]
struct SeenPart {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

#[derive(Default)]
struct Fake {
    seen: Mutex<Vec<Seen>>,
    /// Scripted answers, used in order before the defaults.
    script: Mutex<VecDeque<(u16, Value)>>,
}

impl Fake {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    fn answer_next(&self, status: u16, body: Value) {
        self.script.lock().expect("lock").push_back((status, body));
    }
}

async fn handle(State(fake): State<Arc<Fake>>, request: Request) -> Response {
    let mut seen = Seen {
        path: request.uri().path().to_owned(),
        content_type: request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        ..Seen::default()
    };
    if seen.content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &())
            .await
            .expect("multipart");
        while let Some(field) = multipart.next_field().await.expect("a field") {
            seen.parts.push(SeenPart {
                name: field.name().unwrap_or_default().to_owned(),
                file_name: field.file_name().map(str::to_owned),
                content_type: field.content_type().map(str::to_owned),
                bytes: field.bytes().await.expect("field bytes").to_vec(),
            });
        }
    } else {
        let body = axum::body::to_bytes(request.into_body(), 1 << 20)
            .await
            .expect("body");
        seen.json = serde_json::from_slice(&body).ok();
    }
    let method = seen.path.rsplit('/').next().unwrap_or_default().to_owned();
    fake.seen.lock().expect("lock").push(seen);
    let (status, body) = fake
        .script
        .lock()
        .expect("lock")
        .pop_front()
        .unwrap_or_else(|| default_answer(&method));
    (
        StatusCode::from_u16(status).expect("status"),
        axum::Json(body),
    )
        .into_response()
}

fn default_answer(method: &str) -> (u16, Value) {
    let result = match method {
        "getMe" => {
            json!({"id": 123456, "is_bot": true, "first_name": "Gifts", "username": "gift_bot"})
        }
        "sendSticker" => {
            json!({"message_id": 1, "sticker": {"file_id": "FILE-1", "file_unique_id": "u"}})
        }
        _ => json!({"message_id": 2}),
    };
    (200, json!({"ok": true, "result": result}))
}

async fn start() -> (Arc<Fake>, BotApi) {
    let fake = Arc::new(Fake::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let address = listener.local_addr().expect("address");
    let app = Router::new().fallback(handle).with_state(Arc::clone(&fake));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let bot = BotApi::new(
        Secret::new(TOKEN.to_owned()),
        BotApiConfig {
            base_url: format!("http://{address}/"),
            timeout: Duration::from_secs(5),
        },
    )
    .expect("valid bot");
    (fake, bot)
}

fn chat() -> ChatId {
    ChatId::new(-1001234567890).expect("non-zero")
}

fn sticker() -> Sticker {
    Sticker {
        gift_id: GiftId::new(77).expect("positive"),
        tgs: Arc::from(&b"\x1f\x8b gzipped lottie"[..]),
    }
}

#[tokio::test]
async fn get_me_checks_the_token_and_names_the_bot() {
    let (fake, bot) = start().await;
    let me = bot.get_me().await.expect("a bot");
    assert_eq!(me.username.as_deref(), Some("gift_bot"));
    assert_eq!(fake.seen()[0].path, format!("/bot{TOKEN}/getMe"));

    fake.answer_next(
        401,
        json!({"ok": false, "error_code": 401, "description": "Unauthorized"}),
    );
    assert_eq!(bot.get_me().await, Err(BotError::Unauthorized));
}

#[tokio::test]
async fn a_sticker_is_uploaded_once_then_sent_by_file_id() {
    let (fake, bot) = start().await;
    bot.send_sticker(chat(), sticker()).await.expect("uploaded");
    let upload = &fake.seen()[0];
    assert_eq!(upload.path, format!("/bot{TOKEN}/sendSticker"));
    assert!(
        upload.content_type.starts_with("multipart/form-data"),
        "{upload:?}"
    );
    let chat_id = upload
        .parts
        .iter()
        .find(|part| part.name == "chat_id")
        .expect("chat_id");
    assert_eq!(chat_id.bytes, b"-1001234567890");
    let file = upload
        .parts
        .iter()
        .find(|part| part.name == "sticker")
        .expect("sticker");
    assert_eq!(
        file.content_type.as_deref(),
        Some("application/x-tgsticker")
    );
    assert_eq!(file.file_name.as_deref(), Some("77.tgs"));
    assert_eq!(file.bytes, sticker().tgs.to_vec());
    assert_eq!(
        bot.cached_file_id(sticker().gift_id).as_deref(),
        Some("FILE-1")
    );

    bot.send_sticker(chat(), sticker())
        .await
        .expect("sent by file_id");
    let second = &fake.seen()[1];
    assert_eq!(second.path, format!("/bot{TOKEN}/sendSticker"));
    assert!(second.parts.is_empty(), "no upload the second time");
    assert_eq!(
        second.json,
        Some(json!({"chat_id": -1001234567890i64, "sticker": "FILE-1"}))
    );
}

#[tokio::test]
async fn a_stale_file_id_is_forgotten_and_the_sticker_uploaded_again() {
    let (fake, bot) = start().await;
    bot.send_sticker(chat(), sticker()).await.expect("uploaded");
    fake.answer_next(
        400,
        json!({"ok": false, "error_code": 400, "description": "Bad Request: wrong file identifier/HTTP URL specified"}),
    );
    bot.send_sticker(chat(), sticker())
        .await
        .expect("uploaded again");
    let seen = fake.seen();
    assert_eq!(seen.len(), 3);
    assert!(seen[1].json.is_some());
    assert!(!seen[2].parts.is_empty(), "uploaded again");
}

#[tokio::test]
async fn rate_limits_return_retry_after_for_the_engine_to_wait() {
    let (fake, bot) = start().await;
    fake.answer_next(
        429,
        json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7", "parameters": {"retry_after": 7}}),
    );
    assert_eq!(
        bot.send_message(chat(), "hello".to_owned()).await,
        Err(BotError::RetryAfter { seconds: 7 })
    );
    assert_eq!(
        fake.seen().len(),
        1,
        "the client does not wait or retry by itself"
    );
    bot.send_message(chat(), "hello".to_owned())
        .await
        .expect("sent");
    assert_eq!(
        fake.seen()[1].json,
        Some(json!({"chat_id": -1001234567890i64, "text": "hello"}))
    );
    assert_eq!(fake.seen()[1].path, format!("/bot{TOKEN}/sendMessage"));
}

#[tokio::test]
async fn per_chat_errors_are_told_apart() {
    let (fake, bot) = start().await;
    let cases = [
        (
            403,
            "Forbidden: bot was blocked by the user",
            BotError::Blocked,
        ),
        (
            400,
            "Bad Request: chat not found",
            BotError::ChatNotFound(chat()),
        ),
        (
            403,
            "Forbidden: bot can't initiate conversation with a user",
            BotError::ChatNotFound(chat()),
        ),
        (
            400,
            "Bad Request: not enough rights to send stickers to the chat",
            BotError::NotAdmin(chat()),
        ),
        (
            403,
            "Forbidden: bot is not a member of the channel chat",
            BotError::NotAdmin(chat()),
        ),
        (
            400,
            "Bad Request: message text is empty",
            BotError::Api {
                code: 400,
                description: "Bad Request: message text is empty".to_owned(),
            },
        ),
    ];
    for (code, description, expected) in cases {
        fake.answer_next(
            code,
            json!({"ok": false, "error_code": code, "description": description}),
        );
        assert_eq!(
            bot.send_message(chat(), "x".to_owned()).await,
            Err(expected),
            "{description}"
        );
    }
}

#[tokio::test]
async fn long_text_is_split_at_telegrams_limit() {
    let (fake, bot) = start().await;
    let line = "x".repeat(100);
    let text = vec![line; 60].join("\n");
    bot.send_message(chat(), text).await.expect("sent");
    let seen = fake.seen();
    assert_eq!(seen.len(), 2);
    for request in seen {
        let text = request.json.expect("json")["text"]
            .as_str()
            .expect("text")
            .to_owned();
        assert!(text.encode_utf16().count() <= 4096);
    }
}

#[tokio::test]
async fn the_token_never_appears_in_errors() {
    // A port that was just freed: the connection is refused.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    let bot = BotApi::new(
        Secret::new(TOKEN.to_owned()),
        BotApiConfig {
            base_url: format!("http://{address}"),
            timeout: Duration::from_secs(5),
        },
    )
    .expect("valid bot");
    let error = bot.get_me().await.expect_err("refused");
    assert!(matches!(error, BotError::Network(_)), "{error:?}");
    assert!(!error.to_string().contains("TEST-token"), "{error}");
    assert!(!format!("{error:?}").contains("TEST-token"), "{error:?}");
    assert!(!format!("{bot:?}").contains("TEST-token"));
    assert_eq!(
        BotApi::new(Secret::new("12/../x".to_owned()), BotApiConfig::default()).map(drop),
        Err(BotError::Unauthorized)
    );
}
