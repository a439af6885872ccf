//! The TCP framings of MTProto (<https://core.telegram.org/mtproto/mtproto-transports>), server
//! side: full (grammers' default: length, sequence number and CRC32 around each packet),
//! intermediate (`0xeeeeeeee`, then length-prefixed packets) and abridged (`0xef`, then packets
//! prefixed by their length in words). The framing is recognised from a connection's first
//! bytes, as Telegram does.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest packet accepted: grammers never sends more than a 1 MiB container plus headers.
pub const MAX_PACKET: usize = 1024 * 1024 + 16 * 1024;

/// Which framing a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Full,
    Intermediate,
    Abridged,
}

/// Why a connection's framing was broken; the server closes such a connection.
#[derive(Debug, thiserror::Error)]
pub enum FramingError {
    #[error("connection i/o failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("packet length {0} is out of range")]
    BadLength(i64),
    #[error("full transport sequence number {got}, expected {expected}")]
    BadSeq { expected: i32, got: i32 },
    #[error("full transport crc32 mismatch")]
    BadCrc,
    #[error("the connection started with an obfuscated or unknown transport header")]
    UnsupportedTransport,
}

/// One side of a framed connection: reads the client's packets.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    framing: Framing,
    recv_seq: i32,
    /// Bytes read while detecting the framing that belong to the first packet.
    pending: Vec<u8>,
}

/// The other side: writes the server's packets in the connection's framing.
#[derive(Debug)]
pub struct FrameWriter<W> {
    inner: W,
    framing: Framing,
    send_seq: i32,
}

/// Reads the first bytes of a connection and returns which framing it speaks.
pub async fn accept<R, W>(
    mut reader: R,
    writer: W,
) -> Result<(FrameReader<R>, FrameWriter<W>), FramingError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let first = reader.read_u8().await?;
    let (framing, pending) = if first == 0xef {
        (Framing::Abridged, Vec::new())
    } else {
        let mut rest = [0u8; 3];
        reader.read_exact(&mut rest).await?;
        let head = [first, rest[0], rest[1], rest[2]];
        match u32::from_le_bytes(head) {
            0xeeee_eeee => (Framing::Intermediate, Vec::new()),
            // Padded intermediate and the obfuscated transports are not served: grammers opens
            // full connections, and a client that wants another one is told so by a close.
            0xdddd_dddd => return Err(FramingError::UnsupportedTransport),
            _ => (Framing::Full, head.to_vec()),
        }
    };
    Ok((
        FrameReader {
            inner: reader,
            framing,
            recv_seq: 0,
            pending,
        },
        FrameWriter {
            inner: writer,
            framing,
            send_seq: 0,
        },
    ))
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn framing(&self) -> Framing {
        self.framing
    }

    async fn read_exact_with_pending(&mut self, out: &mut [u8]) -> Result<(), FramingError> {
        let from_pending = self.pending.len().min(out.len());
        out[..from_pending].copy_from_slice(&self.pending[..from_pending]);
        self.pending.drain(..from_pending);
        self.inner.read_exact(&mut out[from_pending..]).await?;
        Ok(())
    }

    /// The next packet's payload, or `None` when the client closed the connection cleanly
    /// between packets.
    pub async fn read_packet(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        match self.framing {
            Framing::Full => {
                let mut header = [0u8; 8];
                if self.pending.is_empty() && !self.read_first(&mut header[..1]).await? {
                    return Ok(None);
                } else if self.pending.is_empty() {
                    self.inner.read_exact(&mut header[1..]).await?;
                } else {
                    self.read_exact_with_pending(&mut header).await?;
                }
                let len = i32::from_le_bytes([header[0], header[1], header[2], header[3]]);
                let seq = i32::from_le_bytes([header[4], header[5], header[6], header[7]]);
                if len < 12 || len as usize > MAX_PACKET + 12 {
                    return Err(FramingError::BadLength(len.into()));
                }
                let mut rest = vec![0u8; len as usize - 8];
                self.inner.read_exact(&mut rest).await?;
                let (payload, crc) = rest.split_at(rest.len() - 4);
                let mut hasher = crc32fast::Hasher::new();
                hasher.update(&header);
                hasher.update(payload);
                if hasher.finalize().to_le_bytes() != crc {
                    return Err(FramingError::BadCrc);
                }
                if seq != self.recv_seq {
                    return Err(FramingError::BadSeq {
                        expected: self.recv_seq,
                        got: seq,
                    });
                }
                self.recv_seq += 1;
                rest.truncate(rest.len() - 4);
                Ok(Some(rest))
            }
            Framing::Intermediate => {
                let mut header = [0u8; 4];
                if !self.read_first(&mut header[..1]).await? {
                    return Ok(None);
                }
                self.inner.read_exact(&mut header[1..]).await?;
                let len = u32::from_le_bytes(header) as usize;
                self.read_payload(len).await.map(Some)
            }
            Framing::Abridged => {
                let mut first = [0u8; 1];
                if !self.read_first(&mut first).await? {
                    return Ok(None);
                }
                let words = if first[0] >= 0x7f {
                    let mut rest = [0u8; 3];
                    self.inner.read_exact(&mut rest).await?;
                    u32::from_le_bytes([rest[0], rest[1], rest[2], 0]) as usize
                } else {
                    first[0] as usize
                };
                self.read_payload(words * 4).await.map(Some)
            }
        }
    }

    /// Reads the first byte(s) of a packet; `false` when the peer closed before sending any.
    async fn read_first(&mut self, out: &mut [u8]) -> Result<bool, FramingError> {
        match self.inner.read(out).await? {
            0 => Ok(false),
            _ => Ok(true),
        }
    }

    async fn read_payload(&mut self, len: usize) -> Result<Vec<u8>, FramingError> {
        if len == 0 || len > MAX_PACKET || !len.is_multiple_of(4) {
            return Err(FramingError::BadLength(len as i64));
        }
        let mut payload = vec![0u8; len];
        self.inner.read_exact(&mut payload).await?;
        Ok(payload)
    }
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    /// Frames and writes one packet.
    pub async fn write_packet(&mut self, payload: &[u8]) -> Result<(), FramingError> {
        let framed = self.frame(payload);
        self.inner.write_all(&framed).await?;
        self.inner.flush().await?;
        Ok(())
    }

    /// Writes a transport error, such as -404 for an unknown auth key: a bare negative
    /// length on the full transport, a four-byte packet on the others, as Telegram sends them.
    pub async fn write_transport_error(&mut self, code: i32) -> Result<(), FramingError> {
        let value = (-code).to_le_bytes();
        let framed = match self.framing {
            Framing::Full => value.to_vec(),
            _ => self.frame(&value),
        };
        self.inner.write_all(&framed).await?;
        self.inner.flush().await?;
        Ok(())
    }

    /// Closes the writing half, so the client sees the connection end.
    pub async fn shutdown(&mut self) {
        let _ = self.inner.shutdown().await;
    }

    fn frame(&mut self, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(payload.len() + 12);
        match self.framing {
            Framing::Full => {
                let len = (payload.len() + 12) as i32;
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(&self.send_seq.to_le_bytes());
                out.extend_from_slice(payload);
                let crc = crc32fast::hash(&out);
                out.extend_from_slice(&crc.to_le_bytes());
                self.send_seq += 1;
            }
            Framing::Intermediate => {
                out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
                out.extend_from_slice(payload);
            }
            Framing::Abridged => {
                let words = payload.len() / 4;
                if words < 0x7f {
                    out.push(words as u8);
                } else {
                    out.push(0x7f);
                    out.extend_from_slice(&(words as u32).to_le_bytes()[..3]);
                }
                out.extend_from_slice(payload);
            }
        }
        out
    }
}
