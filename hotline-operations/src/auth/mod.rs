//! Who is calling: staff sessions (browsers) and service-account tokens (machines), resolved for
//! every request before any operation runs. There is no other way in: a request without a valid
//! session or token is refused.
//!
//! - Credentials (password hashes, disabled flags) are replicated per unit (`credential_doc`) and
//!   kept here in memory, replaced when a local edit or a peer's change alters them.
//! - Sessions are local to the node: in memory for speed, in the node's SQLite so they survive a
//!   restart. Each request checks its session against the user's current credential (see
//!   [`hotline_model::credential::Session::check`]): disabling a user or changing their password
//!   ends their sessions here as soon as the change is here.
//! - Secrets (session ids, tokens) are stored only as their SHA-256.

pub mod accounts;
pub mod password;
pub mod signin;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use hotline_model::credential::{Credential, Session, SessionEnd, SessionPolicy};
use hotline_model::role::User;
use rand::RngCore;
use replica_store::Store;
use replica_store::sessions::{StoredSession, StoredToken};
use sha2::{Digest, Sha256};

/// Every credential held, by login, with the unit whose document holds it.
pub type Credentials = BTreeMap<String, (String, Credential)>;

/// The node's live credentials, shared with the sync links that replace them.
pub type CredentialSlot = Arc<RwLock<Arc<Credentials>>>;

/// Replaces the live credentials.
pub fn replace_credentials(slot: &CredentialSlot, all: Credentials) {
    *slot.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(all);
}

/// The secret a request carries, as its face read it (a session cookie or a bearer token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presented {
    /// The session id or the token.
    pub secret: String,
    /// It is a service account's token, not a session id.
    pub is_token: bool,
}

/// A session's last use is written to the store at most this often (ms).
const TOUCH_EVERY_MS: i64 = 60_000;

/// Who made a request.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The acting user.
    pub user: User,
    /// How they proved it.
    pub via: Via,
}

/// How a request proved who made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// A signed-in browser session (the SHA-256 of its id).
    Session(String),
    /// A service account's token (its name).
    Token(String),
}

/// Why a request is not authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// No session cookie or token, or one this node never issued.
    Missing,
    /// The session ended.
    Ended(SessionEnd),
    /// This node has no reference data yet.
    Pending,
}

impl AuthFailure {
    /// The message shown to the user.
    pub fn message_zh(self) -> &'static str {
        match self {
            AuthFailure::Missing => "请先登录",
            AuthFailure::Ended(e) => e.message_zh(),
            AuthFailure::Pending => "本节点正在从上级同步基础数据，请稍后重试",
        }
    }
}

struct Live {
    session: Session,
    written_ms: i64,
}

/// The node's sign-in state.
pub struct Auth {
    credentials: CredentialSlot,
    sessions: Mutex<HashMap<String, Live>>,
    tokens: Mutex<HashMap<String, StoredToken>>,
    /// Session lifetimes.
    pub policy: SessionPolicy,
    /// Whether the node serves HTTPS (cookies are then `Secure` and `__Host-`).
    pub tls: bool,
    /// Failed sign-ins per login and per client address.
    pub(crate) limits: signin::Limits,
}

/// SHA-256 of a secret, hex.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

impl Auth {
    /// Loads credentials, sessions and tokens from the store.
    pub async fn load(store: &Store, policy: SessionPolicy, tls: bool) -> anyhow::Result<Auth> {
        let credentials = store.credentials().await?;
        let (sessions, tokens) = store
            .read(|c| {
                Ok((
                    replica_store::sessions::all(c)?,
                    replica_store::sessions::tokens(c)?,
                ))
            })
            .await?;
        let sessions = sessions
            .into_iter()
            .map(|s| {
                (
                    s.id_hash,
                    Live {
                        session: Session {
                            login: s.login,
                            created_ms: s.created_ms,
                            last_ms: s.last_ms,
                        },
                        written_ms: s.last_ms,
                    },
                )
            })
            .collect();
        let tokens = tokens.into_iter().map(|t| (t.hash.clone(), t)).collect();
        Ok(Auth {
            credentials: Arc::new(RwLock::new(Arc::new(credentials))),
            sessions: Mutex::new(sessions),
            tokens: Mutex::new(tokens),
            policy,
            tls,
            limits: signin::Limits::default(),
        })
    }

    /// The live credentials' slot (the sync links replace its content).
    pub fn credential_slot(&self) -> CredentialSlot {
        self.credentials.clone()
    }

    /// A user's credential and the unit whose document holds it.
    pub fn credential(&self, login: &str) -> Option<(String, Credential)> {
        self.credentials
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(login)
            .cloned()
    }

    /// Re-reads the credentials from the store (after a local edit, or a failed sync step).
    pub async fn reload_credentials(&self, store: &Store) {
        match store.credentials().await {
            Ok(all) => replace_credentials(&self.credentials, all),
            Err(e) => tracing::error!(error = %e, "cannot reload credentials"),
        }
    }

    /// Resolves a request's session or token to its user at `now`. An ended session is removed
    /// (the store's copy in the background).
    pub fn resolve(
        &self,
        store: &Store,
        users: &BTreeMap<String, User>,
        presented: Option<Presented>,
        now: i64,
    ) -> Result<Principal, AuthFailure> {
        let Presented { secret, is_token } = presented.ok_or(AuthFailure::Missing)?;
        if secret.is_empty() || secret.len() > 128 {
            return Err(AuthFailure::Missing);
        }
        let hash = secret_hash(&secret);
        if is_token {
            return self.resolve_token(users, &hash);
        }
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        let Some(live) = sessions.get_mut(&hash) else {
            return Err(AuthFailure::Missing);
        };
        // The credentials' lock is only ever taken alone or inside this one: no lock order to break.
        let credential = self.credential(&live.session.login);
        let checked = live
            .session
            .check(now, self.policy, credential.as_ref().map(|(_, c)| c))
            .and_then(|()| {
                users
                    .get(&live.session.login)
                    .cloned()
                    .ok_or(SessionEnd::Disabled)
            });
        match checked {
            Ok(user) => {
                live.session.last_ms = live.session.last_ms.max(now);
                if now - live.written_ms >= TOUCH_EVERY_MS {
                    live.written_ms = now;
                    let (store, h) = (store.clone(), hash.clone());
                    tokio::spawn(async move {
                        let _ = store
                            .write(move |ctx| replica_store::sessions::touch(ctx.conn, &h, now))
                            .await;
                    });
                }
                Ok(Principal {
                    user,
                    via: Via::Session(hash),
                })
            }
            Err(end) => {
                sessions.remove(&hash);
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = store
                        .write(move |ctx| replica_store::sessions::remove(ctx.conn, &hash))
                        .await;
                });
                Err(AuthFailure::Ended(end))
            }
        }
    }

    /// Resolves a service account's token (already hashed) to its user: the bearer header of the
    /// API, or the `api_key` of Open311.
    pub fn resolve_token(
        &self,
        users: &BTreeMap<String, User>,
        hash: &str,
    ) -> Result<Principal, AuthFailure> {
        let token = self
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(hash)
            .cloned()
            .ok_or(AuthFailure::Missing)?;
        // A service account is a user too: disabling it stops its tokens.
        if self
            .credential(&token.login)
            .is_some_and(|(_, c)| c.disabled)
        {
            return Err(AuthFailure::Ended(SessionEnd::Disabled));
        }
        let user = users
            .get(&token.login)
            .cloned()
            .ok_or(AuthFailure::Ended(SessionEnd::Disabled))?;
        Ok(Principal {
            user,
            via: Via::Token(token.name),
        })
    }

    /// Opens a session for `login` (after the caller proved who they are); returns its id, the
    /// cookie's value. Resolves once the session is durable.
    pub async fn open_session(
        &self,
        store: &Store,
        login: &str,
        client: &str,
        now: i64,
    ) -> anyhow::Result<String> {
        let id = new_secret();
        let stored = StoredSession {
            id_hash: secret_hash(&id),
            login: login.to_owned(),
            created_ms: now,
            last_ms: now,
            client: client.to_owned(),
        };
        let s = stored.clone();
        store
            .write(move |ctx| replica_store::sessions::insert(ctx.conn, &s))
            .await?;
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                stored.id_hash,
                Live {
                    session: Session {
                        login: stored.login,
                        created_ms: now,
                        last_ms: now,
                    },
                    written_ms: now,
                },
            );
        Ok(id)
    }

    /// Ends one session (sign-out).
    pub async fn end_session(&self, store: &Store, id_hash: &str) -> anyhow::Result<()> {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id_hash);
        let h = id_hash.to_owned();
        store
            .write(move |ctx| replica_store::sessions::remove(ctx.conn, &h))
            .await?;
        Ok(())
    }

    /// Ends every session of `login` at this node (password changed, account disabled here).
    pub async fn end_sessions_of(&self, store: &Store, login: &str) -> anyhow::Result<()> {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, l| l.session.login != login);
        let l = login.to_owned();
        store
            .write(move |ctx| replica_store::sessions::remove_for(ctx.conn, &l))
            .await?;
        Ok(())
    }

    /// How many sessions are open here.
    pub fn session_count(&self) -> usize {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Issues a token for service account `login`; returns the token (shown once).
    pub async fn issue_token(
        &self,
        store: &Store,
        name: &str,
        login: &str,
        by: &str,
        now: i64,
    ) -> anyhow::Result<String> {
        let token = format!("hlt_{}", new_secret());
        let stored = StoredToken {
            hash: secret_hash(&token),
            name: name.to_owned(),
            login: login.to_owned(),
            created_ms: now,
            created_by: by.to_owned(),
        };
        let t = stored.clone();
        store
            .write(move |ctx| replica_store::sessions::insert_token(ctx.conn, &t))
            .await?;
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(stored.hash.clone(), stored);
        Ok(token)
    }
}
