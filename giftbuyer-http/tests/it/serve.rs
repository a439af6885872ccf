//! The real server on a loopback port: it answers over TCP, records the peer's address, and
//! stops when the shutdown future resolves.

use std::sync::Arc;
use std::time::Duration;

use giftbuyer_http::serve;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::support::TestApp;

async fn exchange(addr: std::net::SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn serves_on_a_port_and_shuts_down_gracefully() {
    let app = TestApp::new().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let stop = Arc::new(tokio::sync::Notify::new());
    let signal = Arc::clone(&stop);
    let server = tokio::spawn(serve(listener, app.state.clone(), async move {
        signal.notified().await;
    }));

    let health = exchange(
        addr,
        "GET /api/health HTTP/1.1\r\nHost: panel.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("{\"status\":\"ok\"}"), "{health}");
    assert!(
        health
            .to_ascii_lowercase()
            .contains("x-frame-options: deny")
    );

    let body = r#"{"username":"alice","password":"correct horse battery staple"}"#;
    let register = exchange(
        addr,
        &format!(
            "POST /api/auth/register HTTP/1.1\r\nHost: panel.test\r\nOrigin: http://panel.test\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert!(register.starts_with("HTTP/1.1 201"), "{register}");
    let cookie = register
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: "))
        .and_then(|line| line.split(';').next())
        .expect("cookie")
        .to_owned();
    let sessions = exchange(
        addr,
        &format!(
            "GET /api/auth/sessions HTTP/1.1\r\nHost: panel.test\r\nCookie: {cookie}\r\n\
             Connection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(sessions.contains("\"ip\":\"127.0.0.1\""), "{sessions}");

    stop.notify_one();
    let result = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops")
        .expect("no panic");
    assert!(result.is_ok(), "{result:?}");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn shutdown_ends_an_account_refresh_that_hangs() {
    use giftbuyer_sim::{Fault, FaultAction, FaultWhen, Method};

    let (app, market) = crate::accounts::app_with_market().await;
    let (cookie, _) = app.user("alice").await;
    let account = crate::accounts::add_account(&app, &cookie, crate::accounts::PHONE).await;
    // Telegram stops answering: the refresh would wait a minute for its profile.
    market
        .inject_fault(Fault::new(
            Method::Profile,
            FaultWhen::Always,
            FaultAction::Hang {
                duration: Duration::from_secs(60),
                executed: false,
            },
        ))
        .expect("fault");

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let stop = Arc::new(tokio::sync::Notify::new());
    let signal = Arc::clone(&stop);
    let server = tokio::spawn(serve(listener, app.state.clone(), async move {
        signal.notified().await;
    }));

    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST /api/accounts/{}/refresh HTTP/1.1\r\nHost: panel.test\r\nOrigin: http://panel.test\r\n\
         Cookie: giftbuyer_session={cookie}\r\nContent-Type: application/json\r\n\
         Content-Length: 2\r\nConnection: close\r\n\r\n{{}}",
        account["id"]
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut received = Vec::new();
    let mut chunk = [0_u8; 4096];
    while !String::from_utf8_lossy(&received).contains(r#""stage":"profile""#) {
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("the refresh reaches its profile stage")
            .expect("read");
        assert!(read > 0, "{}", String::from_utf8_lossy(&received));
        received.extend_from_slice(&chunk[..read]);
    }

    stop.notify_one();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut received))
        .await
        .expect("the stream ends at shutdown, not after the hang")
        .expect("read");
    let text = String::from_utf8_lossy(&received);
    assert!(text.contains(r#""stage":"error""#), "{text}");
    assert!(text.contains("shutting_down"), "{text}");
    let result = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops")
        .expect("no panic");
    assert!(result.is_ok(), "{result:?}");
}
