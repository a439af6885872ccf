//! Telegram's data centres replaced, for new sessions only, by a local MTProto server's (the
//! loopback Telegram of `giftbuyer-tgserver`): its DC addresses and one pre-shared auth key per
//! DC. grammers pins Telegram's RSA keys, so no key exchange can run against such a server;
//! the keys come from the server instead, in process or through its keys file.
//!
//! Sessions created this way keep the addresses and keys in their stored blob like any other,
//! so accounts logged in once carry on after a restart without the override being consulted.

use std::fmt;
use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use grammers_session::SessionData;
use grammers_session::types::DcOption;
use serde::{Deserialize, Serialize};

/// One data centre of a new session.
#[derive(Clone, PartialEq, Eq)]
pub struct SeedDc {
    pub id: i32,
    pub addr: SocketAddrV4,
    pub auth_key: [u8; 256],
}

impl fmt::Debug for SeedDc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key is a secret.
        f.debug_struct("SeedDc")
            .field("id", &self.id)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// What a new session starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DcSeed {
    pub home_dc: i32,
    pub dcs: Vec<SeedDc>,
}

impl DcSeed {
    /// grammers' session data for the seed.
    pub fn session_data(&self) -> SessionData {
        let dc_options = self
            .dcs
            .iter()
            .map(|dc| {
                let ipv6 = SocketAddrV6::new(dc.addr.ip().to_ipv6_mapped(), dc.addr.port(), 0, 0);
                (
                    dc.id,
                    DcOption {
                        id: dc.id,
                        ipv4: dc.addr,
                        ipv6,
                        auth_key: Some(dc.auth_key),
                    },
                )
            })
            .collect();
        SessionData {
            home_dc: self.home_dc,
            dc_options,
            ..SessionData::default()
        }
    }
}

/// Why no seed could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DcOverrideError {
    #[error("dc override file {path}: {reason}")]
    File { path: String, reason: String },
    #[error(
        "dc override address {0} is not a loopback address; the override only serves a local test telegram"
    )]
    NotLoopback(SocketAddr),
    #[error(
        "the dc override has no unused key left for dc {0}; restart the loopback telegram with more keys"
    )]
    Exhausted(i32),
    #[error("the dc override has no dc {0}, its home dc")]
    NoHomeDc(i32),
}

/// Hands out the DCs and fresh keys of a local Telegram for each new session.
pub trait DcOverride: Send + Sync + fmt::Debug {
    fn fresh_session(&self) -> Result<DcSeed, DcOverrideError>;
}

/// Refuses anything but a loopback address: the override exists for a local test server, and
/// pointing real accounts' sessions at another host would hand that host their logins.
pub fn check_loopback(addr: SocketAddr) -> Result<(), DcOverrideError> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(DcOverrideError::NotLoopback(addr))
    }
}

/// The keys file a standalone loopback Telegram writes: its DCs, its home DC, and a pool of
/// unused pre-shared keys per DC. Each new session takes one key per DC and removes it from the
/// file, so two sessions never share a key, even across restarts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysFileContent {
    /// Always [`KEYS_FILE_FORMAT`].
    pub format: String,
    pub home_dc: i32,
    pub dcs: Vec<KeysFileDc>,
}

/// One DC in the keys file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysFileDc {
    pub id: i32,
    pub addr: SocketAddr,
    /// Unused keys, 512 hex digits each.
    pub keys: Vec<String>,
}

/// The `format` of a keys file.
pub const KEYS_FILE_FORMAT: &str = "giftbuyer-loopback-telegram-keys/1";

/// A [`DcOverride`] that takes keys out of a keys file.
#[derive(Debug)]
pub struct KeysFile {
    path: PathBuf,
    /// Serialises takers in this process; the file is written atomically.
    lock: Mutex<()>,
}

impl KeysFile {
    /// Opens and checks the file once, so a bad path fails at start rather than at a login.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, DcOverrideError> {
        let keys = Self {
            path: path.into(),
            lock: Mutex::new(()),
        };
        let content = keys.read()?;
        for dc in &content.dcs {
            check_loopback(dc.addr)?;
        }
        if !content.dcs.iter().any(|dc| dc.id == content.home_dc) {
            return Err(DcOverrideError::NoHomeDc(content.home_dc));
        }
        Ok(keys)
    }

    fn error(&self, reason: impl fmt::Display) -> DcOverrideError {
        DcOverrideError::File {
            path: self.path.display().to_string(),
            reason: reason.to_string(),
        }
    }

    fn read(&self) -> Result<KeysFileContent, DcOverrideError> {
        let bytes = std::fs::read(&self.path).map_err(|error| self.error(error))?;
        let content: KeysFileContent =
            serde_json::from_slice(&bytes).map_err(|error| self.error(error))?;
        if content.format != KEYS_FILE_FORMAT {
            return Err(self.error(format_args!(
                "format is {:?}, expected {KEYS_FILE_FORMAT:?}",
                content.format
            )));
        }
        Ok(content)
    }

    fn write(&self, content: &KeysFileContent) -> Result<(), DcOverrideError> {
        let bytes = serde_json::to_vec_pretty(content).map_err(|error| self.error(error))?;
        write_private(&self.path, &bytes).map_err(|error| self.error(error))
    }
}

impl DcOverride for KeysFile {
    fn fresh_session(&self) -> Result<DcSeed, DcOverrideError> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut content = self.read()?;
        let mut dcs = Vec::with_capacity(content.dcs.len());
        for dc in &mut content.dcs {
            check_loopback(dc.addr)?;
            let SocketAddr::V4(addr) = dc.addr else {
                return Err(self.error(format_args!("dc {} is not an IPv4 address", dc.id)));
            };
            let hex_key = dc.keys.pop().ok_or(DcOverrideError::Exhausted(dc.id))?;
            let auth_key = decode_key(&hex_key).ok_or_else(|| {
                self.error(format_args!("a key of dc {} is not 512 hex digits", dc.id))
            })?;
            dcs.push(SeedDc {
                id: dc.id,
                addr,
                auth_key,
            });
        }
        // The keys leave the file before any session uses them.
        self.write(&content)?;
        Ok(DcSeed {
            home_dc: content.home_dc,
            dcs,
        })
    }
}

fn decode_key(text: &str) -> Option<[u8; 256]> {
    if text.len() != 512 {
        return None;
    }
    let mut key = [0u8; 256];
    for (byte, pair) in key.iter_mut().zip(text.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(key)
}

/// Writes a file holding key material: replaced atomically, readable by its owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(dir: &Path, addr: &str, keys: usize) -> PathBuf {
        let content = KeysFileContent {
            format: KEYS_FILE_FORMAT.into(),
            home_dc: 2,
            dcs: [1, 2]
                .into_iter()
                .map(|id| KeysFileDc {
                    id,
                    addr: addr.parse().expect("addr"),
                    keys: (0..keys).map(|n| format!("{n:02x}").repeat(256)).collect(),
                })
                .collect(),
        };
        let path = dir.join("keys.json");
        std::fs::write(&path, serde_json::to_vec(&content).expect("json")).expect("write");
        path
    }

    #[test]
    fn each_session_takes_its_own_keys_until_none_are_left() {
        let dir = tempfile::tempdir().expect("dir");
        let keys = KeysFile::open(file_with(dir.path(), "127.0.0.1:4000", 2)).expect("opens");
        let first = keys.fresh_session().expect("first");
        let second = keys.fresh_session().expect("second");
        assert_eq!(first.home_dc, 2);
        assert_eq!(first.dcs.len(), 2);
        assert_ne!(first.dcs[0].auth_key, second.dcs[0].auth_key);
        assert_eq!(keys.fresh_session(), Err(DcOverrideError::Exhausted(1)));
        let data = first.session_data();
        assert_eq!(data.home_dc, 2);
        assert!(data.dc_options[&1].auth_key.is_some());
    }

    #[test]
    fn only_loopback_addresses_are_accepted() {
        let dir = tempfile::tempdir().expect("dir");
        let error =
            KeysFile::open(file_with(dir.path(), "149.154.167.50:443", 1)).expect_err("refused");
        assert!(matches!(error, DcOverrideError::NotLoopback(_)));
    }
}
