//! Gift stickers as Telegram serves documents: the `document` a catalog entry carries,
//! `upload.getFile` in parts under Telegram's offset and limit rules, `FILE_MIGRATE_X` for a
//! sticker kept on another DC, file references that expire, and the copy of a login to that DC
//! (`auth.exportAuthorization` at home, `auth.importAuthorization` there).
//!
//! The rules follow core.telegram.org/api/files ("Downloading files") and the error lists of
//! `upload.getFile`, `auth.exportAuthorization` and `auth.importAuthorization`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use giftbuyer_core::ports::TelegramAccount;
use giftbuyer_core::{AccountId, StickerRef};
use grammers_tl_types::{self as tl, functions};
use sha2::{Digest, Sha256};

use super::{MarketBackend, telegram_error};
use crate::backend::CallContext;
use crate::rpc::{Reply, RpcFailure, decode};

/// How long a file reference lasts by default. Telegram does not document it; references
/// last hours there, and one that outlives a rotation is still accepted for one more period,
/// so a reference fetched just before a rotation does not fail at once.
const DEFAULT_REFERENCE_LIFETIME: Duration = Duration::from_secs(3600);
/// Version byte in front of every file reference the server issues.
const REFERENCE_VERSION: u8 = 1;
const REFERENCE_LEN: usize = 21;
/// How long an exported authorization can be imported: long enough for a client to connect
/// to the other DC, short enough that a leaked one is soon useless.
const EXPORT_LIFETIME_SECS: i64 = 300;
const EXPORT_VERSION: u8 = 1;
/// Version, target DC, issue time, nonce, MAC.
const EXPORT_LEN: usize = 1 + 4 + 8 + 16 + 32;
/// The documents the server remembers. The market's catalog bounds them already; this keeps
/// the map bounded even if a market were to hold an absurd number of gifts.
const MAX_DOCUMENTS: usize = 100_000;
/// Alignment and block of `upload.getFile`, per core.telegram.org/api/files.
const ALIGN: i64 = 4096;
const PRECISE_ALIGN: i64 = 1024;
const BLOCK: i64 = 1024 * 1024;
/// Gift stickers are Lottie animations drawn on a 512 by 512 canvas.
const STICKER_SIDE: i32 = 512;
const STICKER_MIME: &str = "application/x-tgsticker";
/// The file name Telegram gives animated stickers.
const STICKER_FILE_NAME: &str = "AnimatedSticker.tgs";
const STICKER_ALT: &str = "\u{1F381}";

/// A sticker document the server has handed out in a catalog.
#[derive(Debug, Clone)]
struct KnownDocument {
    gift_id: i64,
    /// The market's own reference, which `download_sticker` wants back exactly.
    sticker: StickerRef,
    /// When the server first showed it: the document's `date` and the file's `mtime`.
    date: i32,
    /// When the server first saw the gift sold out (`last_sale_date`).
    sold_out_at: Option<i32>,
}

/// A sticker as a catalog entry carries it.
pub(super) struct ShownSticker {
    pub(super) document: tl::enums::Document,
    /// When the server first showed the gift (its `first_sale_date`).
    pub(super) date: i32,
    /// When the server first saw it sold out (its `last_sale_date`).
    pub(super) sold_out_at: Option<i32>,
}

/// What the server keeps about files and exported logins.
pub(crate) struct FileState {
    secret: [u8; 32],
    /// Bumped to expire every file reference issued so far.
    generation: AtomicU64,
    lifetime_secs: AtomicU64,
    documents: Mutex<HashMap<i64, KnownDocument>>,
}

impl FileState {
    /// File references and exported logins keyed by `secret`, so that a restarted server
    /// with the same secret accepts what the previous one handed out.
    pub(crate) fn new(secret: [u8; 32]) -> Self {
        Self {
            secret,
            generation: AtomicU64::new(0),
            lifetime_secs: AtomicU64::new(DEFAULT_REFERENCE_LIFETIME.as_secs()),
            documents: Mutex::new(HashMap::new()),
        }
    }

    fn documents(&self) -> MutexGuard<'_, HashMap<i64, KnownDocument>> {
        // The map holds plain data that every change leaves consistent.
        self.documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn mac(&self, label: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(label);
        hash.update(self.secret);
        for part in parts {
            hash.update(part);
        }
        hash.finalize().into()
    }

    fn epoch(&self, now: i64) -> i64 {
        let lifetime = self.lifetime_secs.load(Ordering::Relaxed).max(1);
        now.div_euclid(i64::try_from(lifetime).unwrap_or(i64::MAX))
    }

    fn reference_for_epoch(&self, document_id: i64, epoch: i64) -> Vec<u8> {
        let generation = self.generation.load(Ordering::Relaxed);
        let mac = self.mac(
            b"file reference",
            &[
                &document_id.to_le_bytes(),
                &epoch.to_le_bytes(),
                &generation.to_le_bytes(),
            ],
        );
        let mut reference = Vec::with_capacity(REFERENCE_LEN);
        reference.push(REFERENCE_VERSION);
        reference.extend_from_slice(&mac[..REFERENCE_LEN - 1]);
        reference
    }

    /// The reference a catalog fetched at `now` carries.
    fn reference(&self, document_id: i64, now: i64) -> Vec<u8> {
        self.reference_for_epoch(document_id, self.epoch(now))
    }

    /// Checks a reference as Telegram does: empty, malformed, or no longer current.
    fn check_reference(
        &self,
        document_id: i64,
        reference: &[u8],
        now: i64,
    ) -> Result<(), RpcFailure> {
        if reference.is_empty() {
            return Err(RpcFailure::bad_request("FILE_REFERENCE_EMPTY"));
        }
        if reference.len() != REFERENCE_LEN || reference[0] != REFERENCE_VERSION {
            return Err(RpcFailure::bad_request("FILE_REFERENCE_INVALID"));
        }
        let epoch = self.epoch(now);
        let current = [epoch, epoch.saturating_sub(1)]
            .into_iter()
            .any(|epoch| self.reference_for_epoch(document_id, epoch) == reference);
        if current {
            Ok(())
        } else {
            Err(RpcFailure::bad_request("FILE_REFERENCE_EXPIRED"))
        }
    }

    /// Remembers a document shown in a catalog and returns what the server knows of it.
    fn remember(
        &self,
        gift_id: i64,
        sticker: &StickerRef,
        sold_out: bool,
        now: i32,
    ) -> KnownDocument {
        let mut documents = self.documents();
        if documents.len() >= MAX_DOCUMENTS && !documents.contains_key(&sticker.document_id) {
            tracing::warn!(gift_id, "too many sticker documents; this one is not kept");
            return KnownDocument {
                gift_id,
                sticker: sticker.clone(),
                date: now,
                sold_out_at: sold_out.then_some(now),
            };
        }
        let known = documents
            .entry(sticker.document_id)
            .or_insert_with(|| KnownDocument {
                gift_id,
                sticker: sticker.clone(),
                date: now,
                sold_out_at: None,
            });
        // The market's reference of a gift never changes; should it, the newest one is what
        // its download checks against.
        if known.sticker != *sticker {
            known.sticker = sticker.clone();
        }
        if sold_out && known.sold_out_at.is_none() {
            known.sold_out_at = Some(now);
        }
        known.clone()
    }

    fn document(&self, document_id: i64) -> Option<KnownDocument> {
        self.documents().get(&document_id).cloned()
    }
}

/// Checks a part's offset and limit against Telegram's rules for `upload.getFile`
/// (core.telegram.org/api/files): without `precise`, both are multiples of 4 KiB and the
/// limit divides 1 MiB; with it, both are multiples of 1 KiB and the limit is at most 1 MiB;
/// in any case the part lies within one 1 MiB block.
pub(crate) fn check_part(precise: bool, offset: i64, limit: i32) -> Result<(), RpcFailure> {
    let limit = i64::from(limit);
    if offset < 0 {
        return Err(RpcFailure::bad_request("OFFSET_INVALID"));
    }
    if limit <= 0 {
        return Err(RpcFailure::bad_request("LIMIT_INVALID"));
    }
    let align = if precise { PRECISE_ALIGN } else { ALIGN };
    if offset % align != 0 {
        return Err(RpcFailure::bad_request("OFFSET_INVALID"));
    }
    let limit_fits = if precise {
        limit <= BLOCK
    } else {
        BLOCK % limit == 0
    };
    if limit % align != 0 || !limit_fits {
        return Err(RpcFailure::bad_request("LIMIT_INVALID"));
    }
    let last = offset
        .checked_add(limit - 1)
        .ok_or_else(|| RpcFailure::bad_request("OFFSET_INVALID"))?;
    if offset / BLOCK != last / BLOCK {
        return Err(RpcFailure::bad_request("LIMIT_INVALID"));
    }
    Ok(())
}

fn to_i32(value: i64) -> i32 {
    i32::try_from(value.max(0)).unwrap_or(i32::MAX)
}

impl MarketBackend {
    fn files(&self) -> &FileState {
        &self.inner.files
    }

    fn unix_now(&self) -> i64 {
        self.market().clock().unix_now().secs()
    }

    /// The DC that holds a gift's sticker: picked from the served DCs by the gift id, so it
    /// is stable and some stickers live away from any account's home DC.
    pub fn sticker_dc(&self, gift_id: i64) -> i32 {
        let dcs = &self.inner.dcs;
        let count = i64::try_from(dcs.len()).unwrap_or(i64::MAX).max(1);
        usize::try_from(gift_id.rem_euclid(count))
            .ok()
            .and_then(|index| dcs.get(index))
            .copied()
            .unwrap_or(2)
    }

    /// Makes every file reference issued so far stale: the next download with one answers
    /// `FILE_REFERENCE_EXPIRED`, as after Telegram rotates references, until the client
    /// fetches the catalog again.
    pub fn expire_file_references(&self) {
        self.files().generation.fetch_add(1, Ordering::Relaxed);
    }

    /// Sets how long a file reference lasts (one more period is tolerated past a rotation).
    pub fn set_file_reference_lifetime(&self, lifetime: Duration) {
        self.files()
            .lifetime_secs
            .store(lifetime.as_secs().max(1), Ordering::Relaxed);
    }

    /// The `document` of a gift's sticker, as `payments.getStarGifts` carries it, with the
    /// dates the server knows of the gift.
    pub(super) fn sticker_document(
        &self,
        gift_id: i64,
        sticker: Option<&StickerRef>,
        sold_out: bool,
    ) -> ShownSticker {
        let now = self.unix_now();
        let now32 = to_i32(now);
        let Some(sticker) = sticker else {
            return ShownSticker {
                document: tl::enums::Document::Empty(tl::types::DocumentEmpty { id: 0 }),
                date: now32,
                sold_out_at: sold_out.then_some(now32),
            };
        };
        let known = self.files().remember(gift_id, sticker, sold_out, now32);
        let set_id = i64::from_le_bytes(
            self.files().mac(b"sticker set", &[])[..8]
                .try_into()
                .unwrap_or([0; 8]),
        ) & i64::MAX;
        let document = tl::types::Document {
            id: sticker.document_id,
            access_hash: sticker.access_hash,
            file_reference: self.files().reference(sticker.document_id, now),
            date: known.date,
            mime_type: STICKER_MIME.into(),
            size: sticker.size,
            // Telegram adds an outline (`photoPathSize` "j") for a sticker; no client here
            // shows one, and the field is optional.
            thumbs: None,
            video_thumbs: None,
            dc_id: self.sticker_dc(gift_id),
            attributes: vec![
                tl::enums::DocumentAttribute::ImageSize(tl::types::DocumentAttributeImageSize {
                    w: STICKER_SIDE,
                    h: STICKER_SIDE,
                }),
                tl::enums::DocumentAttribute::Sticker(tl::types::DocumentAttributeSticker {
                    mask: false,
                    alt: STICKER_ALT.into(),
                    stickerset: tl::enums::InputStickerSet::Id(tl::types::InputStickerSetId {
                        id: set_id,
                        access_hash: self.access_hash(set_id),
                    }),
                    mask_coords: None,
                }),
                tl::enums::DocumentAttribute::Filename(tl::types::DocumentAttributeFilename {
                    file_name: STICKER_FILE_NAME.into(),
                }),
            ],
        };
        ShownSticker {
            document: tl::enums::Document::Document(document),
            date: known.date,
            sold_out_at: known.sold_out_at,
        }
    }

    /// `upload.getFile` for a sticker document.
    pub(super) async fn get_file(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::upload::GetFile = decode(body)?;
        let account = self.account(context)?;
        check_part(request.precise, request.offset, request.limit)?;
        let tl::enums::InputFileLocation::InputDocumentFileLocation(location) = request.location
        else {
            // Only gift stickers are stored here: no photos, no thumbnails.
            return Err(RpcFailure::bad_request("LOCATION_INVALID"));
        };
        if !location.thumb_size.is_empty() {
            return Err(RpcFailure::bad_request("LOCATION_INVALID"));
        }
        // A document this server has not shown (a reference kept from before a restart of
        // the server) is answered as a stale reference: the client fetches the catalog, which
        // shows it again.
        let known = self
            .files()
            .document(location.id)
            .ok_or_else(|| RpcFailure::bad_request("FILE_REFERENCE_EXPIRED"))?;
        if location.access_hash != known.sticker.access_hash {
            return Err(RpcFailure::bad_request("FILE_ID_INVALID"));
        }
        let home = self.sticker_dc(known.gift_id);
        if context.dc != home {
            return Err(RpcFailure::migrate("FILE", home));
        }
        self.files()
            .check_reference(location.id, &location.file_reference, self.unix_now())?;
        let file = account
            .download_sticker(known.sticker.clone())
            .await
            .map_err(|error| telegram_error(&error))?;
        // At or past the end of the file Telegram answers an empty part, which is how a
        // client that asked for whole parts learns that the previous one was the last.
        let start = usize::try_from(request.offset).unwrap_or(usize::MAX);
        let part = file
            .get(start..)
            .map(|rest| {
                let len = usize::try_from(request.limit).unwrap_or(0).min(rest.len());
                rest[..len].to_vec()
            })
            .unwrap_or_default();
        Ok(Reply::answer(&tl::enums::upload::File::File(
            tl::types::upload::File {
                // Telegram names the type only for photos it recognises; documents travel as
                // `storage.fileUnknown`, their MIME type being in the document.
                r#type: tl::enums::storage::FileType::FileUnknown,
                mtime: known.date,
                bytes: part,
            },
        )))
    }

    /// `auth.exportAuthorization(dc_id)` on the home DC: bytes that log the same user in on
    /// `dc_id`, bound to that DC and valid for a few minutes.
    pub(super) fn export_authorization(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::auth::ExportAuthorization = decode(body)?;
        let user = context.user.ok_or_else(RpcFailure::unauthorized)?;
        if request.dc_id == context.dc || !self.inner.dcs.contains(&request.dc_id) {
            return Err(RpcFailure::bad_request("DC_ID_INVALID"));
        }
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(|_| RpcFailure::new(500, "INTERNAL_SERVER_ERROR"))?;
        let issued = self.unix_now();
        let mac = self.export_mac(user, request.dc_id, issued, &nonce);
        let mut bytes = Vec::with_capacity(EXPORT_LEN);
        bytes.push(EXPORT_VERSION);
        bytes.extend_from_slice(&request.dc_id.to_le_bytes());
        bytes.extend_from_slice(&issued.to_le_bytes());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&mac);
        Ok(Reply::answer(
            &tl::enums::auth::ExportedAuthorization::Authorization(
                tl::types::auth::ExportedAuthorization { id: user, bytes },
            ),
        ))
    }

    fn export_mac(&self, user: i64, dc: i32, issued: i64, nonce: &[u8]) -> [u8; 32] {
        self.files().mac(
            b"exported authorization",
            &[
                &user.to_le_bytes(),
                &dc.to_le_bytes(),
                &issued.to_le_bytes(),
                nonce,
            ],
        )
    }

    /// `auth.importAuthorization(id, bytes)` on another DC: checks what the home DC exported
    /// and binds the calling key to that user, as a login does.
    pub(super) async fn import_authorization(
        &self,
        context: &CallContext,
        body: &[u8],
    ) -> Result<Reply, RpcFailure> {
        let request: functions::auth::ImportAuthorization = decode(body)?;
        let invalid = || RpcFailure::bad_request("AUTH_BYTES_INVALID");
        let bytes = request.bytes.as_slice();
        if bytes.len() != EXPORT_LEN || bytes[0] != EXPORT_VERSION {
            return Err(invalid());
        }
        let dc = i32::from_le_bytes(bytes[1..5].try_into().map_err(|_| invalid())?);
        let issued = i64::from_le_bytes(bytes[5..13].try_into().map_err(|_| invalid())?);
        let nonce = &bytes[13..29];
        let mac = &bytes[29..];
        if dc != context.dc || self.export_mac(request.id, dc, issued, nonce) != mac {
            return Err(invalid());
        }
        let age = self.unix_now().saturating_sub(issued);
        if !(0..=EXPORT_LIFETIME_SECS).contains(&age) {
            return Err(invalid());
        }
        let account = AccountId::new(request.id)
            .ok()
            .filter(|id| self.market().account(*id).is_some())
            .ok_or_else(|| RpcFailure::bad_request("USER_ID_INVALID"))?;
        self.authorized(context, account).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_follow_telegrams_offset_and_limit_rules() {
        let ok = Ok(());
        let offset = Err(RpcFailure::bad_request("OFFSET_INVALID"));
        let limit = Err(RpcFailure::bad_request("LIMIT_INVALID"));
        let cases = [
            (false, 0, 4096, &ok),
            (false, 0, 1 << 20, &ok),
            (false, 8192, 4096, &ok),
            (false, 512 * 1024, 512 * 1024, &ok),
            (false, -4096, 4096, &offset),
            (false, 1024, 4096, &offset),
            (false, 0, 0, &limit),
            (false, 0, -4096, &limit),
            (false, 0, 1024, &limit),
            // Aligned, but 12 KiB does not divide 1 MiB.
            (false, 0, 12 * 1024, &limit),
            (false, 0, 2 << 20, &limit),
            // Aligned parts that would cross a 1 MiB block.
            (false, (1 << 20) - 4096, 8192, &limit),
            (true, 1024, 3072, &ok),
            (true, 512, 1024, &offset),
            (true, 0, 1536, &limit),
            (true, 0, (1 << 20) + 1024, &limit),
            (true, (1 << 20) - 1024, 2048, &limit),
            (false, i64::MAX - 4095, 4096 * 2, &offset),
        ];
        for (precise, at, size, expected) in cases {
            assert_eq!(
                &check_part(precise, at, size),
                expected,
                "{precise} {at} {size}"
            );
        }
    }

    #[test]
    fn references_expire_with_their_period_and_on_demand() {
        let files = FileState::new([3; 32]);
        files.lifetime_secs.store(100, Ordering::Relaxed);
        let reference = files.reference(7, 1_000);
        assert_eq!(reference.len(), REFERENCE_LEN);
        assert_eq!(files.check_reference(7, &reference, 1_050), Ok(()));
        // One more period is tolerated, then it is stale.
        assert_eq!(files.check_reference(7, &reference, 1_150), Ok(()));
        let expired = Err(RpcFailure::bad_request("FILE_REFERENCE_EXPIRED"));
        assert_eq!(files.check_reference(7, &reference, 1_200), expired);
        // Another document's reference does not open this one.
        assert_eq!(files.check_reference(8, &reference, 1_000), expired);
        files.generation.fetch_add(1, Ordering::Relaxed);
        assert_eq!(files.check_reference(7, &reference, 1_000), expired);
        assert_eq!(
            files.check_reference(7, &[], 1_000),
            Err(RpcFailure::bad_request("FILE_REFERENCE_EMPTY"))
        );
        assert_eq!(
            files.check_reference(7, &[1, 2, 3], 1_000),
            Err(RpcFailure::bad_request("FILE_REFERENCE_INVALID"))
        );
    }
}
