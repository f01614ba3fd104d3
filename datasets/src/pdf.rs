//! Writing the PDF files of a dossier with pdfium, and reading back where every character went.
//!
//! Text pages are lines of text objects in the embedded DejaVu fonts ([`crate::fonts`], loaded as
//! CID fonts so « », œ and every accent read back exactly), plus ruled lines; scanned pages are
//! one JPEG image covering the page (passed through as `DCTDecode`, no text layer). After each
//! text page is built, its text layer is read back with pdfium and the box of every character is
//! returned, so the gold boxes are what a PDF reader finds, not what the layout predicted.
//!
//! pdfium writes no timestamp or random file identifier into a new document, so the bytes depend
//! only on the pages: the same seed gives byte-identical files (checked by the tests).
//!
//! Coordinates given to this module are PDF user space: points, origin at the bottom-left.
//! Boxes it returns are `[x0, y0, x1, y1]` with the origin at the top-left.

use std::collections::BTreeMap;
use std::io::Cursor;

use pdfium_render::prelude::*;

use crate::fonts::Font;
use crate::{Error, Result};

/// A run of text in one font, drawn right after the previous run of its line.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub font: Font,
    pub size: f32,
    pub text: String,
}

/// One line of text: its start, its baseline and its runs. `word_spacing` is kept for the
/// layout's arithmetic but must be 0: pdfium's page-object API has no word spacing.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    pub x: f32,
    pub baseline: f32,
    pub word_spacing: f32,
    pub runs: Vec<Run>,
    /// Grey level of the text, 0 = black.
    pub grey: f32,
}

impl TextLine {
    /// The line's text, as the text layer holds it.
    pub fn text(&self) -> String {
        self.runs.iter().map(|r| r.text.as_str()).collect()
    }
}

/// A stroked segment (rules, table borders, frames).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stroke {
    pub from: (f32, f32),
    pub to: (f32, f32),
    pub width: f32,
}

/// A page whose text is a real text layer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TextPage {
    pub width: f32,
    pub height: f32,
    pub lines: Vec<TextLine>,
    pub strokes: Vec<Stroke>,
}

/// A page that is only a picture: a grey JPEG covering the whole page.
#[derive(Debug, Clone, PartialEq)]
pub struct ImagePage {
    pub width: f32,
    pub height: f32,
    pub pixels_wide: u32,
    pub pixels_high: u32,
    pub jpeg: Vec<u8>,
}

/// A page of a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Page {
    Text(TextPage),
    Image(ImagePage),
}

/// Document information (kept for the caller's bookkeeping; pdfium writes no Info dictionary
/// for a new document).
#[derive(Debug, Clone, Default)]
pub struct Info {
    pub title: String,
    pub creation_date: Option<String>,
}

/// A written document: its bytes and, per page and per line, the box of each character of the
/// line's text (top-left origin; empty for image pages).
#[derive(Debug, Clone)]
pub struct Written {
    pub bytes: Vec<u8>,
    pub char_boxes: Vec<Vec<Vec<[f32; 4]>>>,
}

impl Written {
    /// Union of the boxes of characters `start..start + len` of line `line` of page `page`
    /// (0-based), rounded to 1/100 pt.
    pub fn span_box(&self, page: usize, line: usize, start: usize, len: usize) -> Option<[f32; 4]> {
        let chars = self.char_boxes.get(page)?.get(line)?.get(start..start + len)?;
        let mut b = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
        for c in chars {
            b = [b[0].min(c[0]), b[1].min(c[1]), b[2].max(c[2]), b[3].max(c[3])];
        }
        (!chars.is_empty()).then(|| b.map(|v| (v * 100.0).round() / 100.0))
    }
}

/// Write `pages` as one PDF with pdfium.
pub fn write_pdf(info: &Info, pages: &[Page]) -> Result<Written> {
    let pdfium = ap_operators::native::NativeLibs::default().pdfium()?;
    let mut doc = pdfium.create_new_pdf()?;
    // Only the faces the document uses are embedded.
    let mut used: Vec<Font> = pages
        .iter()
        .filter_map(|p| match p {
            Page::Text(t) => Some(t.lines.iter().flat_map(|l| l.runs.iter().map(|r| r.font))),
            Page::Image(_) => None,
        })
        .flatten()
        .collect();
    used.sort();
    used.dedup();
    let mut tokens: BTreeMap<Font, PdfFontToken> = BTreeMap::new();
    for f in used {
        tokens.insert(f, doc.fonts_mut().load_true_type_from_bytes(f.bytes()?, true)?);
    }
    let mut char_boxes = Vec::with_capacity(pages.len());
    for page in pages {
        match page {
            Page::Text(t) => char_boxes.push(write_text_page(&mut doc, &tokens, t)?),
            Page::Image(im) => {
                write_image_page(&mut doc, im)?;
                char_boxes.push(Vec::new());
            }
        }
    }
    let mut bytes = doc.save_to_bytes()?;
    stable_creation_date(&mut bytes, info.creation_date.as_deref());
    stable_file_id(&mut bytes);
    Ok(Written { bytes, char_boxes })
}

/// pdfium stamps a new document with the current time (`/CreationDate(D:YYYYMMDDHHmmSS+00'00')`
/// in the Info dictionary); replace it, in place and at the same length, with the document's own
/// date (`D:YYYYMMDDHHmmSS`) or a fixed one.
fn stable_creation_date(bytes: &mut [u8], date: Option<&str>) {
    const MARK: &[u8] = b"/CreationDate(D:";
    let head = bytes.len().min(4096);
    let Some(at) = bytes[..head].windows(MARK.len()).position(|w| w == MARK).map(|p| p + MARK.len()) else {
        return;
    };
    let digits: String = date.unwrap_or("D:20000101000000").trim_start_matches("D:").chars().filter(char::is_ascii_digit).collect();
    let digits = format!("{digits:0<14}");
    if bytes.len() >= at + 14 && bytes[at..at + 14].iter().all(u8::is_ascii_digit) {
        bytes[at..at + 14].copy_from_slice(&digits.as_bytes()[..14]);
    }
}

/// pdfium writes a random file identifier (`/ID [<…><…>]` in the trailer); replace it, in
/// place and at the same length, with a digest of the rest of the file, so the same pages give
/// the same bytes.
fn stable_file_id(bytes: &mut [u8]) {
    use sha2::{Digest, Sha256};
    const MARK: &[u8] = b"/ID[<";
    let tail = bytes.len().saturating_sub(4096);
    let Some(at) = bytes[tail..].windows(MARK.len()).rposition(|w| w == MARK).map(|p| tail + p + MARK.len()) else {
        return;
    };
    // <32 hex><32 hex>
    let (first, second) = (at..at + 32, at + 34..at + 66);
    if bytes.len() < at + 67 || &bytes[at + 32..at + 34] != b"><" || !bytes[first.clone()].iter().all(u8::is_ascii_hexdigit) {
        return;
    }
    bytes[first.clone()].fill(b'0');
    bytes[second.clone()].fill(b'0');
    let digest = Sha256::digest(&*bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02X}")).collect();
    bytes[first].copy_from_slice(hex.as_bytes());
    bytes[second].copy_from_slice(hex.as_bytes());
}

fn pt(v: f32) -> PdfPoints {
    PdfPoints::new(v)
}

fn write_text_page(doc: &mut PdfDocument<'_>, tokens: &BTreeMap<Font, PdfFontToken>, t: &TextPage) -> Result<Vec<Vec<[f32; 4]>>> {
    let mut page = doc.pages_mut().create_page_at_end(PdfPagePaperSize::Custom(pt(t.width), pt(t.height)))?;
    page.set_content_regeneration_strategy(PdfPageContentRegenerationStrategy::Manual);
    for s in &t.strokes {
        let path = PdfPagePathObject::new_line(doc, pt(s.from.0), pt(s.from.1), pt(s.to.0), pt(s.to.1), PdfColor::BLACK, pt(s.width))?;
        page.objects_mut().add_path_object(path)?;
    }
    for line in &t.lines {
        let grey = (line.grey.clamp(0.0, 1.0) * 255.0).round() as u8;
        let mut x = line.x;
        for run in &line.runs {
            if run.text.is_empty() {
                continue;
            }
            let token = tokens[&run.font];
            let mut obj = PdfPageTextObject::new(doc, &run.text, token, pt(run.size))?;
            obj.translate(pt(x), pt(line.baseline))?;
            if grey > 0 {
                obj.set_fill_color(PdfColor::new(grey, grey, grey, 255))?;
            }
            page.objects_mut().add_text_object(obj)?;
            x += run.font.text_width(&run.text, run.size);
        }
    }
    page.regenerate_content()?;

    // Read the text layer back. pdfium may reorder objects that share a baseline, so each
    // written character is matched to the real (not generated) character of the same value on
    // the same baseline whose origin is nearest to where the layout put it.
    let text = page.text()?;
    let h = t.height;
    let mut by_baseline: BTreeMap<i64, Vec<(f32, char, [f32; 4])>> = BTreeMap::new();
    for c in text.chars().iter() {
        if c.is_generated()? {
            continue;
        }
        let Some(u) = c.unicode_char() else { continue };
        let (ox, oy) = c.origin()?;
        let r = c.loose_bounds()?;
        let b = [r.left().value, h - r.top().value, r.right().value, h - r.bottom().value];
        by_baseline.entry((oy.value * 4.0).round() as i64).or_default().push((ox.value, u, b));
    }
    let mut out = Vec::with_capacity(t.lines.len());
    for line in &t.lines {
        let key = (line.baseline * 4.0).round() as i64;
        let row: Vec<&(f32, char, [f32; 4])> = (key - 1..=key + 1).filter_map(|k| by_baseline.get(&k)).flatten().collect();
        let mut boxes = Vec::new();
        let mut x = line.x;
        for run in &line.runs {
            for ch in run.text.chars() {
                let found = row
                    .iter()
                    .filter(|(_, u, _)| *u == ch)
                    .map(|(ox, _, b)| ((ox - x).abs(), b))
                    .filter(|(d, _)| *d < 2.0)
                    .min_by(|a, b| a.0.total_cmp(&b.0));
                match found {
                    Some((_, b)) => boxes.push(*b),
                    None if ch == ' ' => boxes.push([x, h - line.baseline, x, h - line.baseline]),
                    None => {
                        return Err(Error::TextLayer(format!(
                            "« {ch} » de « {} » introuvable à x = {x:.1}, ligne de base {:.1}",
                            line.text(),
                            line.baseline
                        )));
                    }
                }
                x += run.font.text_width(&ch.to_string(), run.size);
            }
        }
        out.push(boxes);
    }
    Ok(out)
}

fn write_image_page(doc: &mut PdfDocument<'_>, im: &ImagePage) -> Result<()> {
    let mut page = doc.pages_mut().create_page_at_end(PdfPagePaperSize::Custom(pt(im.width), pt(im.height)))?;
    page.set_content_regeneration_strategy(PdfPageContentRegenerationStrategy::Manual);
    let mut obj = PdfPageImageObject::new_from_jpeg_reader(doc, Cursor::new(im.jpeg.clone()))?;
    obj.scale(im.width, im.height)?;
    page.objects_mut().add_image_object(obj)?;
    page.regenerate_content()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_page() -> TextPage {
        let run = |font, text: &str| Run { font, size: 11.0, text: text.into() };
        TextPage {
            width: 595.28,
            height: 841.89,
            lines: vec![
                TextLine { x: 60.0, baseline: 780.0, word_spacing: 0.0, runs: vec![run(Font::SansBold, "PROCÈS-VERBAL")], grey: 0.0 },
                TextLine {
                    x: 60.0,
                    baseline: 760.0,
                    word_spacing: 0.0,
                    runs: vec![run(Font::Serif, "« Œuvre » cœur, "), run(Font::SerifBold, "DUPONT Kévin")],
                    grey: 0.0,
                },
                TextLine { x: 60.0, baseline: 740.0, word_spacing: 0.0, runs: vec![run(Font::Mono, "0,62 mg/l")], grey: 0.3 },
            ],
            strokes: vec![Stroke { from: (60.0, 790.0), to: (535.0, 790.0), width: 0.5 }],
        }
    }

    #[test]
    fn text_reads_back_exactly_with_boxes_in_reading_order() {
        let w = write_pdf(&Info::default(), &[Page::Text(sample_page())]).unwrap();
        assert!(w.bytes.starts_with(b"%PDF-"));
        let boxes = &w.char_boxes[0];
        assert_eq!(boxes[1].len(), "« Œuvre » cœur, DUPONT Kévin".chars().count());
        // Characters of a line advance left to right on the same baseline band, top-left origin.
        let b = w.span_box(0, 1, 0, 5).unwrap();
        assert!(b[0] >= 59.0 && b[0] < 62.0, "{b:?}");
        assert!(b[1] < 841.89 - 760.0 && b[3] > 841.89 - 760.0, "{b:?}");
        let bold = w.span_box(0, 1, 16, 12).unwrap();
        assert!(bold[0] > b[2], "{bold:?} after {b:?}");
        // Read back independently: the text layer holds the exact characters.
        let pdfium = ap_operators::native::NativeLibs::default().pdfium().unwrap();
        let doc = pdfium.load_pdf_from_byte_slice(&w.bytes, None).unwrap();
        let text = doc.pages().get(0).unwrap().text().unwrap().all();
        assert!(text.contains("« Œuvre » cœur, DUPONT Kévin"), "{text}");
    }

    #[test]
    fn same_pages_give_the_same_bytes() {
        let a = write_pdf(&Info::default(), &[Page::Text(sample_page())]).unwrap();
        let b = write_pdf(&Info::default(), &[Page::Text(sample_page())]).unwrap();
        assert!(a.bytes == b.bytes, "two writes of the same page differ");
    }
}
