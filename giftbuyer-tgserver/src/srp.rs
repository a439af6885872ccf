//! Two-step verification as Telegram checks it (<https://core.telegram.org/api/srp>): the
//! server keeps the verifier `v = g^x mod p` of the password, sends `B = k*v + g^b`, and checks
//! the client's `M1` without ever seeing the password on the wire.

use num_bigint::BigUint;
use sha2::{Digest, Sha256, Sha512};

/// The generator that goes with Telegram's prime.
pub const G: i32 = 3;

/// Telegram's SRP prime, big-endian.
pub fn prime() -> Vec<u8> {
    // The one every Telegram account's password uses today, which clients accept without
    // testing it again.
    hex::decode(giftbuyer_telegram::login::TELEGRAM_PRIME_HEX).unwrap_or_default()
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// `SH(data, salt) = H(salt | data | salt)`.
fn salted(data: &[u8], salt: &[u8]) -> [u8; 32] {
    sha256(&[salt, data, salt])
}

/// `PH2(password, salt1, salt2)`: the password stretched by PBKDF2-HMAC-SHA512 (100 000
/// rounds) between two salted hashes, as `passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow` names it.
pub fn password_hash(password: &[u8], salt1: &[u8], salt2: &[u8]) -> [u8; 32] {
    let ph1 = salted(&salted(password, salt1), salt2);
    let mut stretched = [0u8; 64];
    pbkdf2::pbkdf2_hmac::<Sha512>(&ph1, salt1, 100_000, &mut stretched);
    salted(&stretched, salt2)
}

fn pad256(value: &BigUint) -> [u8; 256] {
    let bytes = value.to_bytes_be();
    let mut out = [0u8; 256];
    let len = bytes.len().min(256);
    out[256 - len..].copy_from_slice(&bytes[bytes.len() - len..]);
    out
}

/// The server's half of one password check: the secret `b` and the public `B` it sent.
#[derive(Clone)]
pub struct Challenge {
    b: BigUint,
    /// `B`, 256 bytes big-endian, as `account.password.srp_B` carries it.
    pub g_b: [u8; 256],
    /// The verifier `v = g^x mod p`.
    v: BigUint,
}

impl std::fmt::Debug for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Challenge").finish_non_exhaustive()
    }
}

/// `k = H(p | pad(g))`.
fn multiplier(p: &BigUint) -> BigUint {
    let g = pad256(&BigUint::from(G as u32));
    BigUint::from_bytes_be(&sha256(&[&pad256(p), &g]))
}

impl Challenge {
    /// A challenge for the password whose hash is `x` (see [`password_hash`]), with the
    /// server's secret `b` (256 random bytes).
    pub fn new(x: &[u8; 32], b_bytes: &[u8; 256]) -> Self {
        let p = BigUint::from_bytes_be(&prime());
        let g = BigUint::from(G as u32);
        let v = g.modpow(&BigUint::from_bytes_be(x), &p);
        let b = BigUint::from_bytes_be(b_bytes) % &p;
        let g_b = (multiplier(&p) * &v + g.modpow(&b, &p)) % &p;
        Self {
            b,
            g_b: pad256(&g_b),
            v,
        }
    }

    /// Whether the client's `A` and `M1` prove it knows the password.
    pub fn verify(&self, salt1: &[u8], salt2: &[u8], g_a: &[u8], m1: &[u8]) -> bool {
        let p = BigUint::from_bytes_be(&prime());
        let a = BigUint::from_bytes_be(g_a);
        // A must lie strictly between 1 and p - 1, or the shared secret is predictable.
        if g_a.len() > 256 || a <= BigUint::from(1u32) || a >= &p - BigUint::from(1u32) {
            return false;
        }
        let g_a = pad256(&a);
        let u = BigUint::from_bytes_be(&sha256(&[&g_a, &self.g_b]));
        let s = (a * self.v.modpow(&u, &p)).modpow(&self.b, &p);
        let k_a = sha256(&[&pad256(&s)]);
        let h_p = sha256(&[&pad256(&p)]);
        let h_g = sha256(&[&pad256(&BigUint::from(G as u32))]);
        let mut p_xor_g = [0u8; 32];
        for (out, (x, y)) in p_xor_g.iter_mut().zip(h_p.iter().zip(h_g.iter())) {
            *out = x ^ y;
        }
        let expected = sha256(&[
            &p_xor_g,
            &sha256(&[salt1]),
            &sha256(&[salt2]),
            &g_a,
            &self.g_b,
            &k_a,
        ]);
        // Both sides are public hashes; a constant-time comparison still costs nothing.
        m1.len() == 32
            && expected
                .iter()
                .zip(m1)
                .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammers_answers_pass_and_a_wrong_password_fails() {
        let salt1 = [1u8; 40];
        let salt2 = [2u8; 16];
        let x = password_hash(b"hunter2", &salt1, &salt2);
        let challenge = Challenge::new(&x, &[9u8; 256]);
        let (m1, g_a) = grammers_crypto::two_factor_auth::calculate_2fa(
            &salt1,
            &salt2,
            &prime(),
            &G,
            challenge.g_b.to_vec(),
            vec![7u8; 256],
            "hunter2",
        );
        assert!(challenge.verify(&salt1, &salt2, &g_a, &m1));
        let (m1, g_a) = grammers_crypto::two_factor_auth::calculate_2fa(
            &salt1,
            &salt2,
            &prime(),
            &G,
            challenge.g_b.to_vec(),
            vec![7u8; 256],
            "hunter3",
        );
        assert!(!challenge.verify(&salt1, &salt2, &g_a, &m1));
        assert!(!challenge.verify(&salt1, &salt2, &[1], &m1));
    }
}
