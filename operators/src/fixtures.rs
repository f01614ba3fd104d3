//! Dossiers typed as text, for the unit tests of the dossier-level stages (offences, answers,
//! summary): every character a 6 × 12 pt box on a monospaced grid, so citations have real boxes.

use crate::document::{BBox, Document, ExtractionMethod, Line, LineRole, OcrDecision, Page, Word};
use crate::dossier::DossierText;

/// A page from lines of text, monospaced (6 points per char, 14 per line); an empty line starts
/// a new paragraph.
pub(crate) fn page(number: u32, lines: &[&str]) -> Page {
    let mut text = String::new();
    let mut char_boxes = Vec::new();
    let mut out_lines = Vec::new();
    let mut words = Vec::new();
    let mut para = true;
    let mut y = 40.0;
    for l in lines {
        if l.is_empty() {
            para = true;
            continue;
        }
        if !text.is_empty() {
            text.push('\n');
            char_boxes.push(None);
        }
        let start = text.len();
        let first_word = words.len();
        let mut x = 40.0;
        let mut word_start: Option<(usize, f32)> = None;
        for c in l.chars() {
            let b = BBox::new(x, y, x + 6.0, y + 12.0);
            if c == ' ' {
                if let Some((ws, wx)) = word_start.take() {
                    words.push(Word { text: text[ws..].to_string(), bbox: BBox::new(wx, y, x, y + 12.0), range: ws..text.len(), confidence: None });
                }
                char_boxes.push(None);
            } else {
                word_start.get_or_insert((text.len(), x));
                char_boxes.push(Some(b));
            }
            text.push(c);
            x += 6.0;
        }
        if let Some((ws, wx)) = word_start.take() {
            words.push(Word { text: text[ws..].to_string(), bbox: BBox::new(wx, y, x, y + 12.0), range: ws..text.len(), confidence: None });
        }
        out_lines.push(Line {
            bbox: BBox::new(40.0, y, x, y + 12.0),
            range: start..text.len(),
            words: first_word..words.len(),
            role: LineRole::Body,
            paragraph_start: para,
        });
        para = false;
        y += 14.0;
    }
    Page {
        number,
        width: 595.0,
        height: 842.0,
        method: ExtractionMethod::Native,
        ocr_decision: OcrDecision::TextLayerOk { chars: text.len() },
        text,
        char_boxes,
        lines: out_lines,
        words,
        rotation: 0,
        skew_deg: 0.0,
        confidence: None,
    }
}

pub(crate) fn dossier(pages: &[&[&str]]) -> DossierText {
    let doc = Document {
        id: "doc1".into(),
        file: "test.pdf".into(),
        pages: pages.iter().enumerate().map(|(i, l)| page(i as u32 + 1, l)).collect(),
        issues: Vec::new(),
    };
    DossierText::from_documents(&[doc])
}

/// A one-document dossier in which every line of a page is a paragraph of its own.
pub(crate) fn dossier_of_lines(pages: &[&[&str]]) -> DossierText {
    let spaced: Vec<Vec<&str>> = pages.iter().map(|lines| lines.iter().flat_map(|l| [*l, ""]).collect()).collect();
    let refs: Vec<&[&str]> = spaced.iter().map(Vec::as_slice).collect();
    dossier(&refs)
}
