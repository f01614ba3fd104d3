//! The small fixed sample committed under `datasets/sample/` for the tests of every crate:
//! a handful of short dossiers covering the page modes the ingestion must handle — native text
//! layers, a dossier scanned whole at 300 dpi, one scanned at 150–200 dpi with noise, skew and
//! sideways/upside-down pages, and a mixed one where only some pages are scans.
//!
//! Regenerate it with `assistant-parquet corpus sample --out datasets/sample`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::generate::{self, Params};
use crate::gold::Scan;
use crate::Result;

/// Seed of the committed sample.
pub const SEED: u64 = 42;

fn scan(dpi: u32, rotation: u32, skew_deg: f32, noise: f32, blur: f32, jpeg_quality: u8) -> Scan {
    Scan { dpi, rotation, skew_deg, noise, blur, jpeg_quality }
}

/// The parameters of each sample dossier, in order (dossier `i` is generated as index `i`).
pub fn plan() -> Vec<Params> {
    let base = |pages: (usize, usize), forced: BTreeMap<usize, Scan>| Params {
        seed: SEED,
        count: 1,
        pages,
        scanned: 0.0,
        forced_scans: Some(forced),
    };
    let native = BTreeMap::new();
    // Whole dossier scanned cleanly at 300 dpi (pages beyond the drawn count are ignored).
    let clean: BTreeMap<usize, Scan> = (1..=6).map(|p| (p, scan(300, 0, 0.0, 0.0, 0.0, 40))).collect();
    // Office-scanner quality: 150/200 dpi, noise, skew, one page sideways and one upside down.
    let rough: BTreeMap<usize, Scan> = [
        (1, scan(200, 0, -1.4, 4.0, 1.0, 40)),
        (2, scan(150, 90, 0.8, 6.0, 0.0, 35)),
        (3, scan(200, 180, 2.6, 3.0, 1.0, 40)),
        (4, scan(150, 270, -2.9, 6.0, 1.0, 35)),
    ]
    .into_iter()
    .collect();
    // Mixed: native pages with a few scanned ones.
    let mixed: BTreeMap<usize, Scan> =
        [(2, scan(200, 0, 1.1, 3.0, 0.0, 40)), (5, scan(150, 180, -2.2, 4.0, 1.0, 35))]
            .into_iter()
            .collect();
    vec![
        base((6, 10), native.clone()),
        base((8, 12), native.clone()),
        base((3, 3), clean),
        base((4, 4), rough),
        base((6, 8), mixed),
        base((3, 15), native),
    ]
}

/// Write the sample into `out` (one folder per dossier); returns the dossier ids.
pub fn write(out: &Path) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for (i, params) in plan().iter().enumerate() {
        let d = generate::dossier(params, i as u64)?;
        generate::write_dossier(out, &d)?;
        ids.push(d.gold.dossier.clone());
    }
    Ok(ids)
}
