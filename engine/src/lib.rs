//! The incremental engine of Mon assistant parquet.
//!
//! One timely/differential-dataflow graph takes pages, corrections and questions as input
//! collections and keeps positioned text, passages, pieces, offences, retrieval and answers up to
//! date, recomputing only what an update touches. Expensive stages (OCR, embeddings) are memoized
//! by content hash in the data directory. The graph wires the pure stages of `ap-operators`; it
//! knows nothing of HTTP or of the collaborative workspace.
//!
//! The graph is built stage by stage as the operators land. Today it goes from documents to
//! positioned page text (native text layer or OCR, memoized page by page), passages, pieces,
//! offences, answers and the draft summary, with corrections as a durable input collection; see
//! [`engine`] for the wiring (threads and processes), [`extract`] for the per-page extraction
//! and [`store`] for what is kept on disk.

pub mod analysis;
pub mod correction;
pub mod engine;
pub mod error;
pub mod extract;
pub mod retrieval;
pub mod shared;
pub mod store;

pub use analysis::{Review, ReviewKind, ReviewedAnswer, ReviewedOffence};
pub use correction::{Change, Correction};
pub use engine::{Cluster, DocumentKey, DocumentText, DossierState, Engine, EngineOptions, InputRecord, NodeReport, Progress, Update, run_compute_node};
pub use error::{Error, Result};
pub use shared::Shared;
