//! The protocol layer: grammers' sender connects with a pre-shared key, survives the salt
//! dance, and gets answers; hand-built packets check what the server refuses.

use std::time::Duration;

use giftbuyer_tgserver::Stats;
use grammers_mtsender::{ConnectionParams, InvocationError, NoRetries, SenderPool};
use grammers_tl_types as tl;

use crate::support::{bare_server, memory_session};

async fn pool(
    session: std::sync::Arc<grammers_session::storages::MemorySession>,
) -> grammers_mtsender::SenderPoolFatHandle {
    let params = ConnectionParams {
        retry_policy: Box::new(NoRetries),
        ..ConnectionParams::default()
    };
    let SenderPool {
        runner,
        handle,
        mut updates,
    } = SenderPool::with_configuration(session, 4, params);
    tokio::spawn(runner.run());
    tokio::spawn(async move { while updates.recv().await.is_some() {} });
    handle
}

#[tokio::test]
async fn grammers_connects_with_a_pre_shared_key_and_gets_answers() {
    let server = bare_server().await;
    let handle = pool(memory_session(&server, 2)).await;
    let config = tokio::time::timeout(
        Duration::from_secs(10),
        handle.invoke_in_dc(2, &tl::functions::help::GetConfig {}),
    )
    .await
    .expect("answers in time")
    .expect("config");
    let tl::enums::Config::Config(config) = config;
    assert_eq!(config.this_dc, 2);
    assert_eq!(config.dc_options.len(), 3);
    // The first message used salt 0, as grammers always does: the server corrected it.
    assert!(Stats::get(&server.stats().bad_salts) >= 1);
    // A method the server does not know is an RPC error naming it, not a dropped connection.
    let error = handle
        .invoke_in_dc(2, &tl::functions::help::GetNearestDc {})
        .await
        .expect_err("not implemented");
    match error {
        InvocationError::Rpc(rpc) => {
            assert_eq!(rpc.code, 400);
            assert_eq!(rpc.name, "INPUT_METHOD_INVALID");
        }
        other => panic!("unexpected {other:?}"),
    }
    // A call that needs a login answers 401 on a key nobody logged in on.
    let error = handle
        .invoke_in_dc(2, &tl::functions::payments::GetStarGifts { hash: 0 })
        .await
        .expect_err("needs a login");
    assert!(
        matches!(error, InvocationError::Rpc(ref rpc) if rpc.code == 401 && rpc.name == "AUTH_KEY_UNREGISTERED"),
        "{error:?}"
    );
    handle.quit();
    server.shutdown().await;
}
