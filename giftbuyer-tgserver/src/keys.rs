//! The server's authorization keys. grammers pins Telegram's RSA keys, so no key exchange can
//! run against a local server: keys are minted here and handed to clients beforehand (in
//! process, or through the keys file). Each key belongs to one DC and, once a login succeeds
//! on it, to one user, as on Telegram; a revoked key answers `AUTH_KEY_UNREGISTERED`.
//!
//! With a state file the ring survives a restart of the server, so a client whose session was
//! reloaded from its store carries on without a new login.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use crate::crypto::AuthKey;

/// What the server knows of one key.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    pub dc: i32,
    pub key: AuthKey,
    /// The Telegram user logged in on this key, if any.
    pub user: Option<i64>,
    pub revoked: bool,
}

/// Why the key ring could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    #[error("key state file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("key state file {path} is not valid: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("the random source failed: {0}")]
    Random(getrandom::Error),
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    dc: i32,
    key: String,
    #[serde(default)]
    user: Option<i64>,
    #[serde(default)]
    revoked: bool,
}

#[derive(Serialize, Deserialize)]
struct StoredRing {
    /// The server's secret, 64 hex digits (see [`KeyRing::server_secret`]).
    secret: String,
    keys: Vec<StoredKey>,
}

/// All keys of all DCs, shared by the listeners.
#[derive(Debug, Clone)]
pub struct KeyRing {
    inner: Arc<Mutex<Ring>>,
}

#[derive(Default)]
struct Ring {
    secret: [u8; 32],
    keys: HashMap<u64, KeyEntry>,
    /// Keys in the order they were minted, so the state file is stable.
    order: Vec<u64>,
    path: Option<PathBuf>,
}

impl KeyRing {
    /// A ring kept in memory only.
    pub fn in_memory() -> Self {
        let ring = Ring {
            secret: fresh_secret(),
            ..Ring::default()
        };
        Self {
            inner: Arc::new(Mutex::new(ring)),
        }
    }

    /// A secret kept with the keys, for what else must survive a restart unchanged (the access
    /// hashes a backend hands out, which clients cache in their sessions).
    pub fn server_secret(&self) -> [u8; 32] {
        self.lock().secret
    }

    /// A ring kept in `path`, loaded from it when it exists.
    pub fn open(path: PathBuf) -> Result<Self, KeyRingError> {
        let mut ring = Ring {
            path: Some(path.clone()),
            secret: fresh_secret(),
            ..Ring::default()
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                let stored: StoredRing =
                    serde_json::from_slice(&bytes).map_err(|error| KeyRingError::Invalid {
                        path: path.clone(),
                        reason: error.to_string(),
                    })?;
                ring.secret = hex::decode(&stored.secret)
                    .ok()
                    .and_then(|bytes| bytes.try_into().ok())
                    .ok_or_else(|| KeyRingError::Invalid {
                        path: path.clone(),
                        reason: "the secret is not 64 hex digits".into(),
                    })?;
                for entry in stored.keys {
                    let key = decode_key(&entry.key).ok_or_else(|| KeyRingError::Invalid {
                        path: path.clone(),
                        reason: "a key is not 512 hex digits".into(),
                    })?;
                    let id = key.id();
                    ring.order.push(id);
                    ring.keys.insert(
                        id,
                        KeyEntry {
                            dc: entry.dc,
                            key,
                            user: entry.user,
                            revoked: entry.revoked,
                        },
                    );
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(KeyRingError::Io { path, source }),
        }
        Ok(Self {
            inner: Arc::new(Mutex::new(ring)),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Ring> {
        // The ring holds plain data that every change leaves consistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a fresh key for `dc` and returns it.
    pub fn mint(&self, dc: i32) -> Result<AuthKey, KeyRingError> {
        let key = AuthKey::generate().map_err(KeyRingError::Random)?;
        let mut ring = self.lock();
        ring.order.push(key.id());
        ring.keys.insert(
            key.id(),
            KeyEntry {
                dc,
                key: key.clone(),
                user: None,
                revoked: false,
            },
        );
        ring.save()?;
        Ok(key)
    }

    pub fn get(&self, key_id: u64) -> Option<KeyEntry> {
        self.lock().keys.get(&key_id).cloned()
    }

    /// Binds a key to the user who logged in on it.
    pub fn authorize(&self, key_id: u64, user: i64) -> Result<(), KeyRingError> {
        let mut ring = self.lock();
        if let Some(entry) = ring.keys.get_mut(&key_id) {
            entry.user = Some(user);
        }
        ring.save()
    }

    /// Ends the authorization on a key, as a session terminated from another device does:
    /// every later call on it answers `AUTH_KEY_UNREGISTERED`. Returns whether it existed.
    pub fn revoke(&self, key_id: u64) -> Result<bool, KeyRingError> {
        let mut ring = self.lock();
        let found = match ring.keys.get_mut(&key_id) {
            Some(entry) => {
                entry.revoked = true;
                entry.user = None;
                true
            }
            None => false,
        };
        ring.save()?;
        Ok(found)
    }

    /// Revokes every key on which `user` is logged in; returns how many.
    pub fn revoke_user(&self, user: i64) -> Result<usize, KeyRingError> {
        let mut ring = self.lock();
        let mut count = 0;
        for entry in ring.keys.values_mut() {
            if entry.user == Some(user) {
                entry.user = None;
                entry.revoked = true;
                count += 1;
            }
        }
        ring.save()?;
        Ok(count)
    }

    /// The keys on which `user` is logged in.
    pub fn keys_of(&self, user: i64) -> Vec<u64> {
        let ring = self.lock();
        ring.order
            .iter()
            .filter(|id| {
                ring.keys
                    .get(id)
                    .is_some_and(|entry| entry.user == Some(user))
            })
            .copied()
            .collect()
    }

    /// Keys of `dc` that nobody has used yet, in minting order.
    pub fn unbound(&self, dc: i32) -> Vec<AuthKey> {
        let ring = self.lock();
        ring.order
            .iter()
            .filter_map(|id| ring.keys.get(id))
            .filter(|entry| entry.dc == dc && entry.user.is_none() && !entry.revoked)
            .map(|entry| entry.key.clone())
            .collect()
    }
}

impl Ring {
    fn save(&self) -> Result<(), KeyRingError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let stored = StoredRing {
            secret: hex::encode(self.secret),
            keys: self
                .order
                .iter()
                .filter_map(|id| self.keys.get(id))
                .map(|entry| StoredKey {
                    dc: entry.dc,
                    key: hex::encode(entry.key.to_bytes()),
                    user: entry.user,
                    revoked: entry.revoked,
                })
                .collect(),
        };
        let bytes = serde_json::to_vec_pretty(&stored).map_err(|error| KeyRingError::Invalid {
            path: path.clone(),
            reason: error.to_string(),
        })?;
        write_private(path, &bytes)
    }
}

fn fresh_secret() -> [u8; 32] {
    let mut secret = [0u8; 32];
    // Without randomness the secret is guessable, which a loopback test server can live with.
    let _ = getrandom::fill(&mut secret);
    secret
}

impl std::fmt::Debug for Ring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither the secret nor the keys are shown.
        f.debug_struct("Ring")
            .field("keys", &self.keys.len())
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Writes a file holding key material: replaced atomically, readable by its owner only.
pub fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<(), KeyRingError> {
    giftbuyer_telegram::dc_override::write_private(path, bytes).map_err(|source| KeyRingError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a key written as 512 hex digits.
pub fn decode_key(text: &str) -> Option<AuthKey> {
    let bytes: [u8; 256] = hex::decode(text).ok()?.try_into().ok()?;
    Some(AuthKey::from_bytes(bytes))
}
