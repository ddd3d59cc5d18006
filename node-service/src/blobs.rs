//! Files attached to orders (citizens' photos), kept by content: `<data_dir>/blobs/<sha256>`,
//! written once (to a temporary name, then renamed) and never changed. The order document only
//! names them ([`hotline_model::intake::Attachment`]).

use std::path::{Path, PathBuf};

use hotline_model::intake::Attachment;
use sha2::{Digest, Sha256};

/// The largest photo a citizen may attach.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;
/// Photos per request.
pub const MAX_PHOTOS: usize = 3;

/// The image kinds accepted, told by their first bytes (never by the name or the browser's word).
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else {
        None
    }
}

/// The node's blob directory.
#[derive(Clone, Debug)]
pub struct Blobs {
    dir: PathBuf,
}

fn is_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl Blobs {
    /// Blobs under `data_dir/blobs`.
    pub fn new(data_dir: &Path) -> Self {
        Blobs {
            dir: data_dir.join("blobs"),
        }
    }

    /// Stores `bytes` (durably) and names them; storing the same bytes again is a no-op.
    pub fn put(&self, name: &str, media_type: &str, bytes: &[u8]) -> std::io::Result<Attachment> {
        let sha = hex::encode(Sha256::digest(bytes));
        let path = self.dir.join(&sha);
        if !path.exists() {
            std::fs::create_dir_all(&self.dir)?;
            let tmp = self.dir.join(format!(".{sha}.{}", uuid::Uuid::new_v4()));
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
