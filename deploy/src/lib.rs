//! The local three-tier demo, seed data and the project's certificate authority tool.
