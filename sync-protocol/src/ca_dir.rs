//! The certificate authority kept in a directory: what `hotline-ca` and the demo use to create the CA,
//! issue node certificates, revoke them and publish the CRL and deny-list.
//!
//! Layout of the directory:
//!
//! | file | content |
//! |---|---|
//! | `ca.pem` | CA certificate (give it to every node) |
//! | `ca.key` | CA private key (mode 0600; never on a node) |
//! | `nodes/<code>.pem`, `nodes/<code>.key` | node certificate and key |
//! | `issued.txt` | one line per issued certificate: `serial node scope not_after` |
//! | `revoked.txt` | one line per revocation: `serial revoked_at` (RFC 3339) |
//! | `crl.pem` | CRL signed by the CA, rewritten on every revocation |
//! | `deny.txt` | deny-list (one serial per line), rewritten with the CRL |
//! | `crl_number` | last CRL number |

use crate::pki::{CertificateAuthority, DenyList, IssuedCert, PkiError, Revoked, normalize_serial};
use std::fs;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// How long a CRL is valid before the CA must publish the next one.
pub const CRL_VALID_DAYS: u32 = 7;

/// Errors of the CA directory.
#[derive(Debug, thiserror::Error)]
pub enum CaDirError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error("{0} already holds a CA")]
    AlreadyInitialised(PathBuf),
    #[error("{path}: malformed line {line:?}")]
    Malformed { path: PathBuf, line: String },
    #[error("serial {0} was not issued by this CA")]
    UnknownSerial(String),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CaDirError + '_ {
    move |source| CaDirError::Io {
        path: path.to_owned(),
        source,
    }
}

fn read(path: &Path) -> Result<String, CaDirError> {
    fs::read_to_string(path).map_err(io_err(path))
}

fn read_optional(path: &Path) -> Result<String, CaDirError> {
    match fs::read_to_string(path) {
        Ok(s) => Ok(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(CaDirError::Io {
            path: path.to_owned(),
            source: e,
        }),
    }
}

/// Writes a file atomically (temp file + rename), private when `secret`.
fn write(path: &Path, content: &str, secret: bool) -> Result<(), CaDirError> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, content).map_err(io_err(&tmp))?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600)).map_err(io_err(&tmp))?;
    }
    #[cfg(not(unix))]
    let _ = secret;
    fs::rename(&tmp, path).map_err(io_err(path))
}

fn append(path: &Path, line: &str) -> Result<(), CaDirError> {
    let mut text = read_optional(path)?;
    text.push_str(line);
    text.push('\n');
    write(path, &text, false)
}

/// One line of `issued.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedRecord {
    pub serial: String,
    pub node_code: String,
    pub scope_unit: String,
    pub not_after: OffsetDateTime,
}

/// Paths of a freshly issued node certificate.
#[derive(Debug, Clone)]
pub struct IssuedFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub record: IssuedRecord,
}

/// A CA directory.
pub struct CaDir {
    dir: PathBuf,
    ca: CertificateAuthority,
}

impl CaDir {
    /// Creates the CA in `dir` (created if missing), with an empty CRL and deny-list.
    pub fn init(
        dir: &Path,
        now: OffsetDateTime,
        serial_random: [u8; 16],
    ) -> Result<Self, CaDirError> {
        if dir.join("ca.pem").exists() {
            return Err(CaDirError::AlreadyInitialised(dir.to_owned()));
        }
        fs::create_dir_all(dir.join("nodes")).map_err(io_err(dir))?;
        let ca = CertificateAuthority::create(
            "12345 hotline node CA",
            now,
            crate::pki::DEFAULT_CA_DAYS,
            serial_random,
        )?;
        write(&dir.join("ca.key"), &ca.key_pem(), true)?;
        write(&dir.join("ca.pem"), ca.cert_pem(), false)?;
        let this = Self {
            dir: dir.to_owned(),
            ca,
        };
        this.publish(now)?;
        Ok(this)
    }

    /// Opens an existing CA directory.
    pub fn open(dir: &Path) -> Result<Self, CaDirError> {
        let ca = CertificateAuthority::from_pem(
            &read(&dir.join("ca.pem"))?,
            &read(&dir.join("ca.key"))?,
        )?;
        Ok(Self {
            dir: dir.to_owned(),
            ca,
        })
    }

    /// Opens the CA in `dir`, creating it first when there is none (what the demo does on first run).
    pub fn open_or_init(
        dir: &Path,
        now: OffsetDateTime,
        serial_random: [u8; 16],
    ) -> Result<Self, CaDirError> {
        if dir.join("ca.pem").exists() {
            Self::open(dir)
        } else {
            Self::init(dir, now, serial_random)
        }
    }

    pub fn ca(&self) -> &CertificateAuthority {
        &self.ca
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Issues a web server certificate for `hosts` into `web/<first host>.pem` and `.key`; returns
    /// the two paths.
    pub fn issue_web(
        &self,
        hosts: &[String],
        days: u32,
        now: OffsetDateTime,
        serial_random: [u8; 16],
    ) -> Result<(PathBuf, PathBuf), CaDirError> {
        let (cert_pem, key_pem) = self.ca.issue_web(hosts, now, days, serial_random)?;
        let web = self.dir.join("web");
        fs::create_dir_all(&web).map_err(io_err(&web))?;
        let name: String = hosts[0]
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let cert = web.join(format!("{name}.pem"));
        let key = web.join(format!("{name}.key"));
        write(&key, &key_pem, true)?;
        write(&cert, &cert_pem, false)?;
        Ok((cert, key))
    }

    /// Issues a node certificate and writes `nodes/<code>.pem` and `nodes/<code>.key`.
    pub fn issue(
        &self,
        node_code: &str,
        scope_unit: &str,
        days: u32,
        now: OffsetDateTime,
        serial_random: [u8; 16],
    ) -> Result<IssuedFiles, CaDirError> {
        let IssuedCert {
            cert_pem,
            key_pem,
            identity,
        } = self
            .ca
            .issue_node(node_code, scope_unit, now, days, serial_random)?;
        let nodes = self.dir.join("nodes");
        fs::create_dir_all(&nodes).map_err(io_err(&nodes))?;
        let cert = nodes.join(format!("{node_code}.pem"));
        let key = nodes.join(format!("{node_code}.key"));
        write(&key, &key_pem, true)?;
        write(&cert, &cert_pem, false)?;
        let not_after = identity
            .not_after
            .format(&Rfc3339)
            .map_err(|e| PkiError::Parse(e.to_string()))?;
        append(
            &self.dir.join("issued.txt"),
            &format!(
                "{} {} {} {}",
                identity.serial, identity.node_code, identity.scope_unit, not_after
            ),
        )?;
        let record = IssuedRecord {
            serial: identity.serial,
            node_code: identity.node_code,
            scope_unit: identity.scope_unit,
            not_after: identity.not_after,
        };
        Ok(IssuedFiles { cert, key, record })
    }

    /// Every certificate issued by this CA.
    pub fn issued(&self) -> Result<Vec<IssuedRecord>, CaDirError> {
        let path = self.dir.join("issued.txt");
        let mut out = Vec::new();
        for line in read_optional(&path)?
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let bad = || CaDirError::Malformed {
                path: path.clone(),
                line: line.to_owned(),
            };
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [serial, node, scope, not_after] = parts.as_slice() else {
                return Err(bad());
            };
            let not_after = OffsetDateTime::parse(not_after, &Rfc3339).map_err(|_| bad())?;
            out.push(IssuedRecord {
                serial: (*serial).to_owned(),
                node_code: (*node).to_owned(),
                scope_unit: (*scope).to_owned(),
                not_after,
            });
        }
        Ok(out)
    }

    /// Every revocation so far.
    pub fn revoked(&self) -> Result<Vec<Revoked>, CaDirError> {
        let path = self.dir.join("revoked.txt");
        let mut out = Vec::new();
        for line in read_optional(&path)?
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let bad = || CaDirError::Malformed {
                path: path.clone(),
                line: line.to_owned(),
            };
            let (serial, at) = line.split_once(' ').ok_or_else(bad)?;
            let revoked_at = OffsetDateTime::parse(at.trim(), &Rfc3339).map_err(|_| bad())?;
            out.push(Revoked {
                serial: serial.to_owned(),
                revoked_at,
            });
        }
        Ok(out)
    }

    /// Revokes `serial` (must have been issued here) and republishes `crl.pem` and `deny.txt`.
    /// Revoking twice is harmless.
    pub fn revoke(&self, serial: &str, now: OffsetDateTime) -> Result<(), CaDirError> {
        let serial = normalize_serial(serial);
        if !self.issued()?.iter().any(|r| r.serial == serial) {
            return Err(CaDirError::UnknownSerial(serial));
        }
        if !self.revoked()?.iter().any(|r| r.serial == serial) {
            let at = now
                .format(&Rfc3339)
                .map_err(|e| PkiError::Parse(e.to_string()))?;
            append(&self.dir.join("revoked.txt"), &format!("{serial} {at}"))?;
        }
        self.publish(now)
    }

    /// Writes a fresh CRL (next CRL number) and the deny-list from `revoked.txt`.
    pub fn publish(&self, now: OffsetDateTime) -> Result<(), CaDirError> {
        let revoked = self.revoked()?;
        let number_path = self.dir.join("crl_number");
        let last: u64 = read_optional(&number_path)?.trim().parse().unwrap_or(0);
        let number = last + 1;
        let crl = self.ca.issue_crl(&revoked, now, CRL_VALID_DAYS, number)?;
        write(&self.dir.join("crl.pem"), &crl, false)?;
        let mut deny = DenyList::new();
        for r in &revoked {
            deny.insert(&r.serial);
        }
        write(&self.dir.join("deny.txt"), &deny.to_text(), false)?;
        write(&number_path, &format!("{number}\n"), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{pem_to_cert_der, pem_to_crls, read_peer_identity};

    #[test]
    fn init_issue_revoke() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let now = OffsetDateTime::from_unix_timestamp(1_790_000_000).expect("ts");
        let ca = CaDir::init(tmp.path(), now, [1; 16]).expect("init");
        assert!(matches!(
            CaDir::init(tmp.path(), now, [1; 16]),
            Err(CaDirError::AlreadyInitialised(_))
        ));
        let files = ca.issue("d-02", "310102", 20, now, [2; 16]).expect("issue");
        let der = pem_to_cert_der(&fs::read_to_string(&files.cert).expect("read")).expect("pem");
        let id = read_peer_identity(&der).expect("id");
        assert_eq!(id.node_code, "d-02");
        assert_eq!(ca.issued().expect("issued")[0].serial, id.serial);

        let reopened = CaDir::open(tmp.path()).expect("open");
        assert!(matches!(
            reopened.revoke("abcd", now),
            Err(CaDirError::UnknownSerial(_))
        ));
        reopened
            .revoke(&id.serial.to_uppercase(), now)
            .expect("revoke");
        reopened.revoke(&id.serial, now).expect("revoke twice");
        assert_eq!(reopened.revoked().expect("revoked").len(), 1);
        let deny = DenyList::parse(&fs::read_to_string(tmp.path().join("deny.txt")).expect("deny"));
        assert!(deny.contains(&id.serial));
        let crls = pem_to_crls(&fs::read_to_string(tmp.path().join("crl.pem")).expect("crl"))
            .expect("crl");
        assert_eq!(crls.len(), 1);
        assert_eq!(
            fs::read_to_string(tmp.path().join("crl_number"))
                .expect("n")
                .trim(),
            "3"
        );
    }
}
