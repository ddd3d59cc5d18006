//! Password hashing: argon2id with the crate's recommended parameters (19 MiB, 2 passes), as a PHC
//! string. Hashing takes tens of milliseconds on purpose, so it runs off the async runtime.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngCore;

/// Hashes a password with a fresh random salt.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let h = Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
    Ok(h.to_string())
}

/// Whether `password` matches the PHC string `phc` (false for an unreadable hash).
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// [`hash`] on a blocking thread.
pub async fn hash_async(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

/// [`verify`] on a blocking thread; `phc = None` (no such user) still spends the time of one
/// verification, so a wrong login and a wrong password take as long.
pub async fn verify_async(password: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match phc {
        Some(p) => verify(&password, &p),
        None => {
            let _ = verify(&password, decoy());
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// A valid hash of a random password, computed once.
fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut pw = [0u8; 16];
        rand::rng().fill_bytes(&mut pw);
        hash(&hex::encode(pw)).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash("热线2026工作").expect("hash");
        let b = hash("热线2026工作").expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b);
        assert!(verify("热线2026工作", &a));
        assert!(!verify("热线2026工做", &a));
        assert!(!verify("x", "not a hash"));
    }
}
