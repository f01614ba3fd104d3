//! The end-to-end test binary: one module per area.

mod answers;
mod browser;
mod api;
mod corpus;
mod engine;
mod exports;
mod ingestion;
mod native;
mod offences;
mod searchable;
mod retrieval;
mod server;
mod workspace;
