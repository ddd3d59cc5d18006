//! A district or town edge node.
