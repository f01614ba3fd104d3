//! Corpus generation speed: 100 native dossiers of 20 pages (the issue asks for well under a
//! minute), and 20 dossiers of 20 pages with a quarter of the pages scanned (rendering, degrading
//! and JPEG-encoding pages costs far more than writing text).
//!
//! Run with `cargo bench -p ap-benches --bench corpus`. Criterion reports the time of one whole
//! corpus per iteration; the dossiers are generated on every core, as the CLI does.

use std::time::Duration;

use ap_datasets::generate::{Params, corpus};
use criterion::{Criterion, criterion_group, criterion_main};

fn threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

fn generation(c: &mut Criterion) {
    let mut group = c.benchmark_group("corpus");
    group.sample_size(10).measurement_time(Duration::from_secs(60)).warm_up_time(Duration::from_secs(1));
    let native = Params { seed: 7, count: 100, pages: (20, 20), scanned: 0.0, forced_scans: None };
    group.bench_function("100 dossiers x 20 pages, native", |b| {
        b.iter(|| {
            let out = tempfile::tempdir().unwrap();
            let m = corpus(&native, out.path(), threads()).unwrap();
            assert_eq!(m.dossiers.len(), 100);
        })
    });
    let scanned = Params { seed: 7, count: 20, pages: (20, 20), scanned: 0.25, forced_scans: None };
    group.bench_function("20 dossiers x 20 pages, 25% scanned", |b| {
        b.iter(|| {
            let out = tempfile::tempdir().unwrap();
            corpus(&scanned, out.path(), threads()).unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, generation);
criterion_main!(benches);
