//! What clients need to reach the server: fresh pre-shared keys for each new session, handed
//! to `giftbuyer-telegram` in process ([`KeyIssuer`], its `DcOverride`) or through the keys
//! file a standalone server writes ([`write_keys_file`]).

use std::net::SocketAddr;
use std::path::Path;

use giftbuyer_telegram::dc_override::{
    DcOverride, DcOverrideError, DcSeed, KEYS_FILE_FORMAT, KeysFileContent, KeysFileDc, SeedDc,
    check_loopback,
};

use crate::keys::{KeyRing, KeyRingError};
use crate::server::DcAddress;

/// Mints one key per DC for each new client session.
#[derive(Debug, Clone)]
pub struct KeyIssuer {
    dcs: Vec<DcAddress>,
    home_dc: i32,
    keys: KeyRing,
}

impl KeyIssuer {
    pub(crate) fn new(dcs: Vec<DcAddress>, home_dc: i32, keys: KeyRing) -> Self {
        Self { dcs, home_dc, keys }
    }
}

impl DcOverride for KeyIssuer {
    fn fresh_session(&self) -> Result<DcSeed, DcOverrideError> {
        let mut dcs = Vec::with_capacity(self.dcs.len());
        for dc in &self.dcs {
            check_loopback(dc.addr)?;
            let SocketAddr::V4(addr) = dc.addr else {
                return Err(DcOverrideError::NotLoopback(dc.addr));
            };
            let key = self
                .keys
                .mint(dc.id)
                .map_err(|_| DcOverrideError::Exhausted(dc.id))?;
            dcs.push(SeedDc {
                id: dc.id,
                addr,
                auth_key: key.to_bytes(),
            });
        }
        Ok(DcSeed {
            home_dc: self.home_dc,
            dcs,
        })
    }
}

/// Mints `per_dc` unused keys for every DC and writes them with the DC addresses to `path`
/// (mode 0600), in the format `giftbuyer serve --telegram-dc-override` reads.
pub fn write_keys_file(
    path: &Path,
    dcs: &[DcAddress],
    home_dc: i32,
    keys: &KeyRing,
    per_dc: usize,
) -> Result<(), KeyRingError> {
    let mut content = KeysFileContent {
        format: KEYS_FILE_FORMAT.to_owned(),
        home_dc,
        dcs: Vec::with_capacity(dcs.len()),
    };
    for dc in dcs {
        let mut minted = Vec::with_capacity(per_dc);
        for _ in 0..per_dc {
            minted.push(hex::encode(keys.mint(dc.id)?.to_bytes()));
        }
        content.dcs.push(KeysFileDc {
            id: dc.id,
            addr: dc.addr,
            keys: minted,
        });
    }
    let bytes = serde_json::to_vec_pretty(&content).map_err(|error| KeyRingError::Invalid {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    crate::keys::write_private(path, &bytes)
}
