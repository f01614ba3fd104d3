//! Arrow/Parquet exports of dossiers, for analysts and for the evaluation harness.
//!
//! Analysts judge answer quality on files they open with pyarrow, DuckDB or pandas; the team
//! uses the same files to see whether a change made things better. An export is one Parquet file
//! (ZSTD) per table — documents, pages, passages, pieces, offences, answers, citations,
//! corrections, annotations — with versioned schemas ([`schema`], documented in
//! `docs/exports.md`) and ids that join across files. [`Exporter`] writes one or many dossiers
//! into the same files, row batch by row batch ([`writer`]), so memory does not grow with the
//! size of a dossier. The engine's state is the source ([`DossierExport`]); annotations are read
//! from the dossier's persisted workspace document ([`annotations`]).

pub mod annotations;
pub mod error;
pub mod export;
pub mod schema;
pub mod writer;

pub use annotations::Annotation;
pub use error::{Error, Result};
pub use export::{engine_outputs, AnswerExport, AnswerVersionExport, DossierExport, ExportSummary, Exporter, OffenceExport};
pub use schema::{SCHEMA_VERSION, TABLES, table_schema};
pub use writer::TableWriter;
// The Arrow and Parquet crates, for readers of the files (the eval comparison).
pub use {arrow, parquet};
