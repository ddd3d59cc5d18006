//! Node-to-node replication: the project's PKI, the wire frames, the QUIC transport and the sans-IO
//! sync session.
//!
//! # Pieces
//!
//! | module | what |
//! |---|---|
//! | [`pki`], [`ca_dir`] | the project CA (rcgen, ring): node certificates carrying the node code and its jurisdiction, CRL, deny-list; `hotline-ca` in `deploy` drives [`ca_dir`] |
//! | [`message`], [`frame`] | the messages (serde + postcard) and their length-prefixed frames |
//! | [`transport`] | QUIC (quinn) with mutual TLS (rustls, ring) to the project CA only, ALPN `hotline-sync/1`, version in the first frame, keep-alive, revocation, redial with backoff |
//! | [`session`] | the sync session of one link, a pure state machine |
//! | [`store`] | what the session needs from the node's replica store ([`store::SyncStore`]) |
//! | [`memory`] | an in-memory [`store::SyncStore`] (tests, simulation, reference for the SQLite one) |
//! | [`scope`], [`digest`] | jurisdiction checks; the integrity digest |
//! | [`driver`] | runs a session over a transport link (tokio) |
//!
//! # Identity and trust
//!
//! Every node holds a certificate issued by the project CA with the SAN URI
//! `hotline://node/<node-code>?scope=<unit-code>` and the DNS name `<node-code>.node.hotline`.
//! Connections are mutual TLS 1.3 over QUIC; both sides trust only the project CA (no system roots)
//! and check the CA's CRL; the server also checks a deny-list at accept, and
//! [`transport::Revocations::revoke`] closes live connections of a revoked certificate. The peer's
//! node code and scope come from `Connection::peer_identity()` ([`transport::peer_identity`]),
//! never from a message. A client dials a node by its code and refuses a server whose certificate
//! names another node.
//!
//! # Wire
//!
//! One QUIC connection per link, one bidirectional stream opened by the dialling side. Each frame
//! is `u32` big-endian length, one type byte (1 = message), a postcard-encoded
//! [`message::Message`]. The length is checked against the limit (8 MiB by default) before the
//! body is read. The first frame each way is `Hello { version, min_version }`; a side with no
//! version in common answers `Refused` and closes. Any malformed or oversized frame closes the
//! connection (logged); the dialler redials with exponential backoff and jitter.
//!
//! # The sync protocol
//!
//! Each node keeps a **feed**: one entry per document, moved to a fresh, monotonic `seq` whenever
//! the document changes here (local edit, changes applied from any link, leave, purge). Each link
//! keeps, on each side, a **cursor** `(peer feed epoch, seq)`: how far the peer's feed has been
//! durably applied here. Each side of a link both pulls the peer's feed and serves its own:
//!
//! 1. `FeedRequest{since: cursor.seq, limit, whole}` →
//! 2. the server reads its feed after `since`, keeps the entries meant for the requester (scope from
//!    the requester's certificate) and answers `FeedPage{since, epoch, entries, scanned_to, more}`.
//!    With nothing new it *parks* the request and answers when its feed advances (long poll), so a
//!    link in sync costs one parked request each way: a reconnect with nothing changed is two
//!    messages of a few bytes, whatever the document count.
//! 3. For each `Update` entry whose heads the receiver does not all hold, it asks
//!    `ChangesRequest{page, wants: [(doc, my heads)]}`; the server answers
//!    `Changes{page, docs: [(doc, get_changes(my heads), heads)]}` (cut into ~1 MiB messages; every
//!    wanted document answered once, empty when refused).
//! 4. When every wanted document of the page is in, the receiver applies them **and saves the
//!    cursor `scanned_to` in the same store transaction** ([`store::ApplyBatch::then_cursor`]), then
//!    asks for the next page (or parks). A crash before that commit loses nothing: the page is
//!    fetched again and re-applying changes is a no-op. Stale, duplicated or reordered answers are
//!    ignored by matching `since`/`page`; lost ones are re-asked after `retry_after_ms`.
//! 5. A new peer epoch (restore from backup, which also takes a new automerge actor id) restarts
//!    the cursor at 0.
//!
//! Two savings on top: when the store implements [`store::SyncStore::changes_after_seq`], the
//! server puts the changes that reached it after the requester's cursor **inline** in the feed
//! entry (no `ChangesRequest` round trip; the entry's heads are left out when they equal the tips
//! of those changes). The receiver applies them, and asks for the rest only when it still lacks
//! some of the heads (the entry of a document moves to a fresh seq on every change, so the
//! cursor alone never proves the receiver holds the older changes). And a document whose state
//! here is exactly what the peer just sent is not echoed back to it.
//!
//! **First pulls stream.** A session that starts from cursor 0 asks with `whole: true`: the
//! server then inlines whole documents (as stored) where it cannot single out changes after
//! `since`, and cuts each page where its inline bytes reach `max_changes_bytes` (`more` is set, and
//! `scanned_to` stops before the entry that did not fit). The receiver takes a page in hand and,
//! when more follow, asks for the next one at once, before applying this one: it applies on
//! [`session::Input::Continue`], which the driver feeds right after sending that request
//! ([`session::Session::has_work`]). So the server reads and sends page N+1 while the receiver
//! applies page N; pages are still worked through strictly in order, one cursor each.
//!
//! **A node without reference data** (a new office installed with its certificate only) cannot tell
//! which entries are its own before it holds the org tree. Its session (`shared_first`) first pulls
//! the whole feed with `shared_only: true`: only documents meant for every node travel, nothing of
//! that pass moves the cursor; the upstream it dialled counts as its parent until its own unit is
//! in the tree. Then the pull proper starts from its cursor. Within every page, entries of shared
//! documents are taken (and applied) before the others, and the session re-derives the peer's role
//! from the org tree at every input.
//!
//! **Scope, both ends.** The scope of a node is the unit subtree rooted at the unit of its
//! certificate; a document is in scope when one of its units (lead and co-handling units) lies in
//! the subtree, or it has none (reference data, sent everywhere; written only by parents). The
//! server sends only entries in the requester's scope and serves changes only of documents in it;
//! the receiver drops entries outside its own scope; applying is authorised per document
//! ([`store::Authorise`]): the peer may change a document only if the document touches (now or
//! ever, `ever_units`) the peer's subtree (a parent may change anything in its own), and the result
//! must lie in the receiver's scope (or be a document a child of ours pushes while it leaves).
//! Refusals are logged and counted in [`session::LinkStatus::refusals`].
//!
//! **Leaving scope (purge).** When a document's units leave a child's subtree, the parent's feed
//! entry becomes `Purge` for that child. The child marks it *leaving* (still pushing its own
//! changes upward), waits until each of *its* children that could hold it acknowledged their
//! removal (their `Removed` entry), then sends `PurgeCheck{doc, heads}`; the parent answers
//! `confirmed` only if it holds all those heads. Only then does the child purge the document
//! (content and history) and write a tombstone entry (`Removed`), which acknowledges to its parent
//! and tells its own children. So what a node did to a ticket before it learned of the move reaches
//! the hub, and no node keeps a ticket outside its scope once links heal.
//!
//! **Integrity.** An idle link compares every `digest_every_ms` a SHA-256 over the sorted
//! `(doc id, heads)` of the documents both sides share (`DigestRequest`/`Digest`); two mismatches
//! in a row start a full compare (the feed from 0; only documents whose heads differ move).
//!
//! # Wiring it into a node
//!
//! Implement [`store::SyncStore`] on the replica store (each method one transaction; `apply` saves
//! the cursor in the same transaction), then per link: [`transport::connect`] /
//! [`transport::Dialer::connect_with_backoff`] (dialling side) or [`transport::accept`] (listening
//! side), build a [`session::Session`] with [`session::SessionConfig::new`]`(me, peer from
//! link.peer(), children)` and the org tree's `is_within` as [`scope::Within`], and run
//! [`driver::run_link`]; when it returns, dial again.

pub mod blob;
pub mod ca_dir;
pub mod digest;
pub mod driver;
pub mod frame;
pub mod memory;
pub mod message;
pub mod pki;
pub mod scope;
pub mod session;
pub mod store;
pub mod transport;
