//! `GET /api/gifts/{id}/sticker`: a gift's sticker as Lottie JSON, for the panel to animate.
//!
//! Telegram serves stickers as `.tgs` files (gzipped Lottie). The route downloads one through
//! one of the signed-in user's accounts, keeps the `.tgs` in the sticker cache directory
//! ([`HttpConfig::sticker_cache_dir`](crate::HttpConfig)) and answers with it unzipped. Cache
//! files are named after the numeric gift id only, never after anything a client sent, so no
//! request can reach outside the directory. The ETag names the gift and the sticker document,
//! which Telegram never changes in place, so a client that has it gets a 304 without any
//! download or disk read.

use std::io::Read as _;
use std::path::{Path as FsPath, PathBuf};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use giftbuyer_core::ports::{KnownGift, UserId};
use giftbuyer_core::{GiftId, StickerRef};
use utoipa::OpenApi;

use crate::auth::AuthUser;
use crate::common::{matches_etag, path_id};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// The largest sticker accepted, unzipped. Telegram's animated stickers are far smaller; the
/// bound keeps a hostile or broken download (a gzip bomb) from filling memory.
const MAX_LOTTIE_BYTES: u64 = 4 * 1024 * 1024;
/// How long browsers may reuse a sticker before asking again with its ETag.
const CACHE_CONTROL: &str = "private, max-age=86400";

const NO_CONNECTOR: &str =
    "stickers are not available on this server: it was started without a Telegram connection";

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/gifts/{id}/sticker", get(sticker))
}

/// The sticker route's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(sticker))]
pub(crate) struct StickersApi;

/// A gift's sticker as Lottie JSON, with a strong ETag.
#[utoipa::path(
    get,
    path = "/api/gifts/{id}/sticker",
    tag = "gifts",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The gift's id")),
    responses(
        (status = 200, description = "The sticker's Lottie animation", content_type = "application/json", body = Object),
        (status = 304, description = "The client's copy (If-None-Match) is current"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such gift, or it has no sticker", body = ErrorBody),
        (status = 409, description = "I have no logged-in Telegram account to download it with", body = ErrorBody),
        (status = 503, description = "No Telegram connection, or no account could download it", body = ErrorBody),
    )
)]
pub(crate) async fn sticker(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let gift = path_id(&id, "gift", GiftId::new)?;
    let known = state
        .store()
        .known_gifts()
        .await?
        .into_iter()
        .find(|known| known.gift.id == gift.get())
        .ok_or(ApiError::NotFound { what: "gift" })?;
    let reference = known
        .gift
        .sticker
        .clone()
        .ok_or(ApiError::NotFound { what: "sticker" })?;
    let etag = format!("\"sticker-{}-{}\"", gift.get(), reference.document_id);
    let etag_value =
        HeaderValue::from_str(&etag).map_err(|error| ApiError::internal("bad ETag", error))?;
    if matches_etag(&headers, &etag) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag_value),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static(CACHE_CONTROL),
                ),
            ],
        )
            .into_response());
    }
    let tgs = load_tgs(&state, auth.user_id, gift, &known, reference).await?;
    let lottie = gunzip(&tgs).map_err(|error| {
        tracing::warn!(gift = gift.get(), %error, "a sticker is not a valid .tgs");
        ApiError::Unavailable
    })?;
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::ETAG, etag_value),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(CACHE_CONTROL),
            ),
        ],
        lottie,
    )
        .into_response())
}

/// The cache file of a gift's sticker: named after the numeric id alone, so that nothing a
/// client sends can name another path.
fn cache_file(dir: &FsPath, gift: GiftId) -> PathBuf {
    dir.join(format!("{}.tgs", gift.get()))
}

/// The sticker's `.tgs`, from the disk cache when the store says it holds the current
/// document, else downloaded and cached.
async fn load_tgs(
    state: &AppState,
    user: UserId,
    gift: GiftId,
    known: &KnownGift,
    reference: StickerRef,
) -> Result<Vec<u8>, ApiError> {
    let cache = state
        .config()
        .sticker_cache_dir
        .as_deref()
        .map(|dir| cache_file(dir, gift));
    // The store clears the cache path when the sticker's document changes, so a path it still
    // holds is the current sticker's.
    if let Some(path) = &cache
        && known.sticker_cache_path.as_deref() == path.to_str()
    {
        match tokio::fs::read(path).await {
            Ok(bytes) => return Ok(bytes),
            Err(error) => {
                tracing::debug!(gift = gift.get(), %error, "a cached sticker is gone; downloading it again");
            }
        }
    }
    let tgs = download(state, user, reference).await?;
    if let Some(path) = cache {
        if let Err(error) = write_cache(&path, &tgs).await {
            // A sticker that cannot be cached is still served; the next request downloads it.
            tracing::warn!(gift = gift.get(), %error, "could not cache a sticker");
        } else if let Some(text) = path.to_str()
            && let Err(error) = state.store().set_sticker_cache_path(gift, text).await
        {
            tracing::warn!(gift = gift.get(), %error, "could not record a cached sticker");
        }
    }
    Ok(tgs)
}

/// Writes a cache file through a temporary file and a rename, so that a concurrent reader
/// never sees half a sticker.
async fn write_cache(path: &FsPath, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let partial = path.with_extension("tgs.partial");
    tokio::fs::write(&partial, bytes).await?;
    tokio::fs::rename(&partial, path).await
}

/// Downloads the sticker through the first of the user's logged-in accounts that manages to.
async fn download(
    state: &AppState,
    user: UserId,
    reference: StickerRef,
) -> Result<Vec<u8>, ApiError> {
    let connector = state.connector().ok_or(ApiError::PortMissing {
        message: NO_CONNECTOR,
    })?;
    let accounts: Vec<_> = state
        .store()
        .accounts(user)
        .await?
        .into_iter()
        .filter(|account| account.logged_in)
        .filter_map(|account| account.telegram_id)
        .collect();
    if accounts.is_empty() {
        return Err(ApiError::Telegram {
            status: StatusCode::CONFLICT,
            code: "no_account",
            message: "add a logged-in Telegram account to load gift stickers".to_owned(),
            retry_after_secs: None,
        });
    }
    for account in accounts {
        let attempt = async {
            let telegram = connector.account(account).await?;
            telegram.download_sticker(reference.clone()).await
        };
        match attempt.await {
            Ok(bytes) => return Ok(bytes),
            Err(error) => {
                tracing::warn!(account = account.get(), %error, "could not download a sticker");
            }
        }
    }
    Err(ApiError::Unavailable)
}

/// Why a `.tgs` could not be turned into Lottie JSON.
#[derive(Debug, thiserror::Error)]
enum TgsError {
    #[error("not gzip: {0}")]
    Gzip(#[from] std::io::Error),
    #[error("larger than {MAX_LOTTIE_BYTES} bytes unzipped")]
    TooLarge,
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Unzips a `.tgs` into its Lottie JSON, bounded in size and checked to be JSON, so that the
/// client never gets a broken body labelled `application/json`.
fn gunzip(tgs: &[u8]) -> Result<Vec<u8>, TgsError> {
    let mut lottie = Vec::new();
    flate2::read::GzDecoder::new(tgs)
        .take(MAX_LOTTIE_BYTES + 1)
        .read_to_end(&mut lottie)?;
    if lottie.len() as u64 > MAX_LOTTIE_BYTES {
        return Err(TgsError::TooLarge);
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(&lottie)?;
    Ok(lottie)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).expect("gzip");
        encoder.finish().expect("gzip")
    }

    #[test]
    fn a_tgs_unzips_to_json_and_nothing_else() {
        assert_eq!(
            gunzip(&gzip(br#"{"v":"5.5.2"}"#)).expect("valid"),
            br#"{"v":"5.5.2"}"#
        );
        assert!(matches!(gunzip(b"plain"), Err(TgsError::Gzip(_))));
        assert!(matches!(gunzip(&gzip(b"not json")), Err(TgsError::Json(_))));
        let huge = vec![b' '; usize::try_from(MAX_LOTTIE_BYTES).expect("small") + 1];
        assert!(matches!(gunzip(&gzip(&huge)), Err(TgsError::TooLarge)));
    }

    #[test]
    fn cache_files_are_named_after_the_gift_id_alone() {
        let gift = GiftId::new(42).expect("valid");
        assert_eq!(
            cache_file(FsPath::new("/cache"), gift),
            PathBuf::from("/cache/42.tgs")
        );
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_any() {
        let etag = "\"sticker-1-2\"";
        for (value, hit) in [
            ("\"sticker-1-2\"", true),
            ("\"x\", \"sticker-1-2\"", true),
            ("W/\"sticker-1-2\"", true),
            ("*", true),
            ("\"sticker-1-3\"", false),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static(value));
            assert_eq!(matches_etag(&headers, etag), hit, "{value}");
        }
        assert!(!matches_etag(&HeaderMap::new(), etag));
    }
}
