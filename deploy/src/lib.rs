//! The local three-tier demo, its seed data, and (in `src/bin`) the project's certificate authority tool.

pub mod demo;
pub mod demo_gateway;
pub mod seed_calls;
pub mod seed_plan;
pub mod seed_tickets;
