//! Files linked to orders (citizens' photos, call recordings, units' photos and documents), kept
//! by content: `<data_dir>/blobs/<sha256>`, written once (to a temporary name, checked, then
//! renamed) and never changed. The order document only names them. A node that lacks a file asks
//! its parent over the sync connection when someone opens it ([`Blobs::fetch`]), keeps the copy,
//! and serves it from then on; a parent asked by a child passes the bytes on as they arrive from
//! its own parent ([`Blobs::relay`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use hotline_model::intake::Attachment;
use sha2::{Digest, Sha256};
use sync_protocol::blob::{self, BlobError, BlobRequest, blob_refusal};
use tokio::io::AsyncWriteExt;

/// The largest photo a citizen may attach.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
/// Photos per request.
pub const MAX_PHOTOS: usize = 3;
/// The largest blob a node accepts from its parent.
pub const MAX_BLOB_BYTES: u64 = 64 * 1024 * 1024;

/// The image kinds accepted, told by their first bytes (never by the name or the browser's word).
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    match hotline_model::file::sniff(bytes) {
        Some((hotline_model::file::FileKind::Photo, media)) => Some(media),
        _ => None,
    }
}

/// Why a file cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum BlobFault {
    /// The parent says the order is not ours to see, or does not name the file.
    #[error("上级节点拒绝提供该文件：{0}")]
    NotYours(String),
    /// Nobody holds the bytes any more.
    #[error("文件已不存在：{0}")]
    Gone(String),
    /// No link to the parent now, or the transfer broke off.
    #[error("暂时无法从上级节点取得该文件：{0}")]
    Unavailable(String),
    /// The bytes received do not match the file's hash (or its size).
    #[error("收到的文件内容与其摘要不符，已拒收")]
    Corrupt,
    /// The local disk failed.
    #[error("文件读写失败：{0}")]
    Io(#[from] std::io::Error),
}

impl From<BlobError> for BlobFault {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::Refused { code, reason } => match code {
                blob_refusal::NOT_YOURS | blob_refusal::BAD_REQUEST => BlobFault::NotYours(reason),
                blob_refusal::NOT_FOUND => BlobFault::Gone(reason),
                _ => BlobFault::Unavailable(reason),
            },
            other => BlobFault::Unavailable(other.to_string()),
        }
    }
}

/// How many bytes moved from the parent, for the health page and the tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BlobCounts {
    /// Files fetched from the parent for this node.
    pub fetched: u64,
    /// Files passed on to a child while fetching them.
    pub relayed: u64,
    /// Files sent to children from this node's own copy.
    pub served_to_children: u64,
    /// Transfers refused because the bytes did not match.
    pub corrupt: u64,
    /// Files this node put to its parent.
    pub pushed: u64,
    /// Files children put here.
    pub received_from_children: u64,
}

/// The node's blob directory, and the way to its parent.
#[derive(Clone)]
pub struct Blobs {
    dir: PathBuf,
    /// The live connection to the parent node, while the upstream link is up.
    upstream: Arc<RwLock<Option<quinn::Connection>>>,
    /// One fetch per file at a time: later openers wait for the first.
    inflight: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    counts: Arc<Mutex<BlobCounts>>,
    /// Wakes the uploader: a file to put, or the parent back.
    pub uploads: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blobs").field("dir", &self.dir).finish()
    }
}

pub use hotline_model::file::is_hash;

fn sha_hex(h: Sha256) -> String {
    hex::encode(h.finalize())
}

impl Blobs {
    /// Blobs under `data_dir/blobs`.
    pub fn new(data_dir: &Path) -> Self {
        Blobs {
            dir: data_dir.join("blobs"),
            upstream: Arc::default(),
            inflight: Arc::default(),
            counts: Arc::default(),
            uploads: Arc::default(),
        }
    }

    /// Stores `bytes` (durably) and names them; storing the same bytes again is a no-op.
    pub fn put(&self, name: &str, media_type: &str, bytes: &[u8]) -> std::io::Result<Attachment> {
        let sha = hex::encode(Sha256::digest(bytes));
        let path = self.dir.join(&sha);
        if !path.exists() {
            std::fs::create_dir_all(&self.dir)?;
            let tmp = self.temp(&sha);
            {
                use std::io::Write;
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(bytes)?;
                f.sync_all()?;
            }
            std::fs::rename(&tmp, &path)?;
        }
        Ok(Attachment {
            name: name.to_owned(),
            sha256: sha,
            size: bytes.len() as u64,
            media_type: media_type.to_owned(),
        })
    }

    fn temp(&self, sha: &str) -> PathBuf {
        self.dir.join(format!(".{sha}.{}", uuid::Uuid::new_v4()))
    }

    /// The bytes of a stored blob, if this node has it.
    pub fn get(&self, sha256: &str) -> std::io::Result<Option<Vec<u8>>> {
        if !is_hash(sha256) {
            return Ok(None);
        }
        match std::fs::read(self.dir.join(sha256)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Where this node keeps the blob, if it has it.
    pub fn local(&self, sha256: &str) -> Option<PathBuf> {
        let path = self.dir.join(sha256);
        (is_hash(sha256) && path.is_file()).then_some(path)
    }

    /// Deletes this node's copy (retention); `true` when there was one.
    pub fn delete(&self, sha256: &str) -> std::io::Result<bool> {
        if !is_hash(sha256) {
            return Ok(false);
        }
        match std::fs::remove_file(self.dir.join(sha256)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The counts of transfers so far.
    pub fn counts(&self) -> BlobCounts {
        *self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn count(&self, f: impl FnOnce(&mut BlobCounts)) {
        f(&mut self.counts.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Sets (or clears, when the link ends) the connection to the parent node.
    pub fn set_upstream(&self, conn: Option<quinn::Connection>) {
        let up = conn.is_some();
        *self
            .upstream
            .write()
            .unwrap_or_else(PoisonError::into_inner) = conn;
        if up {
            self.uploads.notify_one();
        }
    }

    /// Puts a file this node holds to its parent; resolves when the parent kept it.
    pub async fn push(&self, req: &BlobRequest) -> Result<(), BlobFault> {
        let path = self
            .local(&req.sha256)
            .ok_or_else(|| BlobFault::Gone("本节点没有该文件".into()))?;
        let conn = self.upstream()?;
        let mut file = tokio::fs::File::open(&path).await?;
        let size = file.metadata().await?.len();
        blob::put(&conn, req, size, &mut file).await?;
        self.count(|c| c.pushed += 1);
        Ok(())
    }

    /// Takes a file a child puts (already checked against the order): its bytes are checked
    /// against the hash before they are kept.
    pub async fn accept_put(&self, mut put: blob::IncomingPut) -> Result<(), BlobFault> {
        let sha = put.request.sha256.clone();
        if self.local(&sha).is_some() {
            put.answer(blob::BlobAnswer::Kept).await;
            return Ok(());
        }
        let size = put.size;
        match self.receive(&sha, size, &mut put.recv, None).await {
            Ok(_) => {
                put.answer(blob::BlobAnswer::Kept).await;
                self.count(|c| c.received_from_children += 1);
                Ok(())
            }
            Err(e) => {
                put.answer(blob::BlobAnswer::Refused {
                    code: blob_refusal::UNAVAILABLE,
                    reason: e.to_string(),
                })
                .await;
                Err(e)
            }
        }
    }

    fn upstream(&self) -> Result<quinn::Connection, BlobFault> {
        self.upstream
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| {
                BlobFault::Unavailable(
                    "本节点还没有该文件，与上级节点的连接也未建立（单位上传的附件会在连通后送达）"
                        .into(),
                )
            })
    }

    /// The local path of blob `req.sha256`, fetched from the parent first when this node lacks
    /// it. Several openers of one file share one transfer.
    pub async fn fetch(&self, req: &BlobRequest) -> Result<PathBuf, BlobFault> {
        if let Some(p) = self.local(&req.sha256) {
            return Ok(p);
        }
        let gate = self
            .inflight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(req.sha256.clone())
            .or_default()
            .clone();
        let _turn = gate.lock().await;
        let result = match self.local(&req.sha256) {
            Some(p) => Ok(p),
            None => {
                let conn = self.upstream()?;
                let (size, _media, mut recv) = blob::request(&conn, req).await?;
                let r = self.receive(&req.sha256, size, &mut recv, None).await;
                if r.is_ok() {
                    self.count(|c| c.fetched += 1);
                }
                r
            }
        };
        self.inflight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&req.sha256);
        result
    }

    /// Receives `size` bytes of blob `sha` from the parent into the store, checking them against
    /// the hash before keeping them; with `tee`, passes every piece on to a child as it arrives.
    async fn receive(
        &self,
        sha: &str,
        size: u64,
        recv: &mut quinn::RecvStream,
        mut tee: Option<&mut quinn::SendStream>,
    ) -> Result<PathBuf, BlobFault> {
        if size > MAX_BLOB_BYTES {
            return Err(BlobFault::Unavailable(format!("文件过大（{size} 字节）")));
        }
        tokio::fs::create_dir_all(&self.dir).await?;
        let tmp = self.temp(sha);
        let result = async {
            let mut file = tokio::fs::File::create(&tmp).await?;
            let mut hash = Sha256::new();
            let mut got = 0u64;
            while let Some(chunk) = recv
                .read_chunk(256 * 1024, true)
                .await
                .map_err(|e| BlobFault::Unavailable(e.to_string()))?
            {
                got += chunk.bytes.len() as u64;
                if got > size {
                    return Err(BlobFault::Corrupt);
                }
                if let Some(send) = tee.as_deref_mut() {
                    send.write_all(&chunk.bytes)
                        .await
                        .map_err(|e| BlobFault::Unavailable(e.to_string()))?;
                }
                hash.update(&chunk.bytes);
                file.write_all(&chunk.bytes).await?;
            }
            if got != size || sha_hex(hash) != sha {
                return Err(BlobFault::Corrupt);
            }
            file.sync_all().await?;
            drop(file);
            let path = self.dir.join(sha);
            tokio::fs::rename(&tmp, &path).await?;
            Ok(path)
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        if let Err(BlobFault::Corrupt) = result {
            self.count(|c| c.corrupt += 1);
            tracing::warn!(sha, "refused a file whose bytes do not match its hash");
        }
        result
    }

    /// Answers a child's request, already checked against the order: from this node's copy, or
    /// passed on from the parent as it arrives (and kept here too).
    pub async fn relay(&self, incoming: blob::Incoming, media_type: &str) {
        let sha = incoming.request.sha256.clone();
        if let Some(path) = self.local(&sha) {
            let result = async {
                let mut file = tokio::fs::File::open(&path).await?;
                let size = file.metadata().await?.len();
                let mut send = incoming
                    .found(size, media_type)
                    .await
                    .map_err(std::io::Error::other)?;
                tokio::io::copy(&mut file, &mut send).await?;
                let _ = send.finish();
                Ok::<_, std::io::Error>(())
            }
            .await;
            match result {
                Ok(()) => self.count(|c| c.served_to_children += 1),
                Err(e) => tracing::warn!(sha, error = %e, "sending a file to a child failed"),
            }
            return;
        }
        let upstream = match self.upstream() {
            Ok(c) => c,
            Err(e) => {
                return incoming
                    .refuse(blob_refusal::UNAVAILABLE, &e.to_string())
                    .await;
            }
        };
        let (size, media, mut recv) = match blob::request(&upstream, &incoming.request).await {
            Ok(v) => v,
            Err(BlobError::Refused { code, reason }) => {
                return incoming.refuse(code, &reason).await;
            }
            Err(e) => {
                return incoming
                    .refuse(blob_refusal::UNAVAILABLE, &e.to_string())
                    .await;
            }
        };
        let mut send = match incoming.found(size, &media).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(sha, error = %e, "a child's file request ended early");
                return;
            }
        };
        match self.receive(&sha, size, &mut recv, Some(&mut send)).await {
            Ok(_) => {
                let _ = send.finish();
                self.count(|c| c.relayed += 1);
            }
            Err(e) => {
                // The child must not take a partial or wrong file for whole.
                let _ = send.reset(quinn::VarInt::from_u32(1));
                tracing::warn!(sha, error = %e, "passing a file on to a child failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_told_by_their_bytes_and_stored_once_by_content() {
        assert_eq!(image_type(b"\xFF\xD8\xFF\xE0rest"), Some("image/jpeg"));
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"<svg xmlns="), None);
        assert_eq!(image_type(b"MZ\x90\0"), None);
        let dir = tempfile::tempdir().expect("dir");
        let blobs = Blobs::new(dir.path());
        let a = blobs
            .put("a.jpg", "image/jpeg", b"\xFF\xD8\xFFphoto")
            .expect("put");
        let b = blobs
            .put("b.jpg", "image/jpeg", b"\xFF\xD8\xFFphoto")
            .expect("put");
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(
            blobs.get(&a.sha256).expect("get").as_deref(),
            Some(&b"\xFF\xD8\xFFphoto"[..])
        );
        assert_eq!(blobs.get("../etc/passwd").expect("get"), None);
        assert_eq!(
            std::fs::read_dir(dir.path().join("blobs"))
                .expect("ls")
                .count(),
            1
        );
    }
}
