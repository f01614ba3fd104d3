//! The collaborative workspace of Mon assistant parquet.
//!
//! One room per dossier: a Yjs document (yrs) holding shared annotations, the synthesis drafted
//! together and the corrections, synchronised with the y-sync protocol, with a durable update log.
//! The room logic is sans-IO so it can be tested without sockets; the WebSocket edge is in `web/`.
//!
//! - [`room`]: the room of one dossier (document, awareness, y-sync messages → [`room::Effects`]);
//! - [`log`]: the durable update log and snapshots (SQLite, WAL, `synchronous = FULL`);
//! - [`writer`]: the thread that owns the log and commits the appends of all rooms in groups;
//! - [`access`]: memberships (`lecteur`, `redacteur`) and hashed access tokens;
//! - [`corrections`]: the [`CorrectionSink`] corrections are handed to, as engine inputs.
//!
//! The shared types of a dossier's document are described in `workspace/README.md`.

pub mod access;
pub mod corrections;
pub mod error;
pub mod log;
pub mod room;
pub mod writer;

pub use access::{Access, Role};
pub use corrections::CorrectionSink;
pub use error::{Error, Result};
pub use log::{StoredRoom, UpdateLog};
pub use room::{ConnId, Effects, Room, Target, Verdict};
pub use writer::LogWriter;
