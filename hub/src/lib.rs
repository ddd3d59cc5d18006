//! The city centre's hub node.
