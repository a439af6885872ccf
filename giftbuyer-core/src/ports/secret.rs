//! `Secret`, a value that must not end up in logs: API hashes, bot tokens, phone numbers and
//! Telegram session keys.

use std::fmt;

/// A value that is never printed. `Debug` shows `Secret([redacted])`, and there is no `Display`,
/// so a secret cannot reach a log line or an error message through formatting by accident.
///
/// Reading the value takes an explicit [`Secret::expose`], which is easy to search for in a
/// review. The wrapper does not wipe memory on drop: the core has no dependencies for that, and
/// the values it guards are already decrypted in the process that uses them.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub const fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret value itself; every call is a place where the secret leaves its wrapper.
    pub const fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_exposed(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new(String::from("123456:ABC-token"));
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
        assert_eq!(
            format!("{:?}", Some(Secret::new(vec![1u8, 2]))),
            "Some(Secret([redacted]))"
        );
        assert_eq!(secret.expose(), "123456:ABC-token");
    }
}
