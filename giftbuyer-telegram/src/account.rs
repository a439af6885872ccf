//! `MtprotoAccount`: the core's `TelegramAccount` port over one account's MTProto connection.

use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use giftbuyer_core::auction::AuctionAnswer;
use giftbuyer_core::ports::{
    BidRequest, CatalogResponse, ChannelAccess, ChannelInfo, Profile, PurchaseReceipt,
    PurchaseRequest, ResalePage, ResalePurchaseRequest, TelegramAccount, TelegramError,
};
use giftbuyer_core::resale::Recipient;
use giftbuyer_core::{AccountId, ChannelId, GiftId, Stars, StickerRef};
use grammers_mtsender::InvocationError;
use grammers_session::Session;
use grammers_tl_types::{RemoteCall, enums, functions, types};

use crate::errors::{map_invocation_error, rpc_error_name, unexpected};
use crate::mapping;
use crate::session::StoredSession;
use crate::transport::{RawInvoker, invoke};

/// How an account adapter bounds its calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountConfig {
    /// Upper bound on one request; past it the call fails with `Timeout`.
    pub call_timeout: Duration,
    /// The shortest time between two walks of the dialogs to find an unknown channel.
    pub dialogs_refresh_interval: Duration,
    /// Bytes asked for by one `upload.getFile` when downloading a sticker. Telegram refuses
    /// a part that is not a multiple of 4 KiB or does not divide 1 MiB (`LIMIT_INVALID`), so
    /// [`AccountConfig::validate`] checks it and an account built with another value uses
    /// [`DEFAULT_DOWNLOAD_CHUNK`].
    pub download_chunk: i32,
}

impl Default for AccountConfig {
    fn default() -> Self {
        Self {
            call_timeout: Duration::from_secs(20),
            dialogs_refresh_interval: Duration::from_secs(60),
            download_chunk: DEFAULT_DOWNLOAD_CHUNK,
        }
    }
}

/// Why an [`AccountConfig`] cannot be used as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccountConfigError {
    #[error("download_chunk {0} is not a multiple of 4096 that divides 1048576")]
    DownloadChunk(i32),
}

impl AccountConfig {
    /// Checks what the types cannot: the download chunk follows Telegram's rules for
    /// `upload.getFile` without `precise` (core.telegram.org/api/files): a multiple of 4 KiB
    /// that divides 1 MiB. Such a chunk also keeps every part inside one 1 MiB block, since
    /// each part starts at a multiple of its own size.
    pub fn validate(&self) -> Result<(), AccountConfigError> {
        let chunk = self.download_chunk;
        if chunk >= DOWNLOAD_ALIGN && chunk % DOWNLOAD_ALIGN == 0 && DOWNLOAD_BLOCK % chunk == 0 {
            Ok(())
        } else {
            Err(AccountConfigError::DownloadChunk(chunk))
        }
    }
}

/// The default size of one `upload.getFile` chunk. Gift stickers are a few dozen KiB, so one
/// chunk usually holds the whole file.
pub const DEFAULT_DOWNLOAD_CHUNK: i32 = 512 * 1024;
/// Telegram's alignment of `upload.getFile` offsets and limits without `precise`.
const DOWNLOAD_ALIGN: i32 = 4096;
/// No part may cross a 1 MiB block, and without `precise` a limit must divide it.
const DOWNLOAD_BLOCK: i32 = 1024 * 1024;
/// Gift stickers are small; this bounds the download of a hostile or broken document.
const MAX_STICKER_BYTES: usize = 4 * 1024 * 1024;

/// One logged-in account.
pub struct MtprotoAccount {
    id: AccountId,
    invoker: Arc<dyn RawInvoker>,
    session: Arc<StoredSession>,
    config: AccountConfig,
    last_dialogs_refresh: tokio::sync::Mutex<Option<Instant>>,
    /// Data centres this session's authorization was imported into (for sticker downloads).
    authorized_dcs: Mutex<HashSet<i32>>,
    /// Set once the home DC answered that the session is dead (`AUTH_KEY_UNREGISTERED` and
    /// its kin), so the connector builds the account again from the stored session, which a
    /// new login may have replaced.
    revoked: AtomicBool,
}

impl fmt::Debug for MtprotoAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MtprotoAccount")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl MtprotoAccount {
    pub fn new(
        id: AccountId,
        invoker: Arc<dyn RawInvoker>,
        session: Arc<StoredSession>,
        config: AccountConfig,
    ) -> Self {
        let config = match config.validate() {
            Ok(()) => config,
            Err(error) => {
                // A chunk Telegram refuses would make every sticker download fail with
                // LIMIT_INVALID; the default is always accepted.
                tracing::warn!(account = %id, %error, "using the default download chunk");
                AccountConfig {
                    download_chunk: DEFAULT_DOWNLOAD_CHUNK,
                    ..config
                }
            }
        };
        Self {
            id,
            invoker,
            session,
            config,
            last_dialogs_refresh: tokio::sync::Mutex::new(None),
            authorized_dcs: Mutex::new(HashSet::new()),
            revoked: AtomicBool::new(false),
        }
    }

    /// Whether a call to the home DC found the session revoked.
    pub fn is_revoked(&self) -> bool {
        self.revoked.load(Ordering::Acquire)
    }

    /// Maps an error of a home-DC call, remembering a revoked session.
    fn home_error(&self, error: &InvocationError) -> TelegramError {
        let mapped = map_invocation_error(error);
        if mapped == TelegramError::AuthKeyUnregistered {
            self.revoked.store(true, Ordering::Release);
        }
        mapped
    }

    /// One request with the timeout, errors mapped.
    async fn call<R: RemoteCall>(
        &self,
        dc: Option<i32>,
        request: &R,
    ) -> Result<R::Return, TelegramError> {
        self.call_raw(dc, request).await.and_then(|answer| {
            answer.map_err(|error| match dc {
                None => self.home_error(&error),
                Some(_) => map_invocation_error(&error),
            })
        })
    }

    /// One request with the timeout, grammers' error kept for callers that look at it.
    async fn call_raw<R: RemoteCall>(
        &self,
        dc: Option<i32>,
        request: &R,
    ) -> Result<Result<R::Return, InvocationError>, TelegramError> {
        tokio::time::timeout(
            self.config.call_timeout,
            invoke(self.invoker.as_ref(), dc, request),
        )
        .await
        .map_err(|_| TelegramError::Timeout)
    }

    /// The channel's access hash from the session's peer cache, walking the dialogs once (at
    /// most once per `dialogs_refresh_interval`) when the channel is not cached yet.
    async fn channel_access_hash(&self, channel: ChannelId) -> Result<i64, TelegramError> {
        if let Some(hash) = self.session.channel_access_hash(channel.mtproto_id()) {
            return Ok(hash);
        }
        {
            let mut last = self.last_dialogs_refresh.lock().await;
            // Another task may have walked the dialogs while this one waited for the lock.
            if let Some(hash) = self.session.channel_access_hash(channel.mtproto_id()) {
                return Ok(hash);
            }
            let due = last.is_none_or(|at| at.elapsed() >= self.config.dialogs_refresh_interval);
            if due {
                *last = Some(Instant::now());
                tokio::time::timeout(self.config.call_timeout * 3, self.invoker.refresh_dialogs())
                    .await
                    .map_err(|_| TelegramError::Timeout)?
                    .map_err(|error| map_invocation_error(&error))?;
            }
        }
        self.session
            .channel_access_hash(channel.mtproto_id())
            .ok_or(TelegramError::NotMember)
    }

    async fn buy(&self, request: PurchaseRequest) -> Result<PurchaseReceipt, TelegramError> {
        let peer = self.recipient_peer(request.recipient).await?;
        let invoice = mapping::star_gift_invoice(peer, &request);
        self.pay(invoice, request.price).await
    }

    /// Pays `invoice` once: its payment form, checked to ask exactly `price`, then
    /// `sendStarsForm` with the same invoice.
    async fn pay(
        &self,
        invoice: enums::InputInvoice,
        price: Stars,
    ) -> Result<PurchaseReceipt, TelegramError> {
        self.pay_checked(invoice, |form| mapping::check_payment_form(form, price))
            .await
    }

    /// Fetches the invoice's payment form, lets `check` accept its price (giving the form id)
    /// and only then pays it.
    async fn pay_checked(
        &self,
        invoice: enums::InputInvoice,
        check: impl FnOnce(&enums::payments::PaymentForm) -> Result<i64, TelegramError>,
    ) -> Result<PurchaseReceipt, TelegramError> {
        let form = self
            .call(None, &mapping::payment_form_request(invoice.clone()))
            .await?;
        let form_id = check(&form)?;
        let result = self
            .call(None, &mapping::send_stars_form_request(form_id, invoice))
            .await?;
        mapping::payment_result(&result)?;
        Ok(PurchaseReceipt { form_id })
    }

    /// The peer that receives a gift bought for `recipient`.
    async fn recipient_peer(
        &self,
        recipient: Recipient,
    ) -> Result<enums::InputPeer, TelegramError> {
        Ok(match recipient {
            Recipient::Channel(channel) => {
                let access_hash = self.channel_access_hash(channel).await?;
                mapping::input_peer_channel(channel, access_hash)
            }
            Recipient::Buyer => enums::InputPeer::PeerSelf,
            Recipient::User(username) => {
                // Resolved at each purchase: a username can move to another person, and a
                // gift must reach whoever holds it now.
                let answer = self
                    .call(None, &mapping::resolve_username_request(username))
                    .await?;
                let (user_id, access_hash) = mapping::resolved_user(&answer)?;
                mapping::input_peer_user(user_id, access_hash)
            }
        })
    }

    async fn bid(&self, request: BidRequest) -> Result<PurchaseReceipt, TelegramError> {
        let peer = self.recipient_peer(request.recipient).await?;
        let invoice = mapping::bid_invoice(
            request.gift_id,
            request.total,
            request.standing.is_some(),
            Some(peer),
        );
        self.pay_checked(invoice, |form| {
            mapping::check_bid_form(form, request.total, request.standing)
        })
        .await
    }

    async fn buy_listing(
        &self,
        request: ResalePurchaseRequest,
    ) -> Result<PurchaseReceipt, TelegramError> {
        let to = self.recipient_peer(request.recipient).await?;
        // A seller may have raised the price since the listing was polled: the form's price
        // must be the listing's, or nothing is paid.
        self.pay(mapping::resale_invoice(&request.slug, to), request.price)
            .await
    }

    async fn info(&self, channel: ChannelId) -> Result<ChannelInfo, TelegramError> {
        let not_member = ChannelInfo {
            channel_id: channel,
            title: None,
            access: ChannelAccess::NotMember,
        };
        let access_hash = match self.channel_access_hash(channel).await {
            Ok(hash) => hash,
            Err(TelegramError::NotMember) => return Ok(not_member),
            Err(error) => return Err(error),
        };
        let request =
            mapping::self_participant_request(mapping::input_channel(channel, access_hash));
        match self.call_raw(None, &request).await? {
            Ok(answer) => {
                let enums::channels::ChannelParticipant::Participant(participant) = &answer;
                Ok(ChannelInfo {
                    channel_id: channel,
                    title: mapping::channel_title(&participant.chats, channel),
                    access: mapping::channel_access(&answer, channel),
                })
            }
            Err(InvocationError::Rpc(rpc))
                if matches!(
                    rpc.name.as_str(),
                    "USER_NOT_PARTICIPANT" | "CHANNEL_PRIVATE" | "CHANNEL_INVALID"
                ) =>
            {
                Ok(not_member)
            }
            Err(error) => Err(self.home_error(&error)),
        }
    }

    async fn sticker(&self, sticker: StickerRef) -> Result<Vec<u8>, TelegramError> {
        match self.download(&sticker).await {
            Err(Retry::FileReference) => {
                // File references expire; the catalog carries fresh ones.
                let fresh = self.fresh_sticker(sticker.document_id).await?;
                self.download(&fresh).await.map_err(Retry::into_error)
            }
            result => result.map_err(Retry::into_error),
        }
    }

    async fn fresh_sticker(&self, document_id: i64) -> Result<StickerRef, TelegramError> {
        let answer = self.call(None, &mapping::star_gifts_request(0)).await?;
        match mapping::catalog_response(answer, self.id) {
            CatalogResponse::Catalog { gifts, .. } => gifts
                .into_iter()
                .filter_map(|gift| gift.sticker)
                .find(|sticker| sticker.document_id == document_id)
                .ok_or_else(|| unexpected("the sticker is no longer in the catalog")),
            CatalogResponse::NotModified => {
                Err(unexpected("payments.getStarGifts(0) answered not modified"))
            }
        }
    }

    /// Downloads a document, in its own data centre when that is not the home one.
    async fn download(&self, sticker: &StickerRef) -> Result<Vec<u8>, Retry> {
        let home = self
            .session
            .home_dc_id()
            .map_err(|error| Retry::Error(TelegramError::Network(error.to_string())))?;
        let mut dc = (sticker.dc_id != home && sticker.dc_id > 0).then_some(sticker.dc_id);
        let location =
            enums::InputFileLocation::InputDocumentFileLocation(types::InputDocumentFileLocation {
                id: sticker.document_id,
                access_hash: sticker.access_hash,
                file_reference: sticker.file_reference.clone(),
                thumb_size: String::new(),
            });
        let chunk = self.config.download_chunk;
        let chunk_len = usize::try_from(chunk).unwrap_or(usize::MAX);
        let mut bytes = Vec::new();
        let mut reauthorized = false;
        let mut migrated = false;
        loop {
            if let Some(dc) = dc {
                self.authorize_dc(dc, false).await?;
            }
            let request = functions::upload::GetFile {
                precise: false,
                cdn_supported: false,
                location: location.clone(),
                offset: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
                limit: chunk,
            };
            match self.call_raw(dc, &request).await? {
                Ok(enums::upload::File::File(file)) => {
                    let last = file.bytes.len() < chunk_len;
                    bytes.extend(file.bytes);
                    if bytes.len() > MAX_STICKER_BYTES {
                        return Err(Retry::Error(unexpected("the sticker file is too large")));
                    }
                    if last {
                        return Ok(bytes);
                    }
                }
                Ok(enums::upload::File::CdnRedirect(_)) => {
                    return Err(Retry::Error(unexpected(
                        "upload.getFile redirected to a CDN although CDNs were not allowed",
                    )));
                }
                Err(InvocationError::Rpc(rpc)) if rpc.name.starts_with("FILE_REFERENCE_") => {
                    return Err(Retry::FileReference);
                }
                Err(InvocationError::Rpc(rpc))
                    if rpc.name == "FILE_MIGRATE" && !migrated && rpc.value.is_some() =>
                {
                    migrated = true;
                    // A file sent back home is fetched there on the session's own login:
                    // Telegram exports no authorization to the DC it is asked on
                    // (`DC_ID_INVALID`), so that DC is reached as the home one.
                    dc = rpc
                        .value
                        .and_then(|value| i32::try_from(value).ok())
                        .filter(|&target| target != home);
                }
                Err(InvocationError::Rpc(rpc))
                    if rpc.name == "AUTH_KEY_UNREGISTERED" && dc.is_some() && !reauthorized =>
                {
                    // The other DC forgot the imported authorization: import it again, once.
                    reauthorized = true;
                    if let Some(dc) = dc {
                        self.authorize_dc(dc, true).await?;
                    }
                }
                Err(error) => {
                    tracing::debug!(account = %self.id, error = %rpc_name(&error), "sticker download failed");
                    return Err(Retry::Error(map_invocation_error(&error)));
                }
            }
        }
    }

    /// Copies the login to another data centre (`auth.exportAuthorization` at home,
    /// `auth.importAuthorization` there), once per DC unless `again`.
    async fn authorize_dc(&self, dc: i32, again: bool) -> Result<(), Retry> {
        let known = self
            .authorized_dcs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&dc);
        if known && !again {
            return Ok(());
        }
        let enums::auth::ExportedAuthorization::Authorization(exported) = self
            .call(None, &functions::auth::ExportAuthorization { dc_id: dc })
            .await
            .map_err(Retry::Error)?;
        self.call(
            Some(dc),
            &functions::auth::ImportAuthorization {
                id: exported.id,
                bytes: exported.bytes,
            },
        )
        .await
        .map_err(Retry::Error)?;
        self.authorized_dcs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(dc);
        Ok(())
    }
}

fn rpc_name(error: &InvocationError) -> String {
    match error {
        InvocationError::Rpc(rpc) => rpc_error_name(rpc),
        other => other.to_string(),
    }
}

/// A download failure: an expired file reference (worth one retry with a fresh one) or an
/// error to return.
enum Retry {
    FileReference,
    Error(TelegramError),
}

impl From<TelegramError> for Retry {
    fn from(error: TelegramError) -> Self {
        Self::Error(error)
    }
}

impl Retry {
    fn into_error(self) -> TelegramError {
        match self {
            Self::FileReference => TelegramError::from_rpc(400, "FILE_REFERENCE_EXPIRED"),
            Self::Error(error) => error,
        }
    }
}

#[async_trait]
impl TelegramAccount for MtprotoAccount {
    fn account_id(&self) -> AccountId {
        self.id
    }

    async fn star_gifts(&self, hash: i32) -> Result<CatalogResponse, TelegramError> {
        let answer = self.call(None, &mapping::star_gifts_request(hash)).await?;
        Ok(mapping::catalog_response(answer, self.id))
    }

    async fn profile(&self) -> Result<Profile, TelegramError> {
        let users = self.call(None, &mapping::self_user_request()).await?;
        mapping::profile(&users)
    }

    async fn stars_balance(&self) -> Result<Stars, TelegramError> {
        let status = self.call(None, &mapping::stars_status_request()).await?;
        mapping::stars_balance(&status)
    }

    async fn buy_gift(&self, request: PurchaseRequest) -> Result<PurchaseReceipt, TelegramError> {
        self.buy(request).await
    }

    async fn resale_listings(
        &self,
        gift_id: GiftId,
        offset: &str,
        limit: i32,
    ) -> Result<ResalePage, TelegramError> {
        let answer = self
            .call(None, &mapping::resale_request(gift_id, offset, limit))
            .await?;
        Ok(mapping::resale_page(answer))
    }

    async fn buy_resale(
        &self,
        request: ResalePurchaseRequest,
    ) -> Result<PurchaseReceipt, TelegramError> {
        self.buy_listing(request).await
    }

    async fn auction_state(
        &self,
        gift_id: GiftId,
        version: i32,
    ) -> Result<AuctionAnswer, TelegramError> {
        let answer = self
            .call(None, &mapping::auction_state_request(gift_id, version))
            .await?;
        mapping::auction_answer(answer)
    }

    async fn place_bid(&self, request: BidRequest) -> Result<PurchaseReceipt, TelegramError> {
        self.bid(request).await
    }

    async fn download_sticker(&self, sticker: StickerRef) -> Result<Vec<u8>, TelegramError> {
        self.sticker(sticker).await
    }

    async fn channel_info(&self, channel: ChannelId) -> Result<ChannelInfo, TelegramError> {
        self.info(channel).await
    }

    async fn channel_takes_star_gifts(&self, channel: ChannelId) -> Result<bool, TelegramError> {
        let access_hash = self.channel_access_hash(channel).await?;
        let request = mapping::full_channel_request(mapping::input_channel(channel, access_hash));
        let answer = self.call(None, &request).await?;
        mapping::takes_star_gifts(&answer, channel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_download_chunk_follows_telegrams_rules() {
        let with = |download_chunk| AccountConfig {
            download_chunk,
            ..AccountConfig::default()
        };
        assert_eq!(AccountConfig::default().validate(), Ok(()));
        for good in [4096, 8192, 64 * 1024, 512 * 1024, 1024 * 1024] {
            assert_eq!(with(good).validate(), Ok(()), "{good}");
        }
        // 12 KiB is aligned but does not divide 1 MiB; 2 MiB crosses a block.
        for bad in [
            0,
            -4096,
            1024,
            4095,
            12 * 1024,
            2 * 1024 * 1024,
            i32::MAX,
            i32::MIN,
        ] {
            assert_eq!(
                with(bad).validate(),
                Err(AccountConfigError::DownloadChunk(bad)),
                "{bad}"
            );
        }
    }
}
