//! A node's durable replica: automerge documents in SQLite, the local change feed and query projections.
