//! Files (blobs) fetched from the parent over the sync connection, when someone opens one: each
//! request is a QUIC stream of its own beside the session's stream, so a 60 MB recording never
//! holds up the documents' sync, and several files move at once.
//!
//! ```text
//! get:  child → parent   [len][postcard Ask::Get]              then finishes its sending half
//!       parent → child   [len][postcard BlobAnswer]            then, when Found, exactly `size` bytes
//! put:  child → parent   [len][postcard Ask::Put] `size` bytes then finishes
//!       parent → child   [len][postcard BlobAnswer::Kept or Refused]
//! ```
//! A get is checked against the parent's own copy of the order (in the child's scope, naming the
//! blob); a parent that lacks the bytes too asks its own parent, passing them on as they arrive.
//! A put carries a file attached at the child (a unit's photo) up towards the hub, checked the
//! same way before the bytes are read. Whoever receives bytes checks them against the hash
//! before keeping them.

use quinn::{Connection, RecvStream, SendStream};
use serde::{Deserialize, Serialize};

use crate::frame::LEN_BYTES;

/// The largest request or answer header.
pub const MAX_HEADER: u32 = 4096;

/// "Send me blob `sha256`, which order `doc_id` names."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRequest {
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// The order (document) that names it.
    pub doc_id: String,
}

/// Why a blob is not sent.
pub mod blob_refusal {
    /// The order is not in the requester's scope, or does not name the blob.
    pub const NOT_YOURS: u16 = 1;
    /// Nobody upstream holds the bytes (removed at the end of its retention, or lost).
    pub const NOT_FOUND: u16 = 2;
    /// The bytes could not be had now (the parent's own link is down); try again later.
    pub const UNAVAILABLE: u16 = 3;
    /// The request was malformed.
    pub const BAD_REQUEST: u16 = 4;
}

/// What a child asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ask {
    /// "Send me this blob."
    Get(BlobRequest),
    /// "Keep this blob, which I hold: `size` bytes follow."
    Put { request: BlobRequest, size: u64 },
}

/// The parent's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BlobAnswer {
    /// `size` bytes of type `media_type` follow.
    Found { size: u64, media_type: String },
    /// The bytes put were checked and kept.
    Kept,
    /// Not sent (or not kept), and why.
    Refused { code: u16, reason: String },
}

/// Errors of a blob exchange.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("connection: {0}")]
    Connection(#[from] quinn::ConnectionError),
    #[error("write: {0}")]
    Write(#[from] quinn::WriteError),
    #[error("read: {0}")]
    Read(String),
    #[error("header of {0} bytes is too long")]
    TooLong(u32),
    #[error("malformed header: {0}")]
    Malformed(String),
    #[error("refused ({code}): {reason}")]
    Refused { code: u16, reason: String },
}

async fn write_header<T: Serialize>(send: &mut SendStream, value: &T) -> Result<(), BlobError> {
    let body = postcard::to_allocvec(value).map_err(|e| BlobError::Malformed(e.to_string()))?;
    let len = u32::try_from(body.len()).map_err(|_| BlobError::TooLong(u32::MAX))?;
    let mut bytes = Vec::with_capacity(LEN_BYTES + body.len());
    bytes.extend_from_slice(&len.to_be_bytes());
    bytes.extend_from_slice(&body);
    send.write_all(&bytes).await?;
    Ok(())
}

async fn read_header<T: for<'de> Deserialize<'de>>(recv: &mut RecvStream) -> Result<T, BlobError> {
    let mut len = [0u8; LEN_BYTES];
    recv.read_exact(&mut len)
        .await
        .map_err(|e| BlobError::Read(e.to_string()))?;
    let len = u32::from_be_bytes(len);
    if len > MAX_HEADER {
        return Err(BlobError::TooLong(len));
    }
    let mut body = vec![0u8; len as usize];
    recv.read_exact(&mut body)
        .await
        .map_err(|e| BlobError::Read(e.to_string()))?;
    postcard::from_bytes(&body).map_err(|e| BlobError::Malformed(e.to_string()))
}

/// Asks the peer at the other end of `conn` (the parent) for a blob. On `Found`, the returned
/// stream yields exactly `size` bytes; the caller checks them against the hash.
pub async fn request(
    conn: &Connection,
    req: &BlobRequest,
) -> Result<(u64, String, RecvStream), BlobError> {
    let (mut send, mut recv) = conn.open_bi().await?;
    write_header(&mut send, &Ask::Get(req.clone())).await?;
    let _ = send.finish();
    match read_header::<BlobAnswer>(&mut recv).await? {
        BlobAnswer::Found { size, media_type } => Ok((size, media_type, recv)),
        BlobAnswer::Refused { code, reason } => Err(BlobError::Refused { code, reason }),
        BlobAnswer::Kept => Err(BlobError::Malformed("Kept answers no get".into())),
    }
}

/// Puts a blob this node holds to the parent: `size` bytes from `bytes`. Resolves when the parent
/// checked and kept them.
pub async fn put(
    conn: &Connection,
    req: &BlobRequest,
    size: u64,
    bytes: &mut (impl tokio::io::AsyncRead + Unpin),
) -> Result<(), BlobError> {
    let (mut send, mut recv) = conn.open_bi().await?;
    write_header(
        &mut send,
        &Ask::Put {
            request: req.clone(),
            size,
        },
    )
    .await?;
    // A refusal stops the stream before the bytes are all sent: its answer says why.
    let sent = tokio::io::copy(bytes, &mut send).await;
    let _ = send.finish();
    let answer = read_header::<BlobAnswer>(&mut recv).await;
    match (answer, sent) {
        (Ok(BlobAnswer::Kept), Ok(_)) => Ok(()),
        (Ok(BlobAnswer::Refused { code, reason }), _) => Err(BlobError::Refused { code, reason }),
        (Ok(other), _) => Err(BlobError::Malformed(format!("{other:?} answers no put"))),
        (Err(e), _) => Err(e),
    }
}

/// One get as the parent receives it: answer it with [`Incoming::found`] or [`Incoming::refuse`].
pub struct Incoming {
    pub request: BlobRequest,
    send: SendStream,
}

/// One put as the parent receives it: its bytes are still to be read from `recv`.
pub struct IncomingPut {
    pub request: BlobRequest,
    pub size: u64,
    pub recv: RecvStream,
    send: SendStream,
}

impl IncomingPut {
    /// Answers the put (after the bytes were checked, or instead of reading them).
    pub async fn answer(mut self, answer: BlobAnswer) {
        let _ = write_header(&mut self.send, &answer).await;
        let _ = self.send.finish();
        if !matches!(answer, BlobAnswer::Kept) {
            let _ = self.recv.stop(quinn::VarInt::from_u32(0));
        }
    }
}

/// A child's request as read.
pub enum Request {
    Get(Incoming),
    Put(IncomingPut),
}

impl Incoming {
    /// Refuses the request.
    pub async fn refuse(mut self, code: u16, reason: &str) {
        let _ = write_header(
            &mut self.send,
            &BlobAnswer::Refused {
                code,
                reason: reason.to_owned(),
            },
        )
        .await;
        let _ = self.send.finish();
    }

    /// Announces the bytes; the caller then writes exactly `size` of them to the returned stream
    /// and finishes it.
    pub async fn found(mut self, size: u64, media_type: &str) -> Result<SendStream, BlobError> {
        write_header(
            &mut self.send,
            &BlobAnswer::Found {
                size,
                media_type: media_type.to_owned(),
            },
        )
        .await?;
        Ok(self.send)
    }
}

/// A request stream a child opened, its request not read yet.
pub struct Pending {
    send: SendStream,
    recv: RecvStream,
}

impl Pending {
    /// Reads the request. A malformed one is refused here.
    pub async fn read(mut self) -> Result<Request, BlobError> {
        match read_header::<Ask>(&mut self.recv).await {
            Ok(Ask::Get(request)) => Ok(Request::Get(Incoming {
                request,
                send: self.send,
            })),
            Ok(Ask::Put { request, size }) => Ok(Request::Put(IncomingPut {
                request,
                size,
                recv: self.recv,
                send: self.send,
            })),
            Err(e) => {
                let _ = write_header(
                    &mut self.send,
                    &BlobAnswer::Refused {
                        code: blob_refusal::BAD_REQUEST,
                        reason: e.to_string(),
                    },
                )
                .await;
                let _ = self.send.finish();
                Err(e)
            }
        }
    }
}

/// Waits for the next blob request stream the peer (a child) opens on `conn`; `None` when the
/// connection ended. Read each in a task of its own, so that a slow requester holds up nobody.
pub async fn next_stream(conn: &Connection) -> Option<Pending> {
    let (send, recv) = conn.accept_bi().await.ok()?;
    Some(Pending { send, recv })
}
