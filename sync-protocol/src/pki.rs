//! The project's own certificate authority: CA creation, node certificates that carry a node's code
//! and jurisdiction, certificate revocation lists, and reading a peer's identity back from its certificate.
//!
//! # How identity is carried
//!
//! A node certificate has two subject alternative names:
//!
//! * a URI `hotline://node/<node-code>?scope=<unit-code>`: the node's code and the root of the unit
//!   subtree it serves (its jurisdiction). [`read_peer_identity`] reads it back;
//! * a DNS name `<node-code, lower case>.node.hotline` ([`server_name_for`]), so a client that dials a
//!   node checks it reached the node it meant to reach (standard WebPKI name checking).
//!
//! Node codes are 1–63 ASCII letters, digits or `-`; unit codes 1–64 ASCII letters, digits, `-`, `_`
//! or `.`. Nothing else is accepted, so no escaping is ever needed.
//!
//! No function here reads the clock: the caller passes `now`. Key generation uses ring's system RNG,
//! and the serial number is passed in (16 random bytes from the caller).

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevocationReason, RevokedCertParams, SanType, SerialNumber,
};
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use std::collections::BTreeSet;
use time::{Duration, OffsetDateTime};

/// Default lifetime of a node certificate (security.md: short-lived node certificates, ≤ 30 days).
pub const DEFAULT_NODE_CERT_DAYS: u32 = 30;
/// Default lifetime of the CA certificate.
pub const DEFAULT_CA_DAYS: u32 = 3650;
/// How far back `not_before` is set, to tolerate clock skew between nodes.
pub const BACKDATE: Duration = Duration::hours(1);
/// URI scheme and authority of the identity SAN.
pub const IDENTITY_URI_PREFIX: &str = "hotline://node/";
/// DNS suffix of the server-name SAN.
pub const SERVER_NAME_SUFFIX: &str = ".node.hotline";

/// Errors of the PKI functions.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("invalid node code {0:?}: use 1-63 ASCII letters, digits or '-'")]
    InvalidNodeCode(String),
    #[error("invalid unit code {0:?}: use 1-64 ASCII letters, digits, '-', '_' or '.'")]
    InvalidUnitCode(String),
    #[error("invalid validity: {0} days")]
    InvalidValidity(u32),
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("cannot parse certificate: {0}")]
    Parse(String),
    #[error("certificate carries no hotline identity URI")]
    NoIdentity,
    #[error("malformed identity URI {0:?}")]
    BadIdentityUri(String),
    #[error("invalid PEM: {0}")]
    Pem(String),
}

/// Who a peer is, as its certificate says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    /// The node's code (e.g. `d-01`).
    pub node_code: String,
    /// Root unit of the subtree the node serves.
    pub scope_unit: String,
    /// Certificate serial number, lower-case hex without leading zero bytes.
    pub serial: String,
    /// End of validity.
    pub not_after: OffsetDateTime,
}

/// The project's certificate authority: its key and self-signed certificate.
pub struct CertificateAuthority {
    key: KeyPair,
    cert_pem: String,
    cert_der: CertificateDer<'static>,
}

/// A freshly issued node certificate with its private key.
pub struct IssuedCert {
    pub cert_pem: String,
    pub key_pem: String,
    pub identity: PeerIdentity,
}

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// Serial in the form of [`PeerIdentity::serial`].
    pub serial: String,
    pub revoked_at: OffsetDateTime,
}

/// Checks a node code.
pub fn validate_node_code(code: &str) -> Result<(), PkiError> {
    let ok = !code.is_empty()
        && code.len() <= 63
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(PkiError::InvalidNodeCode(code.to_owned()))
    }
}

/// Checks a unit code.
pub fn validate_unit_code(code: &str) -> Result<(), PkiError> {
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(PkiError::InvalidUnitCode(code.to_owned()))
    }
}

/// The TLS server name a client uses when dialling the node `node_code`.
pub fn server_name_for(node_code: &str) -> String {
    format!("{}{}", node_code.to_ascii_lowercase(), SERVER_NAME_SUFFIX)
}

/// The identity URI written into a node certificate.
pub fn identity_uri(node_code: &str, scope_unit: &str) -> String {
    format!("{IDENTITY_URI_PREFIX}{node_code}?scope={scope_unit}")
}

/// Normalises serial bytes to the hex form used everywhere (no leading zero bytes).
pub fn serial_hex(bytes: &[u8]) -> String {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    hex::encode(&bytes[start..])
}

fn serial_from_random(random: [u8; 16]) -> Vec<u8> {
    let mut bytes = random.to_vec();
    // Positive and without a leading zero byte, so DER keeps these exact bytes.
    bytes[0] = (bytes[0] & 0x7f) | 0x10;
    bytes
}

/// Normalises a hex serial typed by a person (case, leading zero bytes, `:` separators).
pub fn normalize_serial(serial: &str) -> String {
    let cleaned: String = serial
        .chars()
        .filter(|c| *c != ':')
        .collect::<String>()
        .to_ascii_lowercase();
    match hex::decode(&cleaned) {
        Ok(bytes) => serial_hex(&bytes),
        Err(_) => cleaned,
    }
}

fn parse_serial_hex(serial: &str) -> Result<Vec<u8>, PkiError> {
    let bytes =
        hex::decode(serial).map_err(|e| PkiError::Parse(format!("serial {serial:?}: {e}")))?;
    if bytes.is_empty() {
        return Err(PkiError::Parse("empty serial".into()));
    }
    Ok(bytes)
}

impl CertificateAuthority {
    /// Creates a new CA (fresh P-256 key, self-signed certificate valid `days` from `now`).
    pub fn create(
        name: &str,
        now: OffsetDateTime,
        days: u32,
        serial_random: [u8; 16],
    ) -> Result<Self, PkiError> {
        if days == 0 {
            return Err(PkiError::InvalidValidity(days));
        }
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, name);
        dn.push(DnType::OrganizationName, "12345 hotline");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = now - BACKDATE;
        params.not_after = now + Duration::days(i64::from(days));
        params.serial_number = Some(SerialNumber::from_slice(&serial_from_random(serial_random)));
        params.key_identifier_method = KeyIdMethod::Sha256;
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            key,
        })
    }

    /// Loads a CA from its certificate and key PEM.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, PkiError> {
        let key = KeyPair::from_pem(key_pem)?;
        let cert_der = pem_to_cert_der(cert_pem)?;
        // Parsing checks the certificate is usable as an issuer.
        Issuer::from_ca_cert_der(&cert_der, &key)?;
        Ok(Self {
            key,
            cert_pem: cert_pem.to_owned(),
            cert_der,
        })
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    /// The CA private key in PKCS#8 PEM (keep it off the nodes).
    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    fn issuer(&self) -> Result<Issuer<'static, &KeyPair>, PkiError> {
        Ok(Issuer::from_ca_cert_der(&self.cert_der, &self.key)?)
    }

    /// Issues a node certificate (usable as TLS server and client) for `node_code` serving the subtree
    /// rooted at `scope_unit`, valid `days` from `now` (backdated by [`BACKDATE`]).
    pub fn issue_node(
        &self,
        node_code: &str,
        scope_unit: &str,
        now: OffsetDateTime,
        days: u32,
        serial_random: [u8; 16],
    ) -> Result<IssuedCert, PkiError> {
        if days == 0 {
            return Err(PkiError::InvalidValidity(days));
        }
        let not_after = now + Duration::days(i64::from(days));
        self.issue_node_window(
            node_code,
            scope_unit,
            now - BACKDATE,
            not_after,
            serial_random,
        )
    }

    /// Issues a node certificate with an explicit validity window (tests use it for expired
    /// certificates; operators should use [`Self::issue_node`]).
    pub fn issue_node_window(
        &self,
        node_code: &str,
        scope_unit: &str,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
        serial_random: [u8; 16],
    ) -> Result<IssuedCert, PkiError> {
        validate_node_code(node_code)?;
        validate_unit_code(scope_unit)?;
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, node_code);
        dn.push(DnType::OrganizationalUnitName, scope_unit);
        params.distinguished_name = dn;
        let uri = identity_uri(node_code, scope_unit);
        params.subject_alt_names = vec![
            SanType::URI(uri.as_str().try_into()?),
            SanType::DnsName(server_name_for(node_code).as_str().try_into()?),
        ];
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        params.key_identifier_method = KeyIdMethod::Sha256;
        params.not_before = not_before;
        params.not_after = not_after;
        let serial = serial_from_random(serial_random);
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        let cert = params.signed_by(&key, &self.issuer()?)?;
        let identity = read_peer_identity(cert.der())?;
        Ok(IssuedCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            identity,
        })
    }

    /// Issues a web server certificate (HTTPS for a node's pages and API) for `hosts` — DNS names
    /// or IP addresses as browsers will reach the node — valid `days` from `now` (backdated by
    /// [`BACKDATE`]). It is no node identity: it serves TLS only, never a sync link.
    pub fn issue_web(
        &self,
        hosts: &[String],
        now: OffsetDateTime,
        days: u32,
        serial_random: [u8; 16],
    ) -> Result<(String, String), PkiError> {
        let first = hosts
            .first()
            .ok_or_else(|| PkiError::Parse("a web certificate needs at least one host".into()))?;
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, first.as_str());
        params.distinguished_name = dn;
        params.subject_alt_names = hosts
            .iter()
            .map(|h| match h.parse::<std::net::IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => Ok(SanType::DnsName(h.as_str().try_into()?)),
            })
            .collect::<Result<_, rcgen::Error>>()?;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.key_identifier_method = KeyIdMethod::Sha256;
        params.not_before = now - BACKDATE;
        params.not_after = now + Duration::days(i64::from(days));
        params.serial_number = Some(SerialNumber::from_slice(&serial_from_random(serial_random)));
        let cert = params.signed_by(&key, &self.issuer()?)?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    /// Issues a CRL listing `revoked`, valid from `now` for `next_update_days`.
    /// `crl_number` must grow with every CRL the CA issues.
    pub fn issue_crl(
        &self,
        revoked: &[Revoked],
        now: OffsetDateTime,
        next_update_days: u32,
        crl_number: u64,
    ) -> Result<String, PkiError> {
        let mut revoked_certs = Vec::with_capacity(revoked.len());
        for r in revoked {
            revoked_certs.push(RevokedCertParams {
                serial_number: SerialNumber::from_slice(&parse_serial_hex(&r.serial)?),
                revocation_time: r.revoked_at,
                reason_code: Some(RevocationReason::Unspecified),
                invalidity_date: None,
            });
        }
        let params = CertificateRevocationListParams {
            this_update: now - BACKDATE,
            next_update: now + Duration::days(i64::from(next_update_days.max(1))),
            crl_number: SerialNumber::from_slice(&crl_number.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(&self.issuer()?)?.pem()?)
    }
}

/// Reads the identity a node certificate (DER) carries. Does not verify the certificate: call it on
/// certificates that TLS already verified (`Connection::peer_identity()`), or for display.
pub fn read_peer_identity(der: &[u8]) -> Result<PeerIdentity, PkiError> {
    let (_, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|e| PkiError::Parse(e.to_string()))?;
    let san = cert
        .subject_alternative_name()
        .map_err(|e| PkiError::Parse(e.to_string()))?
        .ok_or(PkiError::NoIdentity)?;
    let uri = san
        .value
        .general_names
        .iter()
        .find_map(|n| match n {
            x509_parser::extensions::GeneralName::URI(u) if u.starts_with(IDENTITY_URI_PREFIX) => {
                Some(*u)
            }
            _ => None,
        })
        .ok_or(PkiError::NoIdentity)?;
    let (node_code, scope_unit) = parse_identity_uri(uri)?;
    Ok(PeerIdentity {
        node_code,
        scope_unit,
        serial: serial_hex(cert.raw_serial()),
        not_after: cert.validity().not_after.to_datetime(),
    })
}

/// Splits `hotline://node/<code>?scope=<unit>` into its parts, validating both.
pub fn parse_identity_uri(uri: &str) -> Result<(String, String), PkiError> {
    let bad = || PkiError::BadIdentityUri(uri.to_owned());
    let rest = uri.strip_prefix(IDENTITY_URI_PREFIX).ok_or_else(bad)?;
    let (code, query) = rest.split_once("?scope=").ok_or_else(bad)?;
    validate_node_code(code).map_err(|_| bad())?;
    validate_unit_code(query).map_err(|_| bad())?;
    Ok((code.to_owned(), query.to_owned()))
}

/// Decodes the first certificate of a PEM text.
pub fn pem_to_cert_der(pem: &str) -> Result<CertificateDer<'static>, PkiError> {
    use rustls_pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| PkiError::Pem(e.to_string()))
}

/// Decodes every certificate of a PEM text (a chain or a bundle of CAs during rotation).
pub fn pem_to_cert_chain(pem: &str) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    use rustls_pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PkiError::Pem(e.to_string()))
}

/// Decodes a private key PEM.
pub fn pem_to_key_der(pem: &str) -> Result<PrivateKeyDer<'static>, PkiError> {
    use rustls_pki_types::pem::PemObject;
    PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|e| PkiError::Pem(e.to_string()))
}

/// Decodes every CRL of a PEM text.
pub fn pem_to_crls(pem: &str) -> Result<Vec<CertificateRevocationListDer<'static>>, PkiError> {
    use rustls_pki_types::pem::PemObject;
    CertificateRevocationListDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PkiError::Pem(e.to_string()))
}

/// Serials that must be refused even when TLS accepted them (rustls checks CRLs only at connect
/// time, and only the CRLs it was built with). Text form: one serial per line, `#` comments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DenyList {
    serials: BTreeSet<String>,
}

impl DenyList {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the text form.
    pub fn parse(text: &str) -> Self {
        let serials = text
            .lines()
            .map(|l| {
                l.split('#')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|l| !l.is_empty())
            .map(|l| normalize_serial(&l))
            .collect();
        Self { serials }
    }

    /// The text form.
    pub fn to_text(&self) -> String {
        self.serials.iter().map(|s| format!("{s}\n")).collect()
    }

    pub fn insert(&mut self, serial: &str) -> bool {
        self.serials.insert(normalize_serial(serial))
    }

    pub fn contains(&self, serial: &str) -> bool {
        self.serials.contains(&normalize_serial(serial))
    }

    pub fn len(&self) -> usize {
        self.serials.len()
    }

    pub fn is_empty(&self) -> bool {
        self.serials.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.serials.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_790_000_000).expect("valid timestamp")
    }

    #[test]
    fn node_certificate_carries_identity() {
        let ca = CertificateAuthority::create("test CA", now(), 365, [7; 16]).expect("ca");
        let issued = ca
            .issue_node("d-01", "310101", now(), 30, [9; 16])
            .expect("issue");
        let der = pem_to_cert_der(&issued.cert_pem).expect("pem");
        let id = read_peer_identity(&der).expect("identity");
        assert_eq!(id.node_code, "d-01");
        assert_eq!(id.scope_unit, "310101");
        assert_eq!(id.not_after, now() + Duration::days(30));
        assert_eq!(id.serial, issued.identity.serial);
        assert_eq!(id.serial.len(), 32);
        // The CA itself carries no node identity.
        assert!(matches!(
            read_peer_identity(ca.cert_der()),
            Err(PkiError::NoIdentity)
        ));
    }

    #[test]
    fn bad_codes_are_refused() {
        let ca = CertificateAuthority::create("test CA", now(), 365, [7; 16]).expect("ca");
        assert!(matches!(
            ca.issue_node("d 01", "310101", now(), 30, [1; 16]),
            Err(PkiError::InvalidNodeCode(_))
        ));
        assert!(matches!(
            ca.issue_node("d01", "31?scope=1", now(), 30, [1; 16]),
            Err(PkiError::InvalidUnitCode(_))
        ));
        assert!(parse_identity_uri("hotline://node/a?scope=").is_err());
        assert!(parse_identity_uri("https://node/a?scope=b").is_err());
    }

    #[test]
    fn ca_round_trips_through_pem_and_issues_crl() {
        let ca = CertificateAuthority::create("test CA", now(), 365, [7; 16]).expect("ca");
        let again = CertificateAuthority::from_pem(ca.cert_pem(), &ca.key_pem()).expect("load");
        let issued = again
            .issue_node("t-07", "310101001", now(), 10, [3; 16])
            .expect("issue");
        let crl_pem = again
            .issue_crl(
                &[Revoked {
                    serial: issued.identity.serial.clone(),
                    revoked_at: now(),
                }],
                now(),
                7,
                2,
            )
            .expect("crl");
        let crls = pem_to_crls(&crl_pem).expect("crl pem");
        assert_eq!(crls.len(), 1);
        let (_, parsed) = x509_parser::parse_x509_crl(crls[0].as_ref())
            .map_err(|e| e.to_string())
            .expect("parse crl");
        let serials: Vec<String> = parsed
            .iter_revoked_certificates()
            .map(|r| serial_hex(r.raw_serial()))
            .collect();
        assert_eq!(serials, vec![issued.identity.serial]);
    }

    #[test]
    fn deny_list_text_round_trip() {
        let mut d = DenyList::new();
        assert!(d.insert("00AB12"));
        assert!(d.insert("ff"));
        let text = d.to_text();
        let back = DenyList::parse(&format!("# revoked\n{text}\n"));
        assert!(back.contains("ab12"));
        assert!(back.contains("FF"));
        assert_eq!(back.len(), 2);
    }
}
