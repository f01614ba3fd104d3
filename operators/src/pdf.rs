//! Reading PDF files with pdfium: the text layer with character boxes, the decision whether a
//! page needs OCR, and page rendering for OCR.
//!
//! pdfium is bound once per process ([`crate::native::NativeLibs::pdfium`]) and its calls are
//! serialised by pdfium-render, so this module only reads: it collects each page's glyphs (in
//! top-left coordinates) and page facts in one pass, and leaves layout to [`crate::layout`] and
//! recognition to [`crate::ocr`], which run without pdfium.

use image::GrayImage;
use pdfium_render::prelude::*;

use crate::document::{BBox, ExtractionMethod, OcrDecision, Page, PageIssue};
use crate::error::{Error, Result};
use crate::input::Limits;
use crate::layout::{self, Glyph, Run};

/// What one pass over a page of the PDF learnt.
#[derive(Debug, Clone)]
pub struct RawPage {
    /// 1-based page number.
    pub number: u32,
    /// Width in points.
    pub width: f32,
    /// Height in points.
    pub height: f32,
    /// Glyphs of the text layer grouped in runs.
    pub runs: Vec<Run>,
    /// Whether the page goes to OCR, and why.
    pub decision: OcrDecision,
    /// Resolution of the largest picture on the page (a scan's own resolution), if any.
    pub image_dpi: Option<f32>,
}

/// Open a PDF held in memory. Encrypted, unreadable and empty files get a French error naming
/// the file.
pub fn open<'a>(pdfium: &'a Pdfium, bytes: &'a [u8], file: &str) -> Result<PdfDocument<'a>> {
    let doc = pdfium.load_pdf_from_byte_slice(bytes, None).map_err(|e| match e {
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::PasswordError)
        | PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::SecurityError) => {
            Error::Encrypted { file: file.to_string() }
        }
        other => Error::UnreadablePdf { file: file.to_string(), reason: describe(&other) },
    })?;
    if doc.pages().is_empty() {
        return Err(Error::EmptyDocument { file: file.to_string() });
    }
    Ok(doc)
}

/// A short French description of a pdfium error.
fn describe(e: &PdfiumError) -> String {
    match e {
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::FormatError) => {
            "structure PDF invalide ou fichier tronqué".into()
        }
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::FileError) => "fichier illisible".into(),
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::PageError) => "page illisible".into(),
        other => format!("{other:?}"),
    }
}

/// Read every page: glyphs, size and OCR decision. Pages that cannot be read, or break the
/// limits, are reported and skipped; the others are kept.
pub fn read_pages(doc: &PdfDocument<'_>, file: &str, limits: &Limits) -> (Vec<RawPage>, Vec<PageIssue>) {
    let count = doc.pages().len() as usize;
    let mut pages = Vec::new();
    let mut issues = Vec::new();
    for index in 0..count.min(limits.max_pages) {
        let number = index as u32 + 1;
        match read_page(doc, index, limits) {
            Ok(page) => pages.push(page),
            Err(e) => issues.push(PageIssue { page: number, message: format!("{file}, page {number} : {e}") }),
        }
    }
    if count > limits.max_pages {
        issues.push(PageIssue {
            page: limits.max_pages as u32 + 1,
            message: format!(
                "{file} : {count} pages, au-delà de la limite de {} pages ; les pages suivantes sont ignorées",
                limits.max_pages
            ),
        });
    }
    (pages, issues)
}

fn read_page(doc: &PdfDocument<'_>, index: usize, limits: &Limits) -> Result<RawPage> {
    let page = doc.pages().get(index as PdfPageIndex).map_err(|e| Error::PageUnreadable(describe(&e)))?;
    let (width, height) = (page.width().value, page.height().value);
    if !(width > 0.0 && height > 0.0) || width * height > limits.max_page_area_pt2 {
        return Err(Error::PageTooLarge { width, height, limit: limits.max_page_area_pt2 });
    }
    let text = page.text().map_err(|e| Error::PageUnreadable(describe(&e)))?;
    let mut glyphs = Vec::new();
    for ch in text.chars().iter() {
        let Some(c) = ch.unicode_char() else { continue };
        // pdfium inserts spaces and line breaks of its own; they carry no box of their own.
        // (Asked for whitespace only: every call into pdfium costs.)
        if c.is_whitespace() && ch.is_generated().unwrap_or(false) {
            continue;
        }
        let Ok(r) = ch.loose_bounds() else { continue };
        let bbox = BBox::new(r.left().value, height - r.top().value, r.right().value, height - r.bottom().value);
        glyphs.push(Glyph { ch: c, bbox, size: ch.scaled_font_size().value });
    }
    let (decision, image_dpi) = decide(&page, &text, &glyphs, width * height);
    let runs = if decision.needs_ocr() { Vec::new() } else { layout::runs(&glyphs) };
    Ok(RawPage { number: index as u32 + 1, width, height, runs, decision, image_dpi })
}

/// Whether a page's text layer can be trusted, or the page must be read by OCR; and the
/// resolution of its largest picture.
fn decide(page: &PdfPage<'_>, text: &PdfPageText<'_>, glyphs: &[Glyph], area: f32) -> (OcrDecision, Option<f32>) {
    let mut largest: Option<(f32, f32)> = None; // (area in points, dpi)
    let chars = glyphs.iter().filter(|g| !g.ch.is_whitespace()).count();
    let mut image_area = 0.0f32;
    let mut text_chars = 0usize;
    let mut invisible_chars = 0usize;
    for object in page.objects().iter() {
        if object.object_type() == PdfPageObjectType::Text {
            continue;
        } else if object.object_type() == PdfPageObjectType::Image
            && let Ok(q) = object.bounds()
        {
            let r = q.to_rect();
            let a = (r.width().value * r.height().value).abs();
            image_area += a;
            if let Some(img) = object.as_image_object()
                && let Ok(px) = img.width()
                && r.width().value.abs() > 1.0
                && largest.is_none_or(|(la, _)| a > la)
            {
                largest = Some((a, px as f32 * 72.0 / r.width().value.abs()));
            }
        }
    }
    let image_dpi = largest.map(|(_, dpi)| dpi);
    // Invisible text (render mode 3) is what an earlier OCR leaves over a scan: only looked for
    // when pictures cover the page, on a sample of the characters (reading a text object's text
    // reloads the page's text, which is slow).
    if image_area / area > 0.3 {
        let chars = text.chars();
        let n = chars.len();
        let step = (n / 200).max(1);
        for i in (0..n).step_by(step) {
            if let Ok(ch) = chars.get(i as PdfPageTextCharIndex)
                && let Ok(object) = ch.text_object()
            {
                text_chars += 1;
                if object.render_mode() == PdfPageTextRenderMode::Invisible {
                    invisible_chars += 1;
                }
            }
        }
    }
    (decide_from(chars, image_area / area, text_chars, invisible_chars, glyphs), image_dpi)
}

fn decide_from(chars: usize, coverage: f32, text_chars: usize, invisible_chars: usize, glyphs: &[Glyph]) -> OcrDecision {
    let image_coverage = coverage.min(1.0);
    if chars == 0 {
        return OcrDecision::NoTextLayer;
    }
    if image_coverage > 0.5 && chars < 40 {
        return OcrDecision::ImageOnly { image_coverage, chars };
    }
    let invisible_share = if text_chars == 0 { 0.0 } else { invisible_chars as f32 / text_chars as f32 };
    if invisible_share > 0.5 {
        return OcrDecision::InvisibleText { invisible_share };
    }
    let text: String = glyphs.iter().map(|g| g.ch).collect();
    let plausible_share = plausible_word_share(&text);
    if plausible_share < 0.6 {
        return OcrDecision::GarbageText { plausible_share };
    }
    OcrDecision::TextLayerOk { chars }
}

/// Share of the whitespace-separated tokens that look like French words, numbers or
/// punctuation. Broken encodings and bad OCR layers give symbol soup, private-use glyphs and
/// words without vowels.
pub fn plausible_word_share(text: &str) -> f32 {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    if tokens.len() < 5 {
        // Too little text to judge: trust it unless it holds replacement or private-use chars.
        return if text.chars().any(|c| c == '\u{fffd}' || ('\u{e000}'..='\u{f8ff}').contains(&c)) { 0.0 } else { 1.0 };
    }
    let plausible = tokens
        .iter()
        .filter(|t| {
            let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
            let odd = t
                .chars()
                .filter(|c| !(c.is_alphanumeric() || ".,;:!?'’\"«»()-–—/%€°+&@#*[]_".contains(*c)))
                .count();
            if odd > 0 || t.contains('\u{fffd}') {
                return false;
            }
            if letters.is_empty() {
                return true; // numbers, dates, punctuation
            }
            let vowels = letters.iter().filter(|c| "aeiouyàâäéèêëîïôöùûüÿœæAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŸŒÆ".contains(**c)).count();
            letters.len() <= 3 || (vowels > 0 && letters.len() <= 30)
        })
        .count();
    plausible as f32 / tokens.len() as f32
}

/// Lay out the text layer of the pages that do not need OCR, detecting running headers and
/// footers across all of them.
pub fn native_pages(raw: &[RawPage]) -> Vec<Page> {
    let margins: Vec<(Vec<Run>, f32)> =
        raw.iter().filter(|p| !p.decision.needs_ocr()).map(|p| (p.runs.clone(), p.height)).collect();
    let repeated = layout::repeated_margins(&margins);
    raw.iter()
        .filter(|p| !p.decision.needs_ocr())
        .map(|p| {
            let laid = layout::lay_out(&p.runs, p.height, &repeated);
            Page {
                number: p.number,
                width: p.width,
                height: p.height,
                method: ExtractionMethod::Native,
                ocr_decision: p.decision.clone(),
                text: laid.text,
                char_boxes: laid.char_boxes,
                lines: laid.lines,
                words: laid.words,
                rotation: 0,
                skew_deg: 0.0,
                confidence: None,
            }
        })
        .collect()
}

/// Render page `number` (1-based) in grey levels at `dpi`, lowered when the picture would exceed
/// the pixel limit. Returns the picture and the dpi used.
pub fn render_page(doc: &PdfDocument<'_>, number: u32, dpi: u32, limits: &Limits) -> Result<(GrayImage, u32)> {
    let page = doc.pages().get((number - 1) as PdfPageIndex).map_err(|e| Error::PageUnreadable(describe(&e)))?;
    let (w, h) = (page.width().value, page.height().value);
    let mut dpi = dpi.max(1);
    let pixels = |dpi: u32| (w * dpi as f32 / 72.0) as u64 * (h * dpi as f32 / 72.0) as u64;
    while pixels(dpi) > limits.max_render_pixels && dpi > 50 {
        dpi = dpi * 9 / 10;
    }
    if pixels(dpi) > limits.max_render_pixels {
        return Err(Error::PageTooLarge { width: w, height: h, limit: limits.max_page_area_pt2 });
    }
    let config = PdfRenderConfig::new().scale_page_by_factor(dpi as f32 / 72.0);
    let bitmap = page.render_with_config(&config).map_err(|e| Error::PageUnreadable(describe(&e)))?;
    let image = bitmap.as_image().map_err(|e| Error::PageUnreadable(describe(&e)))?;
    Ok((image.to_luma8(), dpi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_text_is_plausible_and_symbol_soup_is_not() {
        let french = "L'an deux mille vingt-quatre, le 12/03/2024 à 14h30, nous, OPJ, entendons M. DUPONT.";
        assert!(plausible_word_share(french) > 0.9);
        let soup = "#$%^ &*(@ ¤¤¤ ÞÞÞ þþþþ §§§ ¦¦¦ ~~~ ^^^ ±±±";
        assert!(plausible_word_share(soup) < 0.3, "{}", plausible_word_share(soup));
        let consonants = "xkcd qwrtz bcdfgh jklmnp qrstvwxz zzzz kkkkk";
        assert!(plausible_word_share(consonants) < 0.5);
    }
}
