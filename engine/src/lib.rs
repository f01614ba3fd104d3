//! The incremental engine of Mon assistant parquet.
//!
//! One timely/differential-dataflow graph takes pages, corrections and questions as input
//! collections and keeps positioned text, passages, pieces, offences, retrieval and answers up to
//! date, recomputing only what an update touches. Expensive stages (OCR, embeddings) are memoized
//! by content hash in the data directory. The graph wires the pure stages of `ap-operators`; it
//! knows nothing of HTTP or of the collaborative workspace.
//!
//! The graph is built stage by stage as the operators land (see ARCHITECTURE.md).

pub mod correction;

pub use correction::{Change, Correction};
