//! Synthetic French criminal procedures with gold annotations.
//!
//! Real case files are confidential, so every test and benchmark runs on procédures generated
//! here, together with the truth about each one (pieces, offences, answers and their evidence).
//! The domain's single source of truth (offence taxonomy, question bank, article texts) lives
//! beside it as data, in `data/`, and is loaded by [`taxonomy::domain`].
//!
//! How a dossier is made, module by module:
//!
//! - [`scenario`] draws its story (persons, dates, places, offences, what was found);
//! - [`pieces`] writes the pieces of the procédure from it, tagging every statement of a fact
//!   the question bank asks about;
//! - [`layout`] typesets the pieces ([`fonts`] gives the glyph widths) and records the box of
//!   every tagged statement; [`pdf`] writes the pages;
//! - [`scan`] turns some pages into degraded image-only scans;
//! - [`generate`] fits the dossier to its page count, splits it into files and writes the
//!   [`gold`] file.
//!
//! ```no_run
//! use ap_datasets::generate::{Params, corpus};
//! let params = Params { seed: 7, count: 3, pages: (5, 20), scanned: 0.3, forced_scans: None };
//! let manifest = corpus(&params, std::path::Path::new("/tmp/corpus"), 2).unwrap();
//! assert_eq!(manifest.dossiers.len(), 3);
//! ```

pub mod error;
pub mod fonts;
pub mod french;
pub mod generate;
pub mod gold;
pub mod layout;
pub mod pdf;
pub mod pieces;
pub mod scan;
pub mod sample;
pub mod scenario;
pub mod score;
pub mod taxonomy;

pub use error::{Error, Result};
