//! The files of an order as its users meet them: opening one (for who may see the order; fetched
//! from the parent node the first time; served with HTTP range requests so a recording can be
//! played and sought; every opening of a recording in the audit log), attaching a unit's photo or
//! document, the telephony's recording of a call, a child node's fetch, and the retention sweep
//! that removes files everywhere when their time is up. The JSON API and the pages call these.

use std::path::PathBuf;

use hotline_model::file::{FileKind, FileRemoval, TicketFile, clean_name, sniff};
use hotline_model::intake::Attachment;
use hotline_model::role::User;
use hotline_model::ticket::TicketView;
use serde::{Deserialize, Serialize};
use sync_protocol::blob::{self, BlobRequest, blob_refusal};
use sync_protocol::scope::{Within, touches};

use crate::Hotline;
use crate::Kind;
use crate::OpError;
use crate::blobs::BlobFault;

/// How long each kind of file is kept, in days (`[files]`); the hub removes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Call recordings.
    pub recording_days: u32,
    /// Photos.
    pub photo_days: u32,
    /// Documents.
    pub document_days: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            recording_days: FileKind::Recording.default_retention_days(),
            photo_days: FileKind::Photo.default_retention_days(),
            document_days: FileKind::Document.default_retention_days(),
        }
    }
}

impl RetentionConfig {
    /// The days kept for `kind`.
    pub fn days(&self, kind: FileKind) -> u32 {
        match kind {
            FileKind::Recording => self.recording_days,
            FileKind::Photo => self.photo_days,
            FileKind::Document => self.document_days,
        }
    }
}

/// A file as an order names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    /// Name, hash, size and type.
    pub file: Attachment,
    /// What it is.
    pub kind: FileKind,
    /// Its removal, when its retention ended.
    pub removed: Option<FileRemoval>,
}

/// The file `sha256` as order `view` names it: a photo of the citizen's intake or a file named
/// later.
pub fn named_in(view: &TicketView, sha256: &str) -> Option<Named> {
    if let Some(f) = view.files.iter().find(|f| f.file.sha256 == sha256) {
        return Some(Named {
            file: f.file.clone(),
            kind: f.kind,
            removed: f.removed.clone(),
        });
    }
    view.intake
        .attachments
        .iter()
        .find(|a| a.sha256 == sha256)
        .map(|a| Named {
            file: a.clone(),
            kind: hotline_model::file::kind_of_type(&a.media_type),
            removed: None,
        })
}

fn fault(e: BlobFault) -> OpError {
    match e {
        BlobFault::NotYours(m) => OpError::new(Kind::Forbidden, "forbidden", m),
        BlobFault::Gone(m) => OpError::new(Kind::Gone, "gone", format!("文件已不存在：{m}")),
        BlobFault::Unavailable(m) => OpError::new(
            Kind::Unavailable,
            "unavailable",
            format!("该文件暂时无法取得（{m}），请稍后重试"),
        ),
        BlobFault::Corrupt => OpError::new(
            Kind::Upstream,
            "corrupt",
            "从上级节点收到的文件内容与其摘要不符，已拒收，请稍后重试或联系管理员",
        ),
        BlobFault::Io(e) => OpError::internal("reading a file", e),
    }
}

/// An opened file: where this node keeps it, and how the order names it.
pub struct Opened {
    pub path: PathBuf,
    pub named: Named,
}

/// Opens file `sha256` of order `key` for `user`: who may see the order may open its files; a
/// removed file is gone (410, with when and why); a file this node lacks is fetched from the
/// parent first. Every opening of a recording is recorded in the audit log before it is served.
pub async fn open(
    state: &Hotline,
    user: &User,
    key: &str,
    sha256: &str,
) -> Result<Opened, OpError> {
    let view = state
        .store
        .ticket(key.to_owned())
        .await?
        .ok_or_else(|| OpError::not_found(key))?;
    if !crate::tickets::may_see(state, user, &view) {
        return Err(OpError::forbidden(
            "无权查看该工单的文件：它不属于本单位及下级单位",
        ));
    }
    let named = named_in(&view, sha256).ok_or_else(|| OpError::not_found("附件"))?;
    if let Some(r) = &named.removed {
        return Err(OpError::new(
            Kind::Gone,
            "gone",
            format!(
                "该{}已于 {} 删除：{}",
                named.kind.label(),
                crate::wording::local_time(r.at),
                r.reason
            ),
        ));
    }
    if named.kind == FileKind::Recording {
        crate::tickets::record_access(
            state,
            user,
            "open_recording",
            &view.number,
            &format!("{} {}", named.file.name, named.file.sha256),
        )
        .await?;
    }
    let path = state
        .blobs
        .fetch(&BlobRequest {
            sha256: named.file.sha256.clone(),
            doc_id: view.id.clone(),
        })
        .await
        .map_err(fault)?;
    Ok(Opened { path, named })
}

/// Who may add files to an order: staff who may see it.
fn may_attach(state: &Hotline, user: &User, view: &TicketView) -> Result<(), OpError> {
    if crate::tickets::may_see(state, user, view) {
        Ok(())
    } else {
        Err(OpError::forbidden(
            "无权为该工单上传文件：它不属于本单位及下级单位",
        ))
    }
}

/// Attaches a unit's photo or document (told by its bytes: JPEG, PNG, WebP, GIF or PDF) to order
/// `key`; the same bytes twice are named once.
pub async fn attach(
    state: &Hotline,
    user: &User,
    key: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Result<TicketView, OpError> {
    let view = state
        .store
        .ticket(key.to_owned())
        .await?
        .ok_or_else(|| OpError::not_found(key))?;
    may_attach(state, user, &view)?;
    let (kind, media) = match sniff(&bytes) {
        Some((k @ (FileKind::Photo | FileKind::Document), m)) => (k, m),
        _ => {
            return Err(OpError::new(
                Kind::UnsupportedType,
                "unsupported_type",
                "只能上传照片（JPEG、PNG、WebP、GIF）或 PDF 文件",
            ));
        }
    };
    if bytes.len() as u64 > kind.max_bytes() {
        return Err(OpError::new(
            Kind::TooLarge,
            "too_large",
            format!(
                "{}不能超过 {} MB",
                kind.label(),
                kind.max_bytes() / 1024 / 1024
            ),
        ));
    }
    let name = clean_name(name, kind.label());
    let file = store_bytes(state, name, media, bytes).await?;
    name_file(
        state,
        &view.id,
        TicketFile {
            kind,
            file,
            added_by: user.login.clone(),
            unit: user.unit.clone(),
            added_at: state.now(),
            call_id: None,
            removed: None,
        },
    )
    .await
}

async fn store_bytes(
    state: &Hotline,
    name: String,
    media: &'static str,
    bytes: Vec<u8>,
) -> Result<Attachment, OpError> {
    let blobs = state.blobs.clone();
    tokio::task::spawn_blocking(move || blobs.put(&name, media, &bytes))
        .await
        .map_err(|e| OpError::internal("storing a file", e))?
        .map_err(|e| OpError::internal("storing a file", e))
}

async fn name_file(state: &Hotline, ticket: &str, file: TicketFile) -> Result<TicketView, OpError> {
    let now = state.now();
    let ticket = ticket.to_owned();
    Ok(state
        .store
        .write(move |ctx| replica_store::tickets::attach_file(ctx, &ticket, file, now))
        .await?)
}

/// What keeping a call's recording did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RecordingKept {
    /// The recording's content hash.
    pub sha256: String,
    /// The orders of the call that now name it.
    pub orders: Vec<String>,
    /// `false` when the call had this recording already.
    pub new: bool,
}

/// Keeps the recording of call `call_id` the telephony delivered (WAV, MP3 or Ogg, told by its
/// bytes) and names it in every order registered during the call; orders registered later name
/// it when they are (see [`name_call_recording`]).
pub async fn keep_recording(
    state: &Hotline,
    call_id: &str,
    bytes: Vec<u8>,
) -> Result<RecordingKept, OpError> {
    if call_id.is_empty() || call_id.chars().count() > 200 || call_id.chars().any(char::is_control)
    {
        return Err(OpError::bad_request("通话标识为空、过长或含控制字符"));
    }
    let media = match sniff(&bytes) {
        Some((FileKind::Recording, m)) => m,
        _ => {
            return Err(OpError::new(
                Kind::UnsupportedType,
                "unsupported_type",
                "录音文件只能是 WAV、MP3 或 Ogg 格式",
            ));
        }
    };
    let file = store_bytes(state, recording_name(call_id, media), media, bytes).await?;
    let now = state.now();
    let (cid, f) = (call_id.to_owned(), file.clone());
    let new = state
        .store
        .write(move |ctx| replica_store::files::record_recording(ctx.conn, &cid, &f, now))
        .await?;
    let cid = call_id.to_owned();
    let orders = state
        .store
        .read(move |c| replica_store::projection::orders_of_call(c, &cid))
        .await?;
    let mut named = Vec::new();
    for number in orders {
        name_file(state, &number, recording_entry(&file, call_id, now)).await?;
        named.push(number);
    }
    Ok(RecordingKept {
        sha256: file.sha256,
        orders: named,
        new,
    })
}

/// The name a call's recording is shown under: `通话录音-<call id>.wav` (`.mp3`, `.ogg`).
pub fn recording_name(call_id: &str, media_type: &str) -> String {
    let ext = match media_type {
        "audio/mpeg" => "mp3",
        "audio/ogg" => "ogg",
        _ => "wav",
    };
    format!("通话录音-{call_id}.{ext}")
}

fn recording_entry(file: &Attachment, call_id: &str, at: i64) -> TicketFile {
    TicketFile {
        kind: FileKind::Recording,
        file: file.clone(),
        added_by: "telephony".into(),
        unit: String::new(),
        added_at: at,
        call_id: Some(call_id.to_owned()),
        removed: None,
    }
}

/// Names the recording of the order's call in a newly registered order, if the telephony
/// delivered it already.
pub async fn name_call_recording(state: &Hotline, view: &TicketView) -> Result<(), OpError> {
    let Some(call_id) = view.intake.call_id.clone() else {
        return Ok(());
    };
    let cid = call_id.clone();
    let rec = state
        .store
        .read(move |c| replica_store::files::recording_of(c, &cid))
        .await?;
    if let Some((sha256, media_type, size, at)) = rec {
        let file = Attachment {
            name: recording_name(&call_id, &media_type),
            sha256,
            size,
            media_type,
        };
        name_file(state, &view.id, recording_entry(&file, &call_id, at)).await?;
    }
    Ok(())
}

/// The order a child's request names, if it is in the child's subtree and names the file:
/// the file's entry, or the refusal to send.
async fn checked_for_child(
    state: &Hotline,
    child_scope: &str,
    within: &Within,
    req: &BlobRequest,
    put: bool,
) -> Result<Named, (u16, String)> {
    let view = match state.store.ticket(req.doc_id.clone()).await {
        Ok(Some(v)) if v.id == req.doc_id => v,
        // Not here (yet): a put may come before the order's change that names it.
        Ok(_) if put => return Err((blob_refusal::UNAVAILABLE, "no such order here yet".into())),
        Ok(_) => return Err((blob_refusal::NOT_YOURS, "no such order here".into())),
        Err(e) => return Err((blob_refusal::UNAVAILABLE, e.to_string())),
    };
    if !touches(&view.state.scope_units(), child_scope, within) {
        tracing::warn!(doc = %req.doc_id, child = child_scope, "refused a file of an order outside the child's scope");
        return Err((
            blob_refusal::NOT_YOURS,
            "the order is not in your scope".into(),
        ));
    }
    match named_in(&view, &req.sha256) {
        None => Err((
            blob_refusal::NOT_YOURS,
            "the order does not name this file".into(),
        )),
        Some(n) if n.removed.is_some() => Err((
            blob_refusal::NOT_FOUND,
            "removed at the end of its retention".into(),
        )),
        Some(n) => Ok(n),
    }
}

/// Answers a child node's request: a get only for an order in the child's subtree that names the
/// file and still keeps it; a put likewise, its bytes checked against the hash, and put on to this
/// node's own parent in turn.
pub async fn answer_child(
    state: &Hotline,
    child_scope: &str,
    within: &Within,
    request: blob::Request,
) {
    match request {
        blob::Request::Get(incoming) => {
            match checked_for_child(state, child_scope, within, &incoming.request, false).await {
                Ok(n) => state.blobs.relay(incoming, &n.file.media_type).await,
                Err((code, reason)) => incoming.refuse(code, &reason).await,
            }
        }
        blob::Request::Put(put) => {
            let req = put.request.clone();
            if let Err((code, reason)) =
                checked_for_child(state, child_scope, within, &req, true).await
            {
                return put.answer(blob::BlobAnswer::Refused { code, reason }).await;
            }
            match state.blobs.accept_put(put).await {
                Ok(()) => {
                    if let Err(e) = queue_upload(state, &req.sha256, &req.doc_id).await {
                        tracing::warn!(error = %e.message, "a child's file not queued for the parent");
                    }
                }
                Err(e) => {
                    tracing::warn!(child = child_scope, error = %e, "a child's file was not kept")
                }
            }
        }
    }
}

/// Queues a file to be put to the parent (nothing at the root node).
async fn queue_upload(state: &Hotline, sha: &str, doc_id: &str) -> Result<(), OpError> {
    if !state.settings.has_parent {
        return Ok(());
    }
    let (sha, doc, now) = (sha.to_owned(), doc_id.to_owned(), state.now());
    state
        .store
        .write(move |ctx| replica_store::files::queue_upload(ctx.conn, &sha, &doc, now))
        .await?;
    state.blobs.uploads.notify_one();
    Ok(())
}

/// Puts the files named at this node to its parent, whenever one is queued or the parent link
/// comes up, retrying those the parent cannot take yet (the order's change not there yet, the
/// link down) until the returned handle is aborted.
pub fn spawn_uploader(state: Hotline) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let _ = tokio::time::timeout(
                std::time::Duration::from_secs(3),
                state.blobs.uploads.notified(),
            )
            .await;
            let pending = match state
                .store
                .read(|c| replica_store::files::pending_uploads(c, 50))
                .await
            {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the files waiting to go up");
                    continue;
                }
            };
            for (sha, doc_id) in pending {
                let req = BlobRequest {
                    sha256: sha.clone(),
                    doc_id: doc_id.clone(),
                };
                let done = match state.blobs.push(&req).await {
                    Ok(()) => true,
                    Err(BlobFault::Unavailable(why)) => {
                        tracing::debug!(sha, why, "a file waits to go up");
                        false
                    }
                    // Refused for good (not the parent's to hold) or gone here: nothing to retry.
                    Err(e) => {
                        tracing::warn!(sha, error = %e, "a file will not go up");
                        true
                    }
                };
                if done {
                    let (s, d) = (sha.clone(), doc_id.clone());
                    if let Err(e) = state
                        .store
                        .write(move |ctx| replica_store::files::upload_done(ctx.conn, &s, &d))
                        .await
                    {
                        tracing::error!(error = %e, "cannot mark a file as gone up");
                    }
                }
            }
        }
    })
}

/// What one retention sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Files whose removal this node recorded in their orders (the hub).
    pub removed: usize,
    /// Local copies deleted because their orders say they were removed.
    pub deleted: usize,
}

/// The retention sweep: at the hub, records the removal of every file whose retention ended in
/// its order (the order then says so at every node); at every node, deletes the local copies of
/// files removed. Runs in batches; returns what it did.
pub async fn sweep_retention(state: &Hotline, decide: bool) -> Result<Swept, OpError> {
    let now = state.now();
    let mut swept = Swept::default();
    let retention = state.settings.files.clone();
    for kind in [FileKind::Recording, FileKind::Photo, FileKind::Document] {
        let days = retention.days(kind);
        if decide {
            let before = now.saturating_sub(i64::from(days) * 86_400_000);
            loop {
                let due = state
                    .store
                    .read(move |c| replica_store::files::expired(c, kind, before, 200))
                    .await?;
                if due.is_empty() {
                    break;
                }
                for (ticket, sha) in due {
                    let removal = FileRemoval {
                        at: now,
                        reason: format!("超过{}保存期限（{days} 天）", kind.label()),
                    };
                    let t = ticket.clone();
                    state
                        .store
                        .write(move |ctx| {
                            replica_store::tickets::remove_file(ctx, &t, &sha, removal)
                        })
                        .await?;
                    swept.removed += 1;
                }
            }
        }
        let mut after = String::new();
        loop {
            let a = after.clone();
            let gone = state
                .store
                .read(move |c| replica_store::files::removed(c, kind, &a, 500))
                .await?;
            let Some(last) = gone.last().cloned() else {
                break;
            };
            for sha in gone {
                if state
                    .blobs
                    .delete(&sha)
                    .map_err(|e| OpError::internal("deleting a file", e))?
                {
                    swept.deleted += 1;
                }
            }
            after = last;
        }
    }
    if swept.removed + swept.deleted > 0 {
        tracing::info!(
            removed = swept.removed,
            deleted = swept.deleted,
            "file retention sweep"
        );
    }
    Ok(swept)
}

/// Runs the retention sweep every `every` (the hub decides removals; every node deletes the copies
/// of removed files) until the returned handle is aborted.
pub fn spawn_retention(state: Hotline, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let decide = state.settings.role == crate::settings::NodeRole::Hub;
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = sweep_retention(&state, decide).await {
                tracing::error!(error = %e.message, "file retention sweep failed");
            }
        }
    })
}

/// The largest unit attachment accepted through the API, with room for nothing else.
pub const MAX_ATTACHMENT: usize = 20 * 1024 * 1024;

/// The largest recording accepted.
pub const MAX_RECORDING: usize = 64 * 1024 * 1024;
