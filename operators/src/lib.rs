//! Pure stages of Mon assistant parquet.
//!
//! Every step that turns a procédure into answers lives here as a function over bytes, pages or
//! passages: PDF text and boxes, OCR, normalisation, segmentation, piece and offence detection,
//! retrieval, answer extraction. Nothing here knows about dataflow, HTTP or storage; the `engine`
//! crate wires these stages into one incremental graph.
//!
//! The native libraries these stages need (pdfium, onnxruntime, tesseract) are located through
//! [`native`], so that a missing library fails with a message naming the setup command instead of
//! a crash deep inside a stage.

pub mod answer;
pub mod domain;
pub mod dossier;
pub mod document;
pub mod error;
#[cfg(test)]
mod fixtures;
pub mod input;
pub mod layout;
pub mod native;
pub mod normalize;
pub mod offence;
pub mod ocr;
pub mod passage;
pub mod pdf;
pub mod searchable;
pub mod summary;
pub mod tess;
pub mod piece;
pub mod retrieval;

pub use error::{Error, Result};
