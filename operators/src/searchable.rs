//! Searchable PDFs: the original document with an invisible text layer on its OCRed pages.
//!
//! Magistrates and clerks keep working in their usual PDF reader; a scanned procédure they can
//! search (Ctrl+F) and copy from is useful on its own. The OCR already gives every word with its
//! box, so the layer is written word by word: one invisible text object per word (render mode 3,
//! "neither fill nor stroke", as OCRmyPDF and scanners do), stretched onto the word's box and
//! turned with the page's reading direction, so that search hits and selections land on the
//! printed word. Pages read from their text layer are left untouched.
//!
//! The layer uses the standard Helvetica font (not embedded): invisible text is never drawn, and
//! its WinAnsi encoding covers French (é, è, à, ç, œ, « », ’).

use pdfium_render::prelude::*;

use crate::document::{BBox, ExtractionMethod, Page};
use crate::{Error, Result};

/// One word to place: its text and its box (PDF points, top-left origin of the displayed page).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWord {
    pub text: String,
    pub bbox: BBox,
    /// Another word follows on the same line: an explicit space is written after this one.
    pub space_after: bool,
}

/// The words of an OCRed page to write as its text layer, with the page's reading rotation
/// (clockwise degrees that make it upright, as in [`Page::rotation`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PageLayer {
    /// 1-based page number in the original document.
    pub number: u32,
    pub rotation: u16,
    pub words: Vec<LayerWord>,
}

impl PageLayer {
    /// The layer of an extracted page; `None` for pages read from their own text layer.
    ///
    /// A word followed by another on its line is written with an explicit space after it, so
    /// readers see the word boundary whatever gap they use to guess one (poppler glues close
    /// words together otherwise).
    pub fn of_page(page: &Page) -> Option<Self> {
        if page.method != ExtractionMethod::Ocr {
            return None;
        }
        let mut words = Vec::with_capacity(page.words.len());
        for line in &page.lines {
            for i in line.words.clone() {
                let word = &page.words[i];
                words.push(LayerWord { text: word.text.clone(), bbox: word.bbox, space_after: i + 1 < line.words.end });
            }
        }
        Some(Self { number: page.number, rotation: page.rotation, words })
    }
}

/// Write `layers` into a copy of the PDF `original` and return the new file's bytes.
/// Pages without a layer are not modified.
pub fn add_text_layers(pdfium: &Pdfium, original: &[u8], file: &str, layers: &[PageLayer]) -> Result<Vec<u8>> {
    let mut doc = crate::pdf::open(pdfium, original, file)?;
    let font = doc.fonts_mut().helvetica();
    // The vertical extent of a line of this font (capitals with accents, descenders).
    let reference = PdfPageTextObject::new(&doc, "ÉÇÀbdfhklpqgjy", font, PdfPoints::new(1.0))?.bounds()?;
    let (line_bottom, line_height) = (reference.bottom().value, reference.height().value.max(1e-3));
    for layer in layers {
        if layer.words.is_empty() {
            continue;
        }
        let index = i32::try_from(layer.number.saturating_sub(1)).map_err(|_| Error::Pdf(PdfiumError::PageIndexOutOfBounds))?;
        let mut page = doc.pages().get(index)?;
        let height = page.height().value;
        for word in &layer.words {
            if word.text.trim().is_empty() || word.bbox.width() <= 0.0 || word.bbox.height() <= 0.0 {
                continue;
            }
            // Along the line: the word's own ink, measured alone (the space, when written, falls
            // after its box). Across: the font's full height (not this word's ink, which may be
            // x-height only), kept inside the word's box so that no line overlaps the next one
            // on a skewed scan.
            let bounds = PdfPageTextObject::new(&doc, &word.text, font, PdfPoints::new(1.0))?.bounds()?;
            let text = if word.space_after { format!("{} ", word.text) } else { word.text.clone() };
            let mut object = PdfPageTextObject::new(&doc, &text, font, PdfPoints::new(1.0))?;
            object.set_render_mode(PdfPageTextRenderMode::Invisible)?;
            let (left, bottom) = (bounds.left().value, line_bottom);
            let (natural_w, natural_h) = (bounds.width().value.max(1e-3), line_height);
            let m = placement(word.bbox, height, layer.rotation, left, bottom, natural_w, natural_h);
            object.transform(m[0], m[1], m[2], m[3], m[4], m[5])?;
            page.objects_mut().add_text_object(object)?;
        }
        page.regenerate_content()?;
    }
    Ok(doc.save_to_bytes()?)
}

/// The affine matrix `[a b c d e f]` that maps a text object whose natural bounds are
/// `(left, bottom, natural_w, natural_h)` onto `bbox` (top-left origin, page of height
/// `page_height`), its baseline running in the page's reading direction.
///
/// A page that must be turned `rotation` degrees clockwise to be read shows its text turned
/// `rotation` degrees counter-clockwise: in PDF user space (y up) the text runs along
/// `(cos r, sin r)` and its "up" is `(-sin r, cos r)`.
fn placement(bbox: BBox, page_height: f32, rotation: u16, left: f32, bottom: f32, natural_w: f32, natural_h: f32) -> [f32; 6] {
    let (x0, x1) = (bbox.x0, bbox.x1);
    let (yb, yt) = (page_height - bbox.y1, page_height - bbox.y0);
    let (dir, up, origin, along, across) = match rotation % 360 {
        90 => ((0.0, 1.0), (-1.0, 0.0), (x1, yb), yt - yb, x1 - x0),
        180 => ((-1.0, 0.0), (0.0, -1.0), (x1, yt), x1 - x0, yt - yb),
        270 => ((0.0, -1.0), (1.0, 0.0), (x0, yt), yt - yb, x1 - x0),
        _ => ((1.0, 0.0), (0.0, 1.0), (x0, yb), x1 - x0, yt - yb),
    };
    let sx = along / natural_w;
    let sy = across / natural_h;
    let (a, b) = (dir.0 * sx, dir.1 * sx);
    let (c, d) = (up.0 * sy, up.1 * sy);
    let e = origin.0 - left * a - bottom * c;
    let f = origin.1 - left * b - bottom * d;
    [a, b, c, d, e, f]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(m: [f32; 6], u: f32, v: f32) -> (f32, f32) {
        (m[0] * u + m[2] * v + m[4], m[1] * u + m[3] * v + m[5])
    }

    #[test]
    fn upright_words_fill_their_box() {
        // Natural bounds: x in [0.1, 2.1], y in [-0.2, 0.7]; page 800 high.
        let bbox = BBox::new(100.0, 200.0, 180.0, 212.0);
        let m = placement(bbox, 800.0, 0, 0.1, -0.2, 2.0, 0.9);
        let (x, y) = apply(m, 0.1, -0.2);
        assert!((x - 100.0).abs() < 1e-3 && (y - 588.0).abs() < 1e-3, "{x} {y}");
        let (x, y) = apply(m, 2.1, 0.7);
        assert!((x - 180.0).abs() < 1e-3 && (y - 600.0).abs() < 1e-3, "{x} {y}");
    }

    #[test]
    fn turned_pages_keep_the_box_and_turn_the_baseline() {
        let bbox = BBox::new(100.0, 200.0, 112.0, 280.0); // a vertical strip
        for rotation in [90, 270] {
            let m = placement(bbox, 800.0, rotation, 0.0, 0.0, 2.0, 1.0);
            let corners = [apply(m, 0.0, 0.0), apply(m, 2.0, 0.0), apply(m, 0.0, 1.0), apply(m, 2.0, 1.0)];
            let xs = corners.iter().map(|c| c.0);
            let ys = corners.iter().map(|c| c.1);
            let (minx, maxx) = (xs.clone().fold(f32::MAX, f32::min), xs.fold(f32::MIN, f32::max));
            let (miny, maxy) = (ys.clone().fold(f32::MAX, f32::min), ys.fold(f32::MIN, f32::max));
            assert!((minx - 100.0).abs() < 1e-3 && (maxx - 112.0).abs() < 1e-3, "{rotation}: {corners:?}");
            assert!((miny - 520.0).abs() < 1e-3 && (maxy - 600.0).abs() < 1e-3, "{rotation}: {corners:?}");
            // The baseline runs along the strip's length.
            let (start, end) = (corners[0], corners[1]);
            assert!((start.0 - end.0).abs() < 1e-3 && (start.1 - end.1).abs() > 70.0);
        }
    }
}

/// A user's fix of an OCR passage as it applies to one page: the byte range of the page text it
/// replaces, the boxes of the lines it covers, and what the page actually says there.
#[derive(Debug, Clone, PartialEq)]
pub struct PageFix {
    pub page: u32,
    pub range: std::ops::Range<usize>,
    pub boxes: Vec<BBox>,
    pub text: String,
}

fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The fixes among `passages` (as the engine holds them: corrected text, original spans) of
/// the document whose pages are `pages`. A passage is fixed when its text is no longer what its
/// spans print. Its words are shared among its spans in proportion to their lengths. When fixes
/// overlap (a sentence fixed inside a fixed paragraph), the narrower one wins.
pub fn page_fixes(pages: &[&Page], passages: &[&crate::passage::Passage]) -> Vec<PageFix> {
    let page = |n: u32| pages.iter().find(|p| p.number == n);
    let mut candidates = Vec::new();
    for passage in passages {
        let printed: Option<Vec<&str>> =
            passage.spans.iter().map(|s| page(s.page).and_then(|p| p.text.get(s.range.clone()))).collect();
        let Some(printed) = printed else { continue };
        if squeeze(&printed.join(" ")) == squeeze(&passage.text) {
            continue;
        }
        let words: Vec<&str> = passage.text.split_whitespace().collect();
        let lengths: Vec<usize> = printed.iter().map(|t| t.chars().count().max(1)).collect();
        let total: usize = lengths.iter().sum();
        let mut taken = 0;
        for (i, span) in passage.spans.iter().enumerate() {
            let end = if i + 1 == passage.spans.len() {
                words.len()
            } else {
                (taken + (words.len() * lengths[i]).div_ceil(total)).min(words.len())
            };
            candidates.push(PageFix {
                page: span.page,
                range: span.range.clone(),
                boxes: span.boxes.clone(),
                text: words[taken..end].join(" "),
            });
            taken = end;
        }
    }
    candidates.sort_by_key(|f| (f.range.len(), f.page, f.range.start));
    let mut chosen: Vec<PageFix> = Vec::new();
    for fix in candidates {
        if !chosen.iter().any(|c| c.page == fix.page && c.range.start < fix.range.end && fix.range.start < c.range.end) {
            chosen.push(fix);
        }
    }
    chosen.sort_by_key(|f| (f.page, f.range.start));
    chosen
}

/// The page's text with `fixes` applied (those of other pages are ignored).
pub fn fixed_text(page: &Page, fixes: &[PageFix]) -> String {
    let mut out = String::with_capacity(page.text.len());
    let mut at = 0;
    for fix in fixes.iter().filter(|f| f.page == page.number) {
        out.push_str(&page.text[at..fix.range.start]);
        out.push_str(&fix.text);
        at = fix.range.end;
    }
    out.push_str(&page.text[at..]);
    out
}

/// The text layer of an OCRed page with `fixes` applied: the words a fix covers are replaced by
/// its text, shared among the fix's line boxes in proportion to the words each line held.
pub fn fixed_layer(page: &Page, fixes: &[PageFix]) -> Option<PageLayer> {
    let mut layer = PageLayer::of_page(page)?;
    let fixes: Vec<&PageFix> = fixes.iter().filter(|f| f.page == page.number).collect();
    if fixes.is_empty() {
        return Some(layer);
    }
    let covered = |w: &crate::document::Word| fixes.iter().any(|f| f.range.start <= w.range.start && w.range.end <= f.range.end);
    let line_ends: std::collections::HashSet<usize> = page.lines.iter().filter(|l| !l.words.is_empty()).map(|l| l.words.end - 1).collect();
    layer.words = page
        .words
        .iter()
        .enumerate()
        .filter(|(_, w)| !covered(w))
        .map(|(i, w)| LayerWord { text: w.text.clone(), bbox: w.bbox, space_after: !line_ends.contains(&i) })
        .collect();
    for fix in &fixes {
        let tokens: Vec<&str> = fix.text.split_whitespace().collect();
        let per_line: Vec<usize> = fix
            .boxes
            .iter()
            .map(|b| page.words.iter().filter(|w| covered(w) && w.bbox.vertical_overlap(b) > 0.5 * w.bbox.height().min(b.height())).count().max(1))
            .collect();
        let total: usize = per_line.iter().sum();
        let mut taken = 0;
        for (i, bbox) in fix.boxes.iter().enumerate() {
            let end = if i + 1 == fix.boxes.len() { tokens.len() } else { (taken + (tokens.len() * per_line[i]).div_ceil(total)).min(tokens.len()) };
            if end > taken {
                layer.words.push(LayerWord { text: tokens[taken..end].join(" "), bbox: *bbox, space_after: true });
            }
            taken = end;
        }
    }
    Some(layer)
}
