//! Passwords: the policy a new password must meet, and argon2id hashing and verification, which
//! run on tokio's blocking pool because one hash takes tens of milliseconds of CPU.

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};
use giftbuyer_core::ports::{Secret, Username};

use crate::error::ApiError;
use crate::state::{ConfigError, PasswordHashing};

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password accepted, in characters: long passphrases are welcome, megabytes are
/// not.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Passwords people pick first, in lower case. Most are shorter than the minimum length and
/// already refused by it; the list is there for the long ones (`password123`, `qwertyuiop`)
/// and as a guard should the minimum ever be lowered.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
});

/// Why a new password is refused, as a phrase that follows the field name.
pub(crate) fn check_policy(password: &str, username: &Username) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!("must be at least {MIN_PASSWORD_CHARS} characters"));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!("must be at most {MAX_PASSWORD_CHARS} characters"));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(lower.as_str()) {
        return Err("is one of the most common passwords; choose another".into());
    }
    if lower == username.as_str() {
        return Err("must not be the username".into());
    }
    let mut chars = password.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err("must not repeat a single character".into());
    }
    Ok(())
}

/// The argon2id hasher with the configured cost, and a hash of a random password to verify
/// against when a login names a user that does not exist.
pub(crate) struct Passwords {
    argon: Argon2<'static>,
    dummy_hash: String,
}

impl Passwords {
    pub(crate) fn new(cost: PasswordHashing) -> Result<Self, ConfigError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|error| ConfigError::PasswordHashing(error.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut random = [0u8; 32];
        getrandom::fill(&mut random)
            .map_err(|error| ConfigError::PasswordHashing(error.to_string()))?;
        let dummy_hash = argon
            .hash_password(&random)
            .map_err(|error| ConfigError::PasswordHashing(error.to_string()))?
            .to_string();
        Ok(Self { argon, dummy_hash })
    }

    /// The PHC string (`$argon2id$v=19$m=...`) of a new password.
    pub(crate) async fn hash(&self, password: Secret<String>) -> Result<String, ApiError> {
        let argon = self.argon.clone();
        tokio::task::spawn_blocking(move || {
            argon
                .hash_password(password.expose().as_bytes())
                .map(|hash| hash.to_string())
        })
        .await
        .map_err(|error| ApiError::internal("password hashing task failed", error))?
        .map_err(|error| ApiError::internal("password hashing failed", error))
    }

    /// Whether `password` matches `stored`. Without a stored hash (an unknown user), the
    /// password is checked against the dummy hash, which costs the same time, and the answer is
    /// always no.
    pub(crate) async fn verify(
        &self,
        password: Secret<String>,
        stored: Option<Secret<String>>,
    ) -> Result<bool, ApiError> {
        let argon = self.argon.clone();
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| Secret::new(self.dummy_hash.clone()));
        let outcome = tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(hash.expose())?;
            match argon.verify_password(password.expose().as_bytes(), &parsed) {
                Ok(()) => Ok(true),
                Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
                Err(error) => Err(error),
            }
        })
        .await
        .map_err(|error| ApiError::internal("password verification task failed", error))?
        .map_err(|error| ApiError::internal("stored password hash is unusable", error))?;
        Ok(known && outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> Username {
        Username::new(name).expect("valid username")
    }

    #[test]
    fn policy_counts_characters_not_bytes() {
        let alice = user("alice");
        assert!(
            check_policy("короткий9", &alice).is_err(),
            "9 chars, 17 bytes"
        );
        assert_eq!(check_policy("длинный-пароль", &alice), Ok(()));
        assert!(check_policy(&"x1".repeat(129), &alice).is_err());
        assert_eq!(check_policy(&"x1".repeat(128), &alice), Ok(()));
    }

    #[test]
    fn policy_refuses_common_passwords_and_the_username() {
        let alice = user("alice");
        for weak in ["Password123", "QWERTYUIOP", "1234567890", "iloveyou123"] {
            assert!(check_policy(weak, &alice).is_err(), "{weak} is common");
        }
        assert!(check_policy("aaaaaaaaaaaa", &alice).is_err());
        let long_name = user("alexander_the_great");
        assert!(check_policy("Alexander_The_Great", &long_name).is_err());
        assert_eq!(check_policy("correct horse battery", &alice), Ok(()));
    }

    #[test]
    fn the_common_list_is_lower_case_and_sizeable() {
        assert!(COMMON.len() >= 300, "{} entries", COMMON.len());
        assert!(COMMON.iter().all(|p| *p == p.to_lowercase()));
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let cost = PasswordHashing {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        };
        let passwords = Passwords::new(cost).expect("params");
        let secret = |text: &str| Secret::new(text.to_owned());
        let hash = passwords
            .hash(secret("a long passphrase"))
            .await
            .expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        let stored = Some(secret(&hash));
        assert_eq!(
            passwords
                .verify(secret("a long passphrase"), stored.clone())
                .await,
            Ok(true)
        );
        assert_eq!(passwords.verify(secret("wrong"), stored).await, Ok(false));
        assert_eq!(passwords.verify(secret("anything"), None).await, Ok(false));
        assert_eq!(
            passwords
                .verify(secret("x"), Some(secret("not a hash")))
                .await,
            Err(ApiError::Internal)
        );
    }
}
