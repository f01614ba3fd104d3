//! Positioned text: the shape every ingestion stage hands to the next.
//!
//! Whether a page was read from its PDF text layer or by OCR, it ends up as one normalised
//! string ([`Page::text`]) plus, for every character of that string, the box it was drawn in
//! ([`Page::char_boxes`]). Everything a magistrate later sees highlighted is computed from these
//! boxes, so they are kept exact and never re-derived from the text.
//!
//! Coordinates are PDF points with the origin at the top-left corner of the page as displayed
//! (the convention of the corpus gold files): `x` grows to the right, `y` grows downwards.

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// An axis-aligned box in PDF points, origin top-left, `x0 < x1`, `y0 < y1`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    /// Left edge.
    pub x0: f32,
    /// Top edge.
    pub y0: f32,
    /// Right edge.
    pub x1: f32,
    /// Bottom edge.
    pub y1: f32,
}

impl BBox {
    /// A box from its edges, reordered so that `x0 <= x1` and `y0 <= y1`.
    pub fn new(x0: f32, y0: f32, x1: f32, y1: f32) -> Self {
        Self { x0: x0.min(x1), y0: y0.min(y1), x1: x0.max(x1), y1: y0.max(y1) }
    }

    /// `[x0, y0, x1, y1]`, the layout of the gold files.
    pub fn to_array(self) -> [f32; 4] {
        [self.x0, self.y0, self.x1, self.y1]
    }

    /// Width in points.
    pub fn width(&self) -> f32 {
        self.x1 - self.x0
    }

    /// Height in points.
    pub fn height(&self) -> f32 {
        self.y1 - self.y0
    }

    /// Area in square points (zero for degenerate boxes).
    pub fn area(&self) -> f32 {
        self.width().max(0.0) * self.height().max(0.0)
    }

    /// Centre point.
    pub fn center(&self) -> (f32, f32) {
        ((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)
    }

    /// The smallest box holding both.
    pub fn union(&self, other: &BBox) -> BBox {
        BBox {
            x0: self.x0.min(other.x0),
            y0: self.y0.min(other.y0),
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
        }
    }

    /// Union of many boxes, `None` when there are none.
    pub fn union_all<'a>(boxes: impl IntoIterator<Item = &'a BBox>) -> Option<BBox> {
        boxes.into_iter().fold(None, |acc: Option<BBox>, b| Some(acc.map_or(*b, |a| a.union(b))))
    }

    /// Area of the overlap.
    pub fn intersection_area(&self, other: &BBox) -> f32 {
        let w = self.x1.min(other.x1) - self.x0.max(other.x0);
        let h = self.y1.min(other.y1) - self.y0.max(other.y0);
        if w <= 0.0 || h <= 0.0 { 0.0 } else { w * h }
    }

    /// Intersection over union, in `[0, 1]`.
    pub fn iou(&self, other: &BBox) -> f32 {
        let inter = self.intersection_area(other);
        let union = self.area() + other.area() - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }

    /// Length of the vertical overlap of the two boxes (negative when apart).
    pub fn vertical_overlap(&self, other: &BBox) -> f32 {
        self.y1.min(other.y1) - self.y0.max(other.y0)
    }
}

/// Where a page's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtractionMethod {
    /// The PDF text layer, read with pdfium.
    Native,
    /// tesseract OCR of the rendered page or of the image.
    Ocr,
}

/// Why a page was (or was not) sent to OCR. Recorded on every page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum OcrDecision {
    /// The text layer is usable.
    TextLayerOk {
        /// Characters in the text layer.
        chars: usize,
    },
    /// The page has no text layer at all.
    NoTextLayer,
    /// Images cover the page and the text layer holds next to nothing.
    ImageOnly {
        /// Share of the page area covered by images.
        image_coverage: f32,
        /// Characters in the text layer.
        chars: usize,
    },
    /// The text layer is invisible text drawn over an image (an earlier OCR), not trusted.
    InvisibleText {
        /// Share of the text layer's characters drawn invisibly.
        invisible_share: f32,
    },
    /// The text layer does not read as French text (wrong encoding, broken earlier OCR).
    GarbageText {
        /// Share of the text layer's words that look like words.
        plausible_share: f32,
    },
    /// The input was an image (TIFF, PNG, JPEG): there is no text layer to read.
    ImageInput,
}

impl OcrDecision {
    /// Whether this decision sends the page to OCR.
    pub fn needs_ocr(&self) -> bool {
        !matches!(self, OcrDecision::TextLayerOk { .. })
    }
}

/// Role of a line in the page layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineRole {
    /// Running text.
    Body,
    /// Repeated at the top of the pages of a document (service name, procedure number).
    Header,
    /// Repeated at the bottom of the pages (page numbers, signatures block repeated).
    Footer,
}

/// A word: a run of characters between spaces, with its box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    /// The normalised text of the word.
    pub text: String,
    /// Union of its characters' boxes.
    pub bbox: BBox,
    /// Byte range of the word in [`Page::text`].
    pub range: Range<usize>,
    /// OCR confidence in `[0, 100]`; `None` for text-layer words.
    pub confidence: Option<f32>,
}

/// A line of text in reading order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// Union of its words' boxes.
    pub bbox: BBox,
    /// Byte range of the line in [`Page::text`] (without the trailing newline).
    pub range: Range<usize>,
    /// Indexes into [`Page::words`].
    pub words: Range<usize>,
    /// Layout role.
    pub role: LineRole,
    /// Whether a new paragraph starts with this line.
    pub paragraph_start: bool,
}

/// One page of positioned, normalised text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// 1-based page number within its document.
    pub number: u32,
    /// Width in points, as displayed.
    pub width: f32,
    /// Height in points, as displayed.
    pub height: f32,
    /// Where the text came from.
    pub method: ExtractionMethod,
    /// Why OCR was or was not used.
    pub ocr_decision: OcrDecision,
    /// Normalised text, lines in reading order joined by `\n`.
    pub text: String,
    /// One entry per `char` of [`Page::text`]: the box the character was drawn in, `None` for
    /// separators the extraction inserted (line breaks, spaces between words).
    pub char_boxes: Vec<Option<BBox>>,
    /// Lines in reading order.
    pub lines: Vec<Line>,
    /// Words in reading order.
    pub words: Vec<Word>,
    /// Rotation applied to read an OCR page right side up (0, 90, 180, 270, clockwise).
    pub rotation: u16,
    /// Skew angle corrected before OCR, in degrees.
    pub skew_deg: f32,
    /// Mean OCR word confidence, `None` for text-layer pages.
    pub confidence: Option<f32>,
}

impl Page {
    /// Char index of a byte offset of [`Page::text`] (offsets inside a char round down).
    pub fn char_index(&self, byte: usize) -> usize {
        self.text.char_indices().take_while(|(b, _)| *b < byte).count()
    }

    /// Boxes of the characters in the byte range `range` of [`Page::text`], one box per line
    /// the range touches (the union of that line's character boxes), in reading order.
    pub fn boxes_for(&self, range: Range<usize>) -> Vec<BBox> {
        let mut out = Vec::new();
        for line in &self.lines {
            let start = range.start.max(line.range.start);
            let end = range.end.min(line.range.end);
            if start >= end {
                continue;
            }
            let (a, b) = (self.char_index(start), self.char_index(end));
            if let Some(bbox) = BBox::union_all(self.char_boxes[a..b].iter().flatten()) {
                out.push(bbox);
            }
        }
        out
    }

    /// Byte ranges where `quote` occurs in the page text, comparing normalised text and
    /// treating any run of whitespace as one space (a quote may wrap lines).
    pub fn find(&self, quote: &str) -> Vec<Range<usize>> {
        crate::normalize::find_loose(&self.text, quote)
    }

    /// The text of the body lines only (headers and footers left out).
    pub fn body_text(&self) -> String {
        self.lines
            .iter()
            .filter(|l| l.role == LineRole::Body)
            .map(|l| &self.text[l.range.clone()])
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A problem with one page that did not stop the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageIssue {
    /// 1-based page number.
    pub page: u32,
    /// What went wrong, in French.
    pub message: String,
}

/// One input file turned into pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Identifier given by the caller (e.g. `doc1`).
    pub id: String,
    /// File name, for messages.
    pub file: String,
    /// Pages that could be read, in order (numbers may have gaps when pages were lost).
    pub pages: Vec<Page>,
    /// Pages that could not be read, and why.
    pub issues: Vec<PageIssue>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iou_of_identical_and_disjoint_boxes() {
        let a = BBox::new(0.0, 0.0, 10.0, 10.0);
        assert_eq!(a.iou(&a), 1.0);
        assert_eq!(a.iou(&BBox::new(20.0, 20.0, 30.0, 30.0)), 0.0);
        let half = BBox::new(5.0, 0.0, 15.0, 10.0);
        assert!((a.iou(&half) - 50.0 / 150.0).abs() < 1e-6);
    }

    #[test]
    fn new_reorders_edges() {
        let b = BBox::new(10.0, 20.0, 0.0, 5.0);
        assert_eq!(b.to_array(), [0.0, 5.0, 10.0, 20.0]);
    }
}
