//! Length-prefixed frames on a byte stream: `u32` big-endian length of what follows, one type byte,
//! then the payload. The decoder tells an incomplete buffer from an invalid one and refuses an
//! oversized length before allocating anything.

use crate::message::{Message, MessageError};

/// Bytes of the length prefix.
pub const LEN_BYTES: usize = 4;
/// Default largest frame body (type byte + payload) accepted.
pub const DEFAULT_MAX_FRAME: u32 = 8 * 1024 * 1024;

/// Frame types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FrameType {
    /// A [`Message`] encoded with postcard.
    Message = 1,
}

impl FrameType {
    fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(Self::Message),
            _ => None,
        }
    }
}

/// Errors of frame decoding: every one means the peer is broken or hostile and the stream is dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {len} bytes exceeds the limit of {max}")]
    Oversized { len: u32, max: u32 },
    #[error("empty frame")]
    Empty,
    #[error("unknown frame type {0}")]
    UnknownType(u8),
    #[error("bad message: {0}")]
    Message(#[from] MessageError),
}

/// What the decoder found at the start of a buffer.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// A whole frame holding `message`, `consumed` bytes long.
    Frame { message: Message, consumed: usize },
    /// Not enough bytes yet: at least `needed` bytes in all are required.
    Incomplete { needed: usize },
}

/// Encodes `message` as one frame.
pub fn encode(message: &Message) -> Result<Vec<u8>, MessageError> {
    let payload = message.to_bytes()?;
    let len =
        u32::try_from(payload.len() + 1).map_err(|_| MessageError::TooLarge(payload.len()))?;
    let mut out = Vec::with_capacity(LEN_BYTES + 1 + payload.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.push(FrameType::Message as u8);
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Reads the length prefix of a frame from `header`, checking it against `max` (so a reader can
/// refuse before allocating the body).
pub fn check_len(header: [u8; LEN_BYTES], max: u32) -> Result<u32, FrameError> {
    let len = u32::from_be_bytes(header);
    if len == 0 {
        return Err(FrameError::Empty);
    }
    if len > max {
        return Err(FrameError::Oversized { len, max });
    }
    Ok(len)
}

/// Decodes a frame body (type byte + payload) whose length already passed [`check_len`].
pub fn decode_body(body: &[u8]) -> Result<Message, FrameError> {
    let (&ty, payload) = body.split_first().ok_or(FrameError::Empty)?;
    match FrameType::from_byte(ty) {
        Some(FrameType::Message) => Ok(Message::from_bytes(payload)?),
        None => Err(FrameError::UnknownType(ty)),
    }
}

/// Decodes the first frame of `buf`.
pub fn decode(buf: &[u8], max: u32) -> Result<Decoded, FrameError> {
    let Some(header) = buf.get(..LEN_BYTES) else {
        return Ok(Decoded::Incomplete { needed: LEN_BYTES });
    };
    let mut h = [0u8; LEN_BYTES];
    h.copy_from_slice(header);
    let len = check_len(h, max)? as usize;
    let total = LEN_BYTES + len;
    if buf.len() < total {
        // The type byte can be judged before the rest arrives.
        if let Some(&ty) = buf.get(LEN_BYTES)
            && FrameType::from_byte(ty).is_none()
        {
            return Err(FrameError::UnknownType(ty));
        }
        return Ok(Decoded::Incomplete { needed: total });
    }
    let message = decode_body(&buf[LEN_BYTES..total])?;
    Ok(Decoded::Frame {
        message,
        consumed: total,
    })
}

/// A buffer that accumulates bytes from a stream and yields whole messages.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    max: u32,
}

impl FrameDecoder {
    pub fn new(max: u32) -> Self {
        Self {
            buf: Vec::new(),
            max,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole message, `Ok(None)` when more bytes are needed.
    pub fn next_message(&mut self) -> Result<Option<Message>, FrameError> {
        match decode(&self.buf, self.max)? {
            Decoded::Frame { message, consumed } => {
                self.buf.drain(..consumed);
                Ok(Some(message))
            }
            Decoded::Incomplete { .. } => Ok(None),
        }
    }

    /// Bytes buffered but not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{DocChanges, EntryAction, Hash, PROTOCOL_VERSION, Want, WireEntry};
    use proptest::prelude::*;

    fn arb_hash() -> impl Strategy<Value = Hash> {
        any::<[u8; 32]>()
    }

    fn arb_entry() -> impl Strategy<Value = WireEntry> {
        (
            any::<u64>(),
            "[a-z0-9-]{1,20}",
            prop::collection::vec(arb_hash(), 0..3),
            prop_oneof![
                Just(EntryAction::Update),
                Just(EntryAction::Purge),
                Just(EntryAction::Removed)
            ],
            prop::collection::vec("[0-9]{1,9}", 0..3),
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..32), 0..2),
        )
            .prop_map(
                |(seq, doc_id, heads, action, scope_units, changes)| WireEntry {
                    seq,
                    doc_id,
                    heads,
                    action,
                    scope_units,
                    changes,
                },
            )
    }

    fn arb_doc_changes() -> impl Strategy<Value = DocChanges> {
        (
            "\\PC{0,30}",
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..4),
        )
            .prop_map(|(doc_id, changes)| DocChanges { doc_id, changes })
    }

    fn arb_message() -> impl Strategy<Value = Message> {
        prop_oneof![
            (any::<u32>(), any::<u32>()).prop_map(|(version, min_version)| Message::Hello {
                version,
                min_version
            }),
            (any::<u64>(), any::<u32>()).prop_map(|(since, limit)| Message::FeedRequest {
                since,
                limit,
                whole: since % 2 == 0,
                shared_only: limit % 2 == 0,
            }),
            (
                any::<u64>(),
                any::<u64>(),
                prop::collection::vec(arb_entry(), 0..5),
                any::<u64>(),
                any::<bool>()
            )
                .prop_map(|(since, epoch, entries, scanned_to, more)| {
                    Message::FeedPage {
                        since,
                        epoch,
                        entries,
                        scanned_to,
                        more,
                    }
                }),
            (
                any::<u64>(),
                prop::collection::vec(
                    ("\\PC{0,30}", prop::collection::vec(arb_hash(), 0..4)),
                    0..4
                )
            )
                .prop_map(|(page, wants)| Message::ChangesRequest {
                    page,
                    wants: wants
                        .into_iter()
                        .map(|(doc_id, have_heads)| Want { doc_id, have_heads })
                        .collect()
                }),
            (any::<u64>(), prop::collection::vec(arb_doc_changes(), 0..4))
                .prop_map(|(page, docs)| Message::Changes { page, docs }),
            ("\\PC{0,30}", prop::collection::vec(arb_hash(), 0..3))
                .prop_map(|(doc_id, heads)| Message::PurgeCheck { doc_id, heads }),
            (
                "\\PC{0,30}",
                prop::collection::vec(arb_hash(), 0..3),
                any::<bool>()
            )
                .prop_map(|(doc_id, heads, confirmed)| Message::PurgeAnswer {
                    doc_id,
                    heads,
                    confirmed
                }),
            Just(Message::DigestRequest),
            (arb_hash(), any::<u64>())
                .prop_map(|(digest, count)| Message::Digest { digest, count }),
            (any::<u16>(), "\\PC{0,40}")
                .prop_map(|(code, reason)| Message::Refused { code, reason }),
        ]
    }

    proptest! {
        #[test]
        fn round_trip(messages in prop::collection::vec(arb_message(), 1..6), split in any::<prop::sample::Index>()) {
            let mut wire = Vec::new();
            for m in &messages {
                wire.extend(encode(m).expect("encode"));
            }
            // Feed the bytes in two arbitrary pieces: the decoder must give back the same messages.
            let cut = split.index(wire.len() + 1);
            let mut dec = FrameDecoder::new(DEFAULT_MAX_FRAME);
            let mut out = Vec::new();
            dec.push(&wire[..cut]);
            while let Some(m) = dec.next_message().expect("decode first part") { out.push(m); }
            dec.push(&wire[cut..]);
            while let Some(m) = dec.next_message().expect("decode second part") { out.push(m); }
            prop_assert_eq!(out, messages);
            prop_assert_eq!(dec.buffered(), 0);
        }

        #[test]
        fn malformed_input_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512), max in 1u32..1024) {
            // Any outcome but a panic is fine; an accepted frame must fit the limit.
            if let Ok(Decoded::Frame { consumed, .. }) = decode(&bytes, max) {
                prop_assert!(consumed <= LEN_BYTES + max as usize);
            }
        }

        #[test]
        fn corrupted_payload_never_panics(m in arb_message(), pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let mut wire = encode(&m).expect("encode");
            let i = pos.index(wire.len());
            wire[i] = byte;
            let _ = decode(&wire, DEFAULT_MAX_FRAME);
        }
    }

    #[test]
    fn oversized_length_is_refused_from_the_header_alone() {
        let header = (DEFAULT_MAX_FRAME + 1).to_be_bytes();
        assert_eq!(
            decode(&header, DEFAULT_MAX_FRAME),
            Err(FrameError::Oversized {
                len: DEFAULT_MAX_FRAME + 1,
                max: DEFAULT_MAX_FRAME
            })
        );
        assert_eq!(
            decode(&[0, 0, 0, 0], DEFAULT_MAX_FRAME),
            Err(FrameError::Empty)
        );
        assert_eq!(
            decode(&[0, 0], DEFAULT_MAX_FRAME),
            Ok(Decoded::Incomplete { needed: 4 })
        );
        assert_eq!(
            decode(&[0, 0, 0, 9, 7], DEFAULT_MAX_FRAME),
            Err(FrameError::UnknownType(7))
        );
        let hello = encode(&Message::Hello {
            version: PROTOCOL_VERSION,
            min_version: 1,
        })
        .expect("encode");
        assert_eq!(
            decode(&hello[..hello.len() - 1], DEFAULT_MAX_FRAME),
            Ok(Decoded::Incomplete {
                needed: hello.len()
            })
        );
        // A garbage payload in a well-formed frame is invalid, not incomplete.
        assert!(matches!(
            decode(&[0, 0, 0, 3, 1, 0xff, 0xff], DEFAULT_MAX_FRAME),
            Err(FrameError::Message(_))
        ));
    }
}
