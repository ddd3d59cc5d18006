//! Chinese full-text search for the knowledge base.
