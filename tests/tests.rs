//! The end-to-end test binary: one module per area.

mod native;
mod server;
