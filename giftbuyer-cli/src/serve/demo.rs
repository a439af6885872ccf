//! `giftbuyer serve --demo`: the built-in simulated market (a standing catalog and a drop every
//! few minutes), its accounts and bot, a login that shows its codes, and a bot verifier that
//! accepts any well-formed token.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use giftbuyer_core::ports::{Clock, Secret};
use giftbuyer_http::{BotIdentity, BotVerifier, VerifyError};
use giftbuyer_sim::demo::{DemoOptions, demo_market_config};
use giftbuyer_sim::{BotConfig, Market, SimBot, SimConnector, SimLogin};

use super::Adapters;

/// The demo market with a drop every `drop_every_secs`.
fn market(drop_every_secs: u64, clock: &Arc<dyn Clock>) -> anyhow::Result<Market> {
    let drop_every = Duration::from_secs(drop_every_secs);
    let defaults = DemoOptions::default();
    let options = DemoOptions {
        drop_every,
        // A short interval (a demo or a test) also brings the first drop forward.
        first_drop: defaults.first_drop.min(drop_every),
        ..defaults
    };
    Market::new(demo_market_config(&options), clock.clone()).context("cannot build the demo market")
}

pub(super) fn adapters(drop_every_secs: u64, clock: &Arc<dyn Clock>) -> anyhow::Result<Adapters> {
    let market = market(drop_every_secs, clock)?;
    let bot = SimBot::new(clock.clone(), BotConfig::default());
    let connector = Arc::new(SimConnector::new(market.clone(), Some(bot)));
    // The demo shows each code in the panel and in the log, as the issue asks; only the
    // masked phone is logged beside it.
    let login = SimLogin::new(market).on_code_sent(|masked_phone, code| {
        tracing::info!(phone = masked_phone, code, "demo login code sent");
    });
    Ok(Adapters {
        connector,
        login: Arc::new(login),
        bot_verifier: Arc::new(DemoBotVerifier),
        market: format!("demo market: a drop every {drop_every_secs} s"),
        tasks: Vec::new(),
        stop: None,
    })
}

/// The demo's bot: any well-formed token belongs to the same simulated bot.
struct DemoBotVerifier;

#[async_trait]
impl BotVerifier for DemoBotVerifier {
    async fn verify(&self, _token: &Secret<String>) -> Result<BotIdentity, VerifyError> {
        Ok(BotIdentity {
            username: "giftbuyer_demo_bot".to_owned(),
        })
    }
}
