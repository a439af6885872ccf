//! Makes the engine reload users when one of them changes accounts, channels or settings, on
//! whichever instance runs the engine: the panel publishes the change through the store's
//! events (LISTEN/NOTIFY on PostgreSQL, in process on SQLite) and every instance's engine
//! listens, so a new account, a new channel or autobuy turned on counts from the next poll
//! instead of after `GIFTS_ACCS_TTL`.

use std::sync::Arc;

use giftbuyer_core::ports::UserId;
use giftbuyer_engine::Engine;
use giftbuyer_http::ConfigListener;
use giftbuyer_store::Store;
use tokio::task::JoinHandle;

/// The event published for a change; it carries no user data beyond the user's id.
fn change_event(user: UserId) -> String {
    format!(r#"{{"kind":"config_changed","user":{}}}"#, user.get())
}

fn is_change_event(event: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(event)
        .is_ok_and(|value| value["kind"] == "config_changed")
}

/// Publishes the panel's changes for every instance.
pub(super) struct PublishChanges(pub(super) Store);

impl ConfigListener for PublishChanges {
    fn config_changed(&self, user: UserId) {
        let store = self.0.clone();
        tokio::spawn(async move {
            if let Err(error) = store.publish(&change_event(user)).await {
                // The periodic reload still picks the change up.
                tracing::warn!(%error, "could not announce a settings change to the engine");
            }
        });
    }
}

/// Reloads this instance's engine on every change event, and after missed events (it cannot
/// know whether one was a change). Runs until the store's event stream ends or it is aborted.
pub(super) async fn follow_changes(
    store: &Store,
    engine: Arc<Engine>,
) -> anyhow::Result<JoinHandle<()>> {
    let mut events = store.subscribe().await?;
    Ok(tokio::spawn(async move {
        while let Some(event) = events.next().await {
            match event {
                Ok(event) if is_change_event(&event) => engine.request_reload(),
                Ok(_) => {}
                Err(error) => {
                    tracing::debug!(%error, "missed store events; reloading to be safe");
                    engine.request_reload();
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_events_are_recognised_and_nothing_else() {
        let user = UserId::new(42).expect("id");
        assert_eq!(change_event(user), r#"{"kind":"config_changed","user":42}"#);
        assert!(is_change_event(&change_event(user)));
        for other in [
            r#"{"kind":"purchase"}"#,
            "not json",
            "{}",
            r#""config_changed""#,
        ] {
            assert!(!is_change_event(other), "{other}");
        }
    }
}
