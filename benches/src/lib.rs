//! Criterion benches and side-by-side comparisons against the anchor tools (`pdftotext`,
//! the `tesseract` CLI, …). Benches live in `benches/benches/`, one file per area; shared
//! fixtures go here.
