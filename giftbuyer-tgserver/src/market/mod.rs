//! The simulated market behind the protocol layer: each method decodes its layer-230 request,
//! asks `giftbuyer-sim`'s [`Market`] (through the same account port the engine uses on the
//! demo, so its latency, flood limits and faults apply) and answers with Telegram's
//! constructors and error names.

mod auction;
mod catalog;
mod channels;
mod files;
mod login;
mod payments;
mod people;
mod resale;
mod users;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use std::collections::BTreeMap;

use giftbuyer_core::ports::TelegramError;
use giftbuyer_core::{AccountId, ChannelId};
use giftbuyer_sim::{Market, SimAccount};
use grammers_tl_types::{self as tl, Identifiable};

use crate::backend::{Backend, CallContext, unknown_method};
use crate::rpc::{Query, Reply, RpcFailure};

/// The market as a [`Backend`].
#[derive(Clone)]
pub struct MarketBackend {
    inner: Arc<Inner>,
}

struct Inner {
    market: Market,
    /// The DC ids served, in order: an account's home DC is picked from them by its number.
    dcs: Vec<i32>,
    /// Two-step logins in progress, by the auth key they run on.
    passwords: Mutex<HashMap<u64, login::PasswordLogin>>,
    /// A secret mixed into access hashes, so they differ between servers.
    hash_secret: u64,
    /// Channels announced with `add_channel`, with their titles (bounded).
    announced: Mutex<BTreeMap<ChannelId, Option<String>>>,
    /// Payment forms handed out and not yet forgotten (bounded).
    forms: Mutex<payments::Forms>,
    /// Ids and pts of the purchases' service messages.
    sequence: payments::Sequence,
    /// Sticker documents shown, file references and exported logins.
    files: files::FileState,
}

impl std::fmt::Debug for MarketBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketBackend")
            .field("dcs", &self.inner.dcs)
            .finish_non_exhaustive()
    }
}

impl MarketBackend {
    /// Serves `market` on the DCs `dcs` (the same list the server listens on), with a fresh
    /// secret: access hashes and file references change if the server restarts.
    pub fn new(market: Market, dcs: Vec<i32>) -> Self {
        let mut secret = [0u8; 32];
        // Without randomness the hashes are still checked, only guessable; the server is a
        // loopback test double, so it carries on rather than refusing to start.
        let _ = getrandom::fill(&mut secret);
        Self::with_secret(market, dcs, secret)
    }

    /// Like [`MarketBackend::new`], with the secret that access hashes, file references and
    /// exported logins derive from: a server restarted with the same secret (see
    /// [`crate::KeyRing::server_secret`]) hands out the same access hashes, as Telegram's
    /// never change, so sessions that cached them carry on.
    pub fn with_secret(market: Market, dcs: Vec<i32>, secret: [u8; 32]) -> Self {
        use sha2::{Digest, Sha256};
        let derive = |purpose: &[u8]| -> [u8; 32] {
            Sha256::new()
                .chain_update(secret)
                .chain_update(purpose)
                .finalize()
                .into()
        };
        let hashes = derive(b"access hashes");
        let mut hash_secret = [0u8; 8];
        hash_secret.copy_from_slice(&hashes[..8]);
        Self {
            inner: Arc::new(Inner {
                market,
                dcs,
                passwords: Mutex::new(HashMap::new()),
                hash_secret: u64::from_le_bytes(hash_secret),
                announced: Mutex::new(BTreeMap::new()),
                forms: Mutex::new(payments::Forms::default()),
                sequence: payments::Sequence::default(),
                files: files::FileState::new(derive(b"files")),
            }),
        }
    }

    pub fn market(&self) -> &Market {
        &self.inner.market
    }

    /// The DC an account's phone number lives on: its last digit picks one of the served DCs,
    /// so that a login may be sent elsewhere with `PHONE_MIGRATE_X`, as on Telegram.
    pub fn home_dc(&self, phone_digits: &str) -> i32 {
        let last = phone_digits
            .bytes()
            .last()
            .map(|digit| u32::from(digit.saturating_sub(b'0')))
            .unwrap_or(0);
        let dcs = &self.inner.dcs;
        dcs.get(last as usize % dcs.len().max(1))
            .copied()
            .unwrap_or(2)
    }

    fn passwords(&self) -> MutexGuard<'_, HashMap<u64, login::PasswordLogin>> {
        self.inner
            .passwords
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn announced(&self) -> MutexGuard<'_, BTreeMap<ChannelId, Option<String>>> {
        self.inner
            .announced
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn forms(&self) -> MutexGuard<'_, payments::Forms> {
        self.inner
            .forms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The access hash Telegram would give `id`: stable, and not guessable from the id.
    pub(crate) fn access_hash(&self, id: i64) -> i64 {
        let mixed = (id as u64 ^ self.inner.hash_secret).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (mixed ^ (mixed >> 29)) as i64
    }

    /// The market's account for the user logged in on the calling key.
    fn account(&self, context: &CallContext) -> Result<SimAccount, RpcFailure> {
        let id = context
            .user
            .and_then(|user| AccountId::new(user).ok())
            .ok_or_else(RpcFailure::unauthorized)?;
        self.inner
            .market
            .account(id)
            .ok_or_else(RpcFailure::unauthorized)
    }

    async fn dispatch(&self, context: CallContext, query: Query) -> Result<Reply, RpcFailure> {
        use tl::functions::{account, auth, channels, contacts, messages, payments, upload, users};
        let body = &query.body;
        match query.constructor() {
            auth::SendCode::CONSTRUCTOR_ID => self.send_code(&context, body),
            auth::SignIn::CONSTRUCTOR_ID => self.sign_in(&context, body).await,
            account::GetPassword::CONSTRUCTOR_ID => self.get_password(&context),
            auth::CheckPassword::CONSTRUCTOR_ID => self.check_password(&context, body).await,
            users::GetUsers::CONSTRUCTOR_ID => self.get_users(&context, body).await,
            contacts::ResolveUsername::CONSTRUCTOR_ID => self.resolve_username(&context, body),
            payments::GetStarsStatus::CONSTRUCTOR_ID => self.stars_status(&context).await,
            messages::GetDialogs::CONSTRUCTOR_ID => self.get_dialogs(&context, body),
            channels::GetChannels::CONSTRUCTOR_ID => self.get_channels(&context, body).await,
            channels::GetParticipant::CONSTRUCTOR_ID => self.get_participant(&context, body).await,
            channels::GetFullChannel::CONSTRUCTOR_ID => self.get_full_channel(&context, body).await,
            payments::GetPaymentForm::CONSTRUCTOR_ID => self.get_payment_form(&context, body),
            payments::SendStarsForm::CONSTRUCTOR_ID => self.send_stars_form(&context, body).await,
            payments::GetStarGifts::CONSTRUCTOR_ID => self.star_gifts(&context, body).await,
            payments::GetResaleStarGifts::CONSTRUCTOR_ID => {
                self.resale_star_gifts(&context, body).await
            }
            payments::GetStarGiftAuctionState::CONSTRUCTOR_ID => {
                self.star_gift_auction_state(&context, body).await
            }
            upload::GetFile::CONSTRUCTOR_ID => self.get_file(&context, body).await,
            auth::ExportAuthorization::CONSTRUCTOR_ID => self.export_authorization(&context, body),
            auth::ImportAuthorization::CONSTRUCTOR_ID => {
                self.import_authorization(&context, body).await
            }
            other => Ok(unknown_method(other)),
        }
    }
}

#[async_trait::async_trait]
impl Backend for MarketBackend {
    async fn call(&self, context: CallContext, query: Query) -> Reply {
        match self.dispatch(context, query).await {
            Ok(reply) => reply,
            Err(failure) => Reply::Error(failure),
        }
    }
}

/// The RPC error Telegram would send for what the market answered.
pub(crate) fn telegram_error(error: &TelegramError) -> RpcFailure {
    let (code, name) = match error {
        TelegramError::FloodWait { seconds } => return RpcFailure::flood_wait(*seconds),
        TelegramError::Rpc { code, name } => return RpcFailure::new(*code, name.clone()),
        TelegramError::GiftSoldOut => (400, "STARGIFT_USAGE_LIMITED"),
        TelegramError::UserLimitReached => (400, "STARGIFT_USER_USAGE_LIMITED"),
        TelegramError::BalanceTooLow => (400, "BALANCE_TOO_LOW"),
        TelegramError::PeerInvalid | TelegramError::NotMember => (400, "PEER_ID_INVALID"),
        TelegramError::ChatWriteForbidden => (403, "CHAT_WRITE_FORBIDDEN"),
        TelegramError::ChannelPrivate => (406, "CHANNEL_PRIVATE"),
        TelegramError::PremiumRequired => (403, "PREMIUM_ACCOUNT_REQUIRED"),
        TelegramError::AuthKeyUnregistered => (401, "AUTH_KEY_UNREGISTERED"),
        TelegramError::FormExpired => (400, "FORM_EXPIRED"),
        // The market's disconnect faults (with or without the call executed) are a dropped
        // connection on the wire, never an error the client could take for a refusal.
        TelegramError::Network(_) => return RpcFailure::disconnect(),
        other => {
            // The market's other transport-like faults (a timeout, an unavailable account)
            // have no RPC form; Telegram answers its own failures with a 500.
            tracing::debug!(error = %other, "market failure without an rpc form");
            (500, "INTERNAL_SERVER_ERROR")
        }
    };
    RpcFailure::new(code, name)
}
