//! Passages: the sentences and paragraphs of a document, each with where it is printed.
//!
//! Retrieval, offence detection and answers all work on passages, and every answer cites one:
//! so a passage carries its text and its spans, one per page it covers (a sentence may run
//! over a page break), each span with the byte range in that page's text and the boxes of its
//! lines. Running headers and footers are left out. A passage's id is derived from its
//! document, kind, text and first position, so it stays the same when the same document is read
//! again and changes when the content does.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use unicode_segmentation::UnicodeSegmentation;

use crate::document::{BBox, Document, LineRole};

/// Sentence or paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassageKind {
    /// One sentence.
    Sentence,
    /// One paragraph (one or more sentences).
    Paragraph,
}

/// The part of a passage printed on one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassageSpan {
    /// 1-based page number.
    pub page: u32,
    /// Byte range in that page's text.
    pub range: Range<usize>,
    /// One box per line covered, in reading order.
    pub boxes: Vec<BBox>,
}

/// A sentence or paragraph with its position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// Stable id (16 hex digits).
    pub id: String,
    /// Sentence or paragraph.
    pub kind: PassageKind,
    /// Id of the document.
    pub document: String,
    /// Text, line breaks replaced by spaces.
    pub text: String,
    /// Where it is printed, page by page.
    pub spans: Vec<PassageSpan>,
}

impl Passage {
    /// First page the passage is printed on.
    pub fn first_page(&self) -> u32 {
        self.spans.first().map_or(0, |s| s.page)
    }
}

/// A paragraph being built: its text and, for each piece of it, the page and page range.
#[derive(Debug, Default)]
struct Para {
    text: String,
    /// (offset in `text`, page index in the document, byte range in that page's text)
    pieces: Vec<(usize, usize, Range<usize>)>,
}

impl Para {
    fn push(&mut self, page: usize, page_text: &str, range: Range<usize>) {
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        self.pieces.push((self.text.len(), page, range.clone()));
        self.text.push_str(&page_text[range].replace('\n', " "));
    }
}

/// Abbreviations after which a full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "M", "MM", "Mme", "Mmes", "Mlle", "Mlles", "Me", "Mes", "Dr", "Pr", "St", "Ste", "art", "Art", "al", "n", "N",
    "cf", "Cf", "av", "bd", "bld", "fig", "p", "pp", "vol", "éd", "etc", "c", "C", "ch", "tél", "Tél", "cm", "env",
];

fn ends_with_abbreviation(fragment: &str) -> bool {
    let t = fragment.trim_end();
    let Some(stripped) = t.strip_suffix('.') else { return false };
    let last = stripped.rsplit(|c: char| c.is_whitespace() || c == '(' || c == '\'').next().unwrap_or("");
    ABBREVIATIONS.contains(&last)
        // Initials: "J. MARTIN"
        || (last.chars().count() == 1 && last.chars().all(char::is_uppercase))
}

/// Sentence ranges of a paragraph's text (trimmed, never empty).
pub fn sentences(text: &str) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut pending: Option<Range<usize>> = None;
    for (start, frag) in text.split_sentence_bound_indices() {
        let range = start..start + frag.len();
        let merged = match pending.take() {
            Some(p) => p.start..range.end,
            None => range,
        };
        if ends_with_abbreviation(&text[merged.clone()]) {
            pending = Some(merged);
        } else {
            out.push(merged);
        }
    }
    if let Some(p) = pending {
        out.push(p);
    }
    // French closing guillemets follow a space ("… conteste. »"): they belong to the sentence
    // they close, not to the next one.
    for i in 1..out.len() {
        let s = &text[out[i].clone()];
        let trimmed = s.trim_start();
        if let Some(rest) = trimmed.strip_prefix('»') {
            let cut = out[i].start + (s.len() - rest.len());
            out[i - 1].end = cut;
            out[i].start = cut;
        }
    }
    out.into_iter()
        .filter_map(|r| {
            let s = &text[r.clone()];
            let lead = s.len() - s.trim_start().len();
            let trail = s.len() - s.trim_end().len();
            let r = r.start + lead..r.end - trail;
            (!r.is_empty()).then_some(r)
        })
        .collect()
}

fn stable_id(document: &str, kind: PassageKind, text: &str, first: Option<&PassageSpan>) -> String {
    let mut h = Sha256::new();
    h.update(document.as_bytes());
    h.update([0, kind as u8]);
    h.update(text.as_bytes());
    if let Some(span) = first {
        h.update(span.page.to_le_bytes());
        if let Some(b) = span.boxes.first() {
            for v in b.to_array() {
                h.update(((v * 10.0).round() as i64).to_le_bytes());
            }
        }
    }
    hex::encode(&h.finalize()[..8])
}

/// Sentences and paragraphs of a document, in reading order (each paragraph followed by its
/// sentences). Paragraphs continue over a page break when the page ends mid-sentence.
pub fn passages(doc: &Document) -> Vec<Passage> {
    let mut paras: Vec<Para> = Vec::new();
    let mut current = Para::default();
    for (pi, page) in doc.pages.iter().enumerate() {
        let mut first_on_page = true;
        // Group consecutive body lines of one paragraph into one page range.
        let mut run: Option<Range<usize>> = None;
        for line in page.lines.iter().filter(|l| l.role == LineRole::Body) {
            let continues = if first_on_page {
                // Across a page break: the previous page ended mid-sentence and this line does
                // not start with a capital after an end of sentence.
                let prev_open = !current.text.is_empty()
                    && !current.text.trim_end().ends_with(['.', '!', '?', ':', '»', ';']);
                let starts_lower = page.text[line.range.clone()].chars().next().is_some_and(|c| c.is_lowercase());
                prev_open && (starts_lower || !line.paragraph_start)
            } else {
                !line.paragraph_start
            };
            first_on_page = false;
            if continues {
                run = Some(match run {
                    Some(r) => r.start..line.range.end,
                    None => line.range.clone(),
                });
                continue;
            }
            if let Some(r) = run.take() {
                current.push(pi, &page.text, r);
            }
            if !current.text.is_empty() {
                paras.push(std::mem::take(&mut current));
            }
            run = Some(line.range.clone());
        }
        if let Some(r) = run.take() {
            current.push(pi, &page.text, r);
        }
    }
    if !current.text.is_empty() {
        paras.push(current);
    }

    let spans_of = |para: &Para, range: Range<usize>| -> Vec<PassageSpan> {
        let mut spans = Vec::new();
        for (k, (offset, pi, page_range)) in para.pieces.iter().enumerate() {
            let piece_end = offset + page_range.len();
            let (a, b) = (range.start.max(*offset), range.end.min(piece_end));
            if a >= b {
                continue;
            }
            let page = &doc.pages[*pi];
            let r = page_range.start + (a - offset)..page_range.start + (b - offset);
            // Consecutive pieces on the same page merge into one span.
            match spans.last_mut() {
                Some(PassageSpan { page: p, range: last, boxes }) if *p == page.number && k > 0 => {
                    last.end = r.end;
                    *boxes = page.boxes_for(last.clone());
                }
                _ => spans.push(PassageSpan { page: page.number, boxes: page.boxes_for(r.clone()), range: r }),
            }
        }
        spans
    };

    let mut out = Vec::new();
    for para in &paras {
        let spans = spans_of(para, 0..para.text.len());
        out.push(Passage {
            id: stable_id(&doc.id, PassageKind::Paragraph, &para.text, spans.first()),
            kind: PassageKind::Paragraph,
            document: doc.id.clone(),
            text: para.text.clone(),
            spans,
        });
        for range in sentences(&para.text) {
            let text = para.text[range.clone()].to_string();
            let spans = spans_of(para, range);
            out.push(Passage {
                id: stable_id(&doc.id, PassageKind::Sentence, &text, spans.first()),
                kind: PassageKind::Sentence,
                document: doc.id.clone(),
                text,
                spans,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_and_initials_do_not_end_sentences() {
        let text = "Nous entendons M. DUPONT Kevin, vu l'art. 63-1 du code. Il déclare : « Je conteste. » J. MARTIN signe.";
        let got: Vec<&str> = sentences(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(
            got,
            [
                "Nous entendons M. DUPONT Kevin, vu l'art. 63-1 du code.",
                "Il déclare : « Je conteste. »",
                "J. MARTIN signe."
            ]
        );
    }
}
