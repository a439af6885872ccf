//! MTProto 2.0 encryption as the server does it: decrypting what a client sent (x = 0) and
//! encrypting what the server sends (x = 8), with AES-256-IGE keyed from SHA-256 of the auth key
//! and the message key, as <https://core.telegram.org/mtproto/description> defines them.

use sha1::Sha1;
use sha2::{Digest, Sha256};

/// A 2048-bit authorization key with the identifiers derived from it.
#[derive(Clone)]
pub struct AuthKey {
    data: [u8; 256],
    id: u64,
}

impl AuthKey {
    pub fn from_bytes(data: [u8; 256]) -> Self {
        // auth_key_id is the 64 lower-order bits of SHA1(auth_key): bytes 12..20 of the hash.
        let sha = Sha1::digest(data);
        let mut id = [0; 8];
        id.copy_from_slice(&sha[12..20]);
        Self {
            data,
            id: u64::from_le_bytes(id),
        }
    }

    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut data = [0; 256];
        getrandom::fill(&mut data)?;
        Ok(Self::from_bytes(data))
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn to_bytes(&self) -> [u8; 256] {
        self.data
    }
}

impl std::fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key itself is a secret: only its public identifier is shown.
        f.debug_struct("AuthKey")
            .field("id", &format_args!("{:016x}", self.id))
            .finish_non_exhaustive()
    }
}

/// Who wrote a message, which selects the offset `x` into the auth key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    ClientToServer,
    ServerToClient,
}

impl Direction {
    fn x(self) -> usize {
        match self {
            Direction::ClientToServer => 0,
            Direction::ServerToClient => 8,
        }
    }
}

/// Why an encrypted packet was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("encrypted packet of {0} bytes is not 24 bytes of header plus whole AES blocks")]
    BadLength(usize),
    #[error("msg_key does not match the decrypted message")]
    BadMsgKey,
    #[error("decrypted message has an impossible length field or padding")]
    BadPadding,
}

fn msg_key(key: &AuthKey, plaintext: &[u8], direction: Direction) -> [u8; 16] {
    let x = direction.x();
    // msg_key_large = SHA256(substr(auth_key, 88 + x, 32) + plaintext + random_padding)
    let large = Sha256::new()
        .chain_update(&key.data[88 + x..88 + x + 32])
        .chain_update(plaintext)
        .finalize();
    let mut out = [0; 16];
    out.copy_from_slice(&large[8..24]);
    out
}

fn aes_key_iv(key: &AuthKey, msg_key: &[u8; 16], direction: Direction) -> ([u8; 32], [u8; 32]) {
    let x = direction.x();
    let a = Sha256::new()
        .chain_update(msg_key)
        .chain_update(&key.data[x..x + 36])
        .finalize();
    let b = Sha256::new()
        .chain_update(&key.data[40 + x..40 + x + 36])
        .chain_update(msg_key)
        .finalize();
    let mut aes_key = [0; 32];
    aes_key[..8].copy_from_slice(&a[..8]);
    aes_key[8..24].copy_from_slice(&b[8..24]);
    aes_key[24..].copy_from_slice(&a[24..32]);
    let mut aes_iv = [0; 32];
    aes_iv[..8].copy_from_slice(&b[..8]);
    aes_iv[8..24].copy_from_slice(&a[8..24]);
    aes_iv[24..].copy_from_slice(&b[24..32]);
    (aes_key, aes_iv)
}

/// Reads the auth_key_id of an encrypted packet (its first eight bytes), 0 for a plain one.
pub fn packet_key_id(packet: &[u8]) -> Option<u64> {
    packet
        .get(..8)
        .and_then(|id| id.try_into().ok())
        .map(u64::from_le_bytes)
}

/// Decrypts a packet a client encrypted with `key` and returns its plaintext: salt, session
/// id, msg_id, seq_no, length and body, followed by the padding (the caller reads the length).
///
/// The msg_key is checked against the decrypted plaintext, including its padding, as MTProto
/// 2.0 requires; a packet that fails is refused without looking at its content.
pub fn decrypt_from_client(key: &AuthKey, packet: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if packet.len() < 24 + 32 || !(packet.len() - 24).is_multiple_of(16) {
        return Err(CryptoError::BadLength(packet.len()));
    }
    let mut msg_key_bytes = [0; 16];
    msg_key_bytes.copy_from_slice(&packet[8..24]);
    let (aes_key, aes_iv) = aes_key_iv(key, &msg_key_bytes, Direction::ClientToServer);
    let mut plaintext = packet[24..].to_vec();
    grammers_crypto::aes::ige_decrypt(&mut plaintext, &aes_key, &aes_iv);
    if msg_key(key, &plaintext, Direction::ClientToServer) != msg_key_bytes {
        return Err(CryptoError::BadMsgKey);
    }
    // The padding must be 12 to 1024 bytes beyond the message's own 32-byte header and body.
    let length = u32::from_le_bytes([plaintext[28], plaintext[29], plaintext[30], plaintext[31]]);
    let used = 32usize.saturating_add(length as usize);
    let padding = plaintext.len().checked_sub(used);
    if !length.is_multiple_of(4) || !matches!(padding, Some(12..=1024)) {
        return Err(CryptoError::BadPadding);
    }
    Ok(plaintext)
}

/// Encrypts a server message (salt, session id, msg_id, seq_no, length, body) for the client,
/// adding 12 to 1024 bytes of random padding so the whole is a multiple of 16 bytes.
pub fn encrypt_for_client(key: &AuthKey, mut plaintext: Vec<u8>) -> Vec<u8> {
    let mut padding_len = 16 - (plaintext.len() % 16);
    if padding_len < 12 {
        padding_len += 16;
    }
    let mut padding = [0u8; 32];
    // A failing random source would leave zero padding, which is still valid MTProto; the
    // padding hides lengths, it carries no secret.
    let _ = getrandom::fill(&mut padding[..padding_len]);
    plaintext.extend_from_slice(&padding[..padding_len]);
    let msg_key_bytes = msg_key(key, &plaintext, Direction::ServerToClient);
    let (aes_key, aes_iv) = aes_key_iv(key, &msg_key_bytes, Direction::ServerToClient);
    grammers_crypto::aes::ige_encrypt(&mut plaintext, &aes_key, &aes_iv);
    let mut packet = Vec::with_capacity(24 + plaintext.len());
    packet.extend_from_slice(&key.id.to_le_bytes());
    packet.extend_from_slice(&msg_key_bytes);
    packet.extend_from_slice(&plaintext);
    packet
}

#[cfg(test)]
mod tests {
    use super::*;
    use grammers_crypto::DequeBuffer;

    fn key() -> AuthKey {
        let mut data = [0u8; 256];
        for (i, byte) in data.iter_mut().enumerate() {
            *byte = (i * 7 + 3) as u8;
        }
        AuthKey::from_bytes(data)
    }

    fn message(body: &[u8]) -> Vec<u8> {
        let mut plain = Vec::new();
        plain.extend_from_slice(&7i64.to_le_bytes()); // salt
        plain.extend_from_slice(&9i64.to_le_bytes()); // session id
        plain.extend_from_slice(&(1i64 << 32).to_le_bytes()); // msg_id
        plain.extend_from_slice(&1i32.to_le_bytes()); // seq_no
        plain.extend_from_slice(&(body.len() as i32).to_le_bytes());
        plain.extend_from_slice(body);
        plain
    }

    #[test]
    fn key_id_matches_grammers() {
        let ours = key();
        let theirs = grammers_crypto::AuthKey::from_bytes(ours.to_bytes());
        let debug = format!("{theirs:?}");
        assert!(
            debug.contains(&ours.id().to_string()),
            "{debug} vs {}",
            ours.id()
        );
    }

    #[test]
    fn a_grammers_client_packet_decrypts_and_a_server_packet_decrypts_in_grammers() {
        let key = key();
        let plain = message(b"ping");
        let mut buffer = DequeBuffer::with_capacity(0, 0);
        buffer.extend(plain.iter().copied());
        grammers_crypto::encrypt_data_v2(
            &mut buffer,
            &grammers_crypto::AuthKey::from_bytes(key.to_bytes()),
        );
        let decrypted = decrypt_from_client(&key, &buffer[..]).expect("decrypts");
        assert_eq!(&decrypted[..plain.len()], &plain[..]);

        let mut packet = encrypt_for_client(&key, plain.clone());
        let theirs = grammers_crypto::AuthKey::from_bytes(key.to_bytes());
        let opened =
            grammers_crypto::decrypt_data_v2(&mut packet, &theirs).expect("grammers opens it");
        assert_eq!(&opened[..plain.len()], &plain[..]);
    }

    #[test]
    fn a_flipped_bit_is_refused_by_msg_key() {
        let key = key();
        let mut buffer = DequeBuffer::with_capacity(0, 0);
        buffer.extend(message(b"ping").iter().copied());
        grammers_crypto::encrypt_data_v2(
            &mut buffer,
            &grammers_crypto::AuthKey::from_bytes(key.to_bytes()),
        );
        let mut packet = buffer[..].to_vec();
        let last = packet.len() - 1;
        packet[last] ^= 1;
        assert_eq!(
            decrypt_from_client(&key, &packet),
            Err(CryptoError::BadMsgKey)
        );
        assert_eq!(
            decrypt_from_client(&key, &packet[..40]),
            Err(CryptoError::BadLength(40))
        );
    }
}
