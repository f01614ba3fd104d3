//! A dossier as the dossier-level stages see it, and the citations they produce.
//!
//! Offence detection, answers, the résumé des faits and retrieval all read the same thing: every
//! page, passage and piece of a dossier, in reading order. [`DossierText`] is that view; the
//! engine builds it from its current state (sharing the pages and passages it already holds) and
//! tests build it straight from documents with [`DossierText::from_documents`].
//!
//! Every claim the product shows must point at where the procédure says it. A [`Citation`] is that
//! pointer: a document, a page, the boxes of the cited words (one per line, PDF points, origin top
//! left) and the verbatim quote. [`DossierText::cite`] turns a byte range of a passage into
//! citations, word-precise, one per page when the quote runs over a page break.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::document::{BBox, Document, Page};
use crate::passage::{Passage, PassageKind, passages};
use crate::piece::{Piece, pieces};

/// Where a claim comes from: a quote on one page with its boxes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Citation {
    /// Id of the passage the quote was taken from.
    pub passage: String,
    /// Id of the document.
    pub document: String,
    /// 1-based page number.
    pub page: u32,
    /// One box per line the quote covers, in reading order (PDF points, origin top left).
    pub boxes: Vec<BBox>,
    /// The quoted text, verbatim as read (line breaks as spaces).
    pub quote: String,
}

impl Citation {
    /// The union of the boxes (the region to scroll to).
    pub fn bbox(&self) -> Option<BBox> {
        BBox::union_all(&self.boxes)
    }
}

/// Every page, passage and piece of a dossier, in reading order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DossierText {
    /// Pages by (document, page number).
    pub pages: BTreeMap<(String, u32), Arc<Page>>,
    /// Passages in reading order: by document, then as [`passages`] emits them (each paragraph
    /// followed by its sentences).
    pub passages: Vec<Arc<Passage>>,
    /// Pieces in reading order (by document, first page).
    pub pieces: Vec<Arc<Piece>>,
}

impl DossierText {
    /// Segment documents (in the given order) into passages and pieces.
    pub fn from_documents(documents: &[Document]) -> Self {
        let mut out = Self::default();
        for doc in documents {
            for page in &doc.pages {
                out.pages.insert((doc.id.clone(), page.number), Arc::new(page.clone()));
            }
            out.passages.extend(passages(doc).into_iter().map(Arc::new));
            out.pieces.extend(pieces(doc).into_iter().map(Arc::new));
        }
        out
    }

    /// A page.
    pub fn page(&self, document: &str, number: u32) -> Option<&Page> {
        self.pages.get(&(document.to_string(), number)).map(|p| &**p)
    }

    /// The sentences (passages of kind sentence), in reading order.
    pub fn sentences(&self) -> impl Iterator<Item = &Passage> {
        self.passages.iter().map(|p| &**p).filter(|p| p.kind == PassageKind::Sentence)
    }

    /// The paragraphs, in reading order.
    pub fn paragraphs(&self) -> impl Iterator<Item = &Passage> {
        self.passages.iter().map(|p| &**p).filter(|p| p.kind == PassageKind::Paragraph)
    }

    /// A passage by id.
    pub fn passage(&self, id: &str) -> Option<&Passage> {
        self.passages.iter().map(|p| &**p).find(|p| p.id == id)
    }

    /// The piece a page belongs to.
    pub fn piece_at(&self, document: &str, page: u32) -> Option<&Piece> {
        self.pieces
            .iter()
            .map(|p| &**p)
            .find(|p| p.document == document && p.first_page <= page && page <= p.last_page)
    }

    /// The piece a passage starts in.
    pub fn piece_of(&self, passage: &Passage) -> Option<&Piece> {
        self.piece_at(&passage.document, passage.first_page())
    }

    /// Citations of the byte range `range` of `passage.text`: one per page the quote is printed
    /// on, with one box per line. Empty when the range is empty, out of bounds, not on a char
    /// boundary, or when the pages of the passage are not in this dossier.
    pub fn cite(&self, passage: &Passage, range: Range<usize>) -> Vec<Citation> {
        if range.is_empty()
            || range.end > passage.text.len()
            || !passage.text.is_char_boundary(range.start)
            || !passage.text.is_char_boundary(range.end)
        {
            return Vec::new();
        }
        // Passage text = its spans' page texts joined by one space, line breaks as spaces.
        let mut out = Vec::new();
        let mut offset = 0usize;
        for span in &passage.spans {
            let len = span.range.len();
            let (a, b) = (range.start.max(offset), range.end.min(offset + len));
            if a < b {
                let Some(page) = self.page(&passage.document, span.page) else { return Vec::new() };
                let quote = passage.text[a..b].trim();
                let direct = span.range.start + (a - offset)..span.range.start + (b - offset);
                let page_range = if page.text.get(direct.clone()).is_some_and(|t| t.replace('\n', " ").trim() == quote) {
                    Some(direct)
                } else {
                    // Spans merged across skipped lines: look the quote up inside the span.
                    crate::normalize::find_loose(&page.text, quote)
                        .into_iter()
                        .find(|r| r.start >= span.range.start && r.end <= span.range.end)
                };
                if let Some(r) = page_range
                    && !quote.is_empty()
                {
                    out.push(Citation {
                        passage: passage.id.clone(),
                        document: passage.document.clone(),
                        page: span.page,
                        boxes: page.boxes_for(r),
                        quote: quote.to_string(),
                    });
                }
            }
            offset += len + 1;
        }
        out
    }

    /// Citations of the first occurrence of `quote` in `passage` (loose whitespace match).
    pub fn cite_quote(&self, passage: &Passage, quote: &str) -> Vec<Citation> {
        match crate::normalize::find_loose(&passage.text, quote).into_iter().next() {
            Some(r) => self.cite(passage, r),
            None => Vec::new(),
        }
    }

    /// Citations of a whole passage.
    pub fn cite_passage(&self, passage: &Passage) -> Vec<Citation> {
        self.cite(passage, 0..passage.text.len())
    }
}
