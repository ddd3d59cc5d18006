//! Files linked to an order after it was registered: the call's recording (录音) from the
//! telephony, and the photos and documents a unit attaches to its reply. The bytes are kept by
//! content hash outside the document (every node's blob directory); the order names them, and says
//! when a file was removed at the end of its retention period.

use serde::{Deserialize, Serialize};

use crate::intake::{Attachment, FieldError};

/// What a file is, which decides how long it is kept and who hears about its opening.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A call recording; every opening is in the audit log.
    Recording,
    /// A photo (the citizen's, or a unit's on-site photo).
    Photo,
    /// A document (PDF).
    Document,
}

impl FileKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Recording => "recording",
            FileKind::Photo => "photo",
            FileKind::Document => "document",
        }
    }

    /// From its stored form.
    pub fn parse(s: &str) -> Option<Self> {
        [FileKind::Recording, FileKind::Photo, FileKind::Document]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Recording => "通话录音",
            FileKind::Photo => "照片",
            FileKind::Document => "文件",
        }
    }

    /// The largest file of this kind accepted (bytes).
    pub fn max_bytes(self) -> u64 {
        match self {
            // An hour of 8 kHz 16-bit mono WAV is 57.6 MB.
            FileKind::Recording => 64 * 1024 * 1024,
            FileKind::Photo => 10 * 1024 * 1024,
            FileKind::Document => 20 * 1024 * 1024,
        }
    }

    /// The default retention in days (records-keeping practice for hotline recordings is six
    /// months to a year; orders' photos and documents are kept with the order's file for years).
    pub fn default_retention_days(self) -> u32 {
        match self {
            FileKind::Recording => 365,
            FileKind::Photo | FileKind::Document => 3 * 365,
        }
    }
}

/// A file's kind and media type, told by its first bytes (never by its name or the sender's word).
pub fn sniff(bytes: &[u8]) -> Option<(FileKind, &'static str)> {
    let riff = |tag: &[u8; 4]| bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == tag;
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some((FileKind::Photo, "image/jpeg"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some((FileKind::Photo, "image/png"))
    } else if riff(b"WEBP") {
        Some((FileKind::Photo, "image/webp"))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some((FileKind::Photo, "image/gif"))
    } else if riff(b"WAVE") {
        Some((FileKind::Recording, "audio/wav"))
    } else if bytes.starts_with(b"ID3")
        || (bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0)
    {
        Some((FileKind::Recording, "audio/mpeg"))
    } else if bytes.starts_with(b"OggS") {
        Some((FileKind::Recording, "audio/ogg"))
    } else if bytes.starts_with(b"%PDF-") {
        Some((FileKind::Document, "application/pdf"))
    } else {
        None
    }
}

/// A file's kind from its media type (the citizens' attachments of the intake, which name no
/// kind): audio is a recording, PDF a document, anything else a photo.
pub fn kind_of_type(media_type: &str) -> FileKind {
    if media_type.starts_with("audio/") {
        FileKind::Recording
    } else if media_type == "application/pdf" {
        FileKind::Document
    } else {
        FileKind::Photo
    }
}

/// Why a file is no longer kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileRemoval {
    /// When it was removed (Unix ms).
    pub at: i64,
    /// Why, in words shown with the order.
    pub reason: String,
}

/// A file the order names, added after registration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TicketFile {
    /// What it is.
    pub kind: FileKind,
    /// The name, size, type and content hash.
    #[serde(flatten)]
    pub file: Attachment,
    /// Who added it (a login, or `telephony`).
    pub added_by: String,
    /// The unit they added it for.
    pub unit: String,
    /// When (Unix ms).
    pub added_at: i64,
    /// The call it records, for recordings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// Set when the file was removed (retention); the bytes are then gone everywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<FileRemoval>,
}

/// Files an order may name after registration.
pub const MAX_FILES: usize = 50;

/// Whether `s` is a content hash as files are named by: 64 lower-case hex digits.
pub fn is_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl TicketFile {
    /// Checks a file entry (from this node or a peer): its hash, name and type.
    pub fn check(&self) -> Result<(), FieldError> {
        let invalid = |reason: String| FieldError::Invalid {
            field: "file".into(),
            reason,
        };
        if !is_hash(&self.file.sha256) {
            return Err(invalid("文件标识不是 64 位十六进制摘要".into()));
        }
        let bad = |s: &str, max: usize| s.chars().count() > max || s.chars().any(char::is_control);
        if self.file.name.trim().is_empty() || bad(&self.file.name, 120) {
            return Err(invalid("文件名为空、过长或含控制字符".into()));
        }
        if bad(&self.file.media_type, 100) || bad(&self.added_by, 100) || bad(&self.unit, 100) {
            return Err(invalid("文件信息过长或含控制字符".into()));
        }
        if self.file.size == 0 || self.file.size > self.kind.max_bytes() {
            return Err(invalid(format!(
                "文件大小不符合要求（{}最大 {} MB）",
                self.kind.label(),
                self.kind.max_bytes() / 1024 / 1024
            )));
        }
        Ok(())
    }

    /// Whether its retention ended at `now` with `retention_days`.
    pub fn expired(&self, retention_days: u32, now_ms: i64) -> bool {
        self.removed.is_none()
            && now_ms.saturating_sub(self.added_at) >= i64::from(retention_days) * 86_400_000
    }
}

/// A file name made safe to show and to offer for download: control characters and path
/// separators dropped, trimmed to 120 characters, never empty.
pub fn clean_name(name: &str, fallback: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"'))
        .take(120)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        fallback.to_owned()
    } else {
        cleaned.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(size: u64, added_at: i64) -> TicketFile {
        TicketFile {
            kind: FileKind::Recording,
            file: Attachment {
                name: "录音.wav".into(),
                sha256: "a".repeat(64),
                size,
                media_type: "audio/wav".into(),
            },
            added_by: "telephony".into(),
            unit: "CENTER".into(),
            added_at,
            call_id: Some("c1".into()),
            removed: None,
        }
    }

    #[test]
    fn kinds_are_told_by_content() {
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WAVEfmt "),
            Some((FileKind::Recording, "audio/wav"))
        );
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some((FileKind::Photo, "image/webp"))
        );
        assert_eq!(sniff(b"ID3\x04"), Some((FileKind::Recording, "audio/mpeg")));
        assert_eq!(
            sniff(b"%PDF-1.7"),
            Some((FileKind::Document, "application/pdf"))
        );
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0"),
            Some((FileKind::Photo, "image/jpeg"))
        );
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b"MZ\x90\0"), None);
        assert_eq!(sniff(b""), None);
        for k in [FileKind::Recording, FileKind::Photo, FileKind::Document] {
            assert_eq!(FileKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn entries_are_checked_and_expire_after_their_retention() {
        assert!(file(10, 0).check().is_ok());
        assert!(file(0, 0).check().is_err());
        assert!(
            file(FileKind::Recording.max_bytes() + 1, 0)
                .check()
                .is_err()
        );
        let mut f = file(10, 0);
        f.file.sha256 = "../../etc/passwd".into();
        assert!(f.check().is_err());
        let mut f = file(10, 0);
        f.file.name = "a\u{7}b".into();
        assert!(f.check().is_err());
        let day = 86_400_000;
        assert!(!file(10, 0).expired(30, 30 * day - 1));
        assert!(file(10, 0).expired(30, 30 * day));
        let mut gone = file(10, 0);
        gone.removed = Some(FileRemoval {
            at: 1,
            reason: "x".into(),
        });
        assert!(!gone.expired(30, 100 * day));
        assert_eq!(clean_name("../a\u{0}b.wav", "录音"), "..ab.wav");
        assert_eq!(clean_name("  ", "录音"), "录音");
    }
}
