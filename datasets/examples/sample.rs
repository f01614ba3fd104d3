//! Regenerate the committed sample: `cargo run -p ap-datasets --example sample -- datasets/sample`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "datasets/sample".into());
    let out = std::path::Path::new(&out);
    let ids = ap_datasets::sample::write(out)?;
    eprintln!("{} dossiers écrits dans {} : {}", ids.len(), out.display(), ids.join(", "));
    Ok(())
}
