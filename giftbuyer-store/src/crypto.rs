//! Secrets at rest: the master key and the authenticated encryption of every secret column.
//!
//! Each value is sealed with XChaCha20-Poly1305 under the master key and a fresh random 24-byte
//! nonce. The associated data names the table, the column, the owning user and the row, so a
//! ciphertext copied into another row or column no longer authenticates: moving an attacker's
//! own bot token row onto a victim's, or swapping two users' sessions, fails to decrypt instead
//! of silently handing one user's secret to another.
//!
//! A sealed value is `version (1 byte) || nonce (24 bytes) || ciphertext || tag (16 bytes)`.
//! The version byte leaves room for another cipher or key scheme without guessing formats.

use std::fmt;

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, Generate, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, KeyError};
use giftbuyer_core::ports::Secret;

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// The 32-byte key that encrypts every secret in the database.
///
/// It lives in `GIFTBUYER_MASTER_KEY` or in a key file (see [`crate::load_master_key`]), never in
/// the database. `Debug` shows only a fingerprint, and the bytes are wiped on drop.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<Self, KeyError> {
        <[u8; 32]>::try_generate()
            .map(Self::from_bytes)
            .map_err(|_| KeyError::Random)
    }

    /// Reads a key written as 64 hex digits or as base64 (standard or URL-safe alphabet,
    /// padded or not). Surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let bytes = Zeroizing::new(if text.len() == 64 {
            hex::decode(text).map_err(|_| KeyError::Malformed { len: text.len() })?
        } else {
            decode_base64(text).ok_or(KeyError::Malformed { len: text.len() })?
        });
        let array: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::WrongLength(bytes.len()))?;
        Ok(Self::from_bytes(array))
    }

    /// The key as 64 hex digits, the form key files hold and `GIFTBUYER_MASTER_KEY` accepts.
    pub fn to_hex(&self) -> Secret<String> {
        Secret::new(hex::encode(*self.0))
    }

    /// A short public name for the key (the start of a hash of it), to tell keys apart in logs
    /// and messages without revealing them.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"giftbuyer master key fingerprint\0")
            .chain_update(*self.0)
            .finalize();
        hex::encode(&digest[..6])
    }

    fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey(fingerprint {})", self.fingerprint())
    }
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
}

/// A secret column: the table and column names go into the associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) table: &'static str,
    pub(crate) column: &'static str,
}

pub(crate) const API_HASH: Field = Field {
    table: "api_profiles",
    column: "api_hash",
};
pub(crate) const PHONE: Field = Field {
    table: "accounts",
    column: "phone",
};
pub(crate) const SESSION_DATA: Field = Field {
    table: "account_sessions",
    column: "data",
};
pub(crate) const BOT_TOKEN: Field = Field {
    table: "user_settings",
    column: "bot_token",
};
pub(crate) const KEY_CHECK: Field = Field {
    table: "store_meta",
    column: "value",
};

/// The row a secret belongs to: its owner and its primary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RowKey {
    pub(crate) user: i64,
    pub(crate) row: i64,
}

/// The cipher under one master key.
pub(crate) struct Crypto {
    cipher: XChaCha20Poly1305,
    fingerprint: String,
}

impl fmt::Debug for Crypto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Crypto(key fingerprint {})", self.fingerprint)
    }
}

impl Crypto {
    pub(crate) fn new(key: &MasterKey) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(key.bytes().into()),
            fingerprint: key.fingerprint(),
        }
    }

    pub(crate) fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub(crate) fn seal(
        &self,
        field: Field,
        row: RowKey,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let nonce = XNonce::try_generate().map_err(|_| KeyError::Random)?;
        let aad = associated_data(field, row);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| Error::Encrypt {
                table: field.table,
                column: field.column,
            })?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(FORMAT_V1);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    pub(crate) fn open(&self, field: Field, row: RowKey, sealed: &[u8]) -> Result<Vec<u8>, Error> {
        let decrypt_error = || Error::Decrypt {
            table: field.table,
            column: field.column,
            row: format!("{} (user {})", row.row, row.user),
        };
        let Some((&FORMAT_V1, rest)) = sealed.split_first() else {
            return Err(decrypt_error());
        };
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(decrypt_error());
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| decrypt_error())?;
        let aad = associated_data(field, row);
        self.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| decrypt_error())
    }

    pub(crate) fn seal_str(&self, field: Field, row: RowKey, text: &str) -> Result<Vec<u8>, Error> {
        self.seal(field, row, text.as_bytes())
    }

    pub(crate) fn open_str(
        &self,
        field: Field,
        row: RowKey,
        sealed: &[u8],
    ) -> Result<Secret<String>, Error> {
        let bytes = self.open(field, row, sealed)?;
        String::from_utf8(bytes)
            .map(Secret::new)
            .map_err(|_| Error::corrupt(field.column, "decrypted value is not UTF-8"))
    }
}

/// `giftbuyer.v1 NUL table NUL column NUL user (8 bytes BE) row (8 bytes BE)`: NUL separators
/// and fixed-width numbers make the encoding unambiguous.
fn associated_data(field: Field, row: RowKey) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64);
    aad.extend_from_slice(b"giftbuyer.v1\0");
    aad.extend_from_slice(field.table.as_bytes());
    aad.push(0);
    aad.extend_from_slice(field.column.as_bytes());
    aad.push(0);
    aad.extend_from_slice(&row.user.to_be_bytes());
    aad.extend_from_slice(&row.row.to_be_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> MasterKey {
        MasterKey::from_bytes([byte; 32])
    }

    #[test]
    fn parses_hex_and_base64_and_names_the_problem() {
        let hex_key = "00".repeat(31) + "ff";
        assert_eq!(
            MasterKey::parse(&hex_key).map(|k| k.bytes()[31]).ok(),
            Some(0xff)
        );
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(
            MasterKey::parse(&format!(" {b64}\n"))
                .map(|k| k.bytes()[0])
                .ok(),
            Some(7)
        );
        let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0xfbu8; 32]);
        assert!(MasterKey::parse(&url_safe).is_ok());
        assert!(matches!(
            MasterKey::parse("zz".repeat(32).as_str()),
            Err(KeyError::Malformed { len: 64 })
        ));
        assert!(matches!(
            MasterKey::parse("not a key"),
            Err(KeyError::Malformed { len: 9 })
        ));
        let short = base64::engine::general_purpose::STANDARD.encode([1u8; 16]);
        assert!(matches!(
            MasterKey::parse(&short),
            Err(KeyError::WrongLength(16))
        ));
    }

    #[test]
    fn debug_shows_a_fingerprint_only() {
        let key = key(0xab);
        let shown = format!("{key:?}");
        assert!(!shown.contains("abab"), "{shown}");
        assert_eq!(
            shown,
            format!("MasterKey(fingerprint {})", key.fingerprint())
        );
        assert_ne!(
            key.fingerprint(),
            super::MasterKey::from_bytes([0; 32]).fingerprint()
        );
    }

    #[test]
    fn round_trips_and_binds_the_row() {
        let crypto = Crypto::new(&key(1));
        let row = RowKey { user: 1, row: 2 };
        let sealed = crypto.seal(BOT_TOKEN, row, b"123:abc").expect("seal");
        assert_eq!(sealed.len(), 1 + 24 + 7 + 16);
        assert_eq!(
            crypto.open(BOT_TOKEN, row, &sealed).expect("open"),
            b"123:abc"
        );
        // The same plaintext seals differently every time (fresh nonce).
        assert_ne!(
            sealed,
            crypto.seal(BOT_TOKEN, row, b"123:abc").expect("seal")
        );
        for (field, other) in [
            (BOT_TOKEN, RowKey { user: 2, row: 2 }),
            (BOT_TOKEN, RowKey { user: 1, row: 3 }),
            (PHONE, row),
        ] {
            assert!(matches!(
                crypto.open(field, other, &sealed),
                Err(Error::Decrypt { .. })
            ));
        }
        assert!(Crypto::new(&key(2)).open(BOT_TOKEN, row, &sealed).is_err());
        let mut flipped = sealed.clone();
        if let Some(last) = flipped.last_mut() {
            *last ^= 1;
        }
        assert!(crypto.open(BOT_TOKEN, row, &flipped).is_err());
        assert!(crypto.open(BOT_TOKEN, row, &[]).is_err());
        assert!(crypto.open(BOT_TOKEN, row, &[1, 2, 3]).is_err());
    }
}
