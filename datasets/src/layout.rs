//! Typesetting: a piece's blocks of text become lines on pages, and every fact stated in the
//! text gets the exact box where it is printed.
//!
//! Coordinates here are PDF points with the origin at the page's top-left corner, y growing
//! downwards, the convention of the gold files. [`crate::pdf`] flips them when writing.
//!
//! A fact (a span tagged with the index of a gold answer) is never broken across lines, so its
//! quote appears verbatim in the text layer, on one line, inside its box.

use crate::fonts::{Family, Font};
use crate::pdf::{Run, Stroke, TextLine, TextPage};

/// A4 portrait, in points.
pub const A4: (f32, f32) = (595.28, 841.89);

/// Vertical extent of glyphs around the baseline, in em: accents on capitals reach ~0.93,
/// descenders ~0.22 in the three families.
pub const ASCENT: f32 = 0.95;
pub const DESCENT: f32 = 0.25;

/// A piece of text in one face; `fact` tags it as the verbatim statement of a gold fact.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub text: String,
    pub bold: bool,
    pub fact: Option<usize>,
}

impl Span {
    pub fn plain(text: impl Into<String>) -> Self {
        Self { text: text.into(), bold: false, fact: None }
    }
    pub fn bold(text: impl Into<String>) -> Self {
        Self { text: text.into(), bold: true, fact: None }
    }
    pub fn fact(text: impl Into<String>, fact: usize) -> Self {
        Self { text: text.into(), bold: false, fact: Some(fact) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
    Justify,
}

/// A paragraph, wrapped to the text width.
#[derive(Debug, Clone, PartialEq)]
pub struct Para {
    pub spans: Vec<Span>,
    pub align: Align,
    /// Font size; the style's body size when `None`.
    pub size: Option<f32>,
    /// Family; the style's when `None`.
    pub family: Option<Family>,
    /// Left indent, points.
    pub indent: f32,
    /// Extra space after the paragraph, in lines.
    pub space_after: f32,
}

/// Something placed on the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Para(Para),
    /// One unwrapped line of cells at fixed offsets from the left margin (tables, listings).
    Row { cells: Vec<(f32, Vec<Span>)>, size: Option<f32>, family: Option<Family>, rule_below: bool },
    /// Vertical space, in lines.
    Gap(f32),
    /// A horizontal rule across the text width.
    Rule,
    /// Start of a framed box (tickets, stamps), `width` points wide from the left margin.
    FrameStart { width: f32 },
    FrameEnd,
    PageBreak,
}

impl Block {
    pub fn para(spans: Vec<Span>) -> Self {
        Block::Para(Para { spans, align: Align::Left, size: None, family: None, indent: 0.0, space_after: 0.5 })
    }
    pub fn text(text: impl Into<String>) -> Self {
        Block::para(vec![Span::plain(text)])
    }
    pub fn title(text: impl Into<String>, size: f32) -> Self {
        Block::Para(Para {
            spans: vec![Span::bold(text)],
            align: Align::Center,
            size: Some(size),
            family: None,
            indent: 0.0,
            space_after: 0.6,
        })
    }
    pub fn heading(text: impl Into<String>) -> Self {
        Block::Para(Para { spans: vec![Span::bold(text)], align: Align::Left, size: None, family: None, indent: 0.0, space_after: 0.3 })
    }
}

/// How a piece is typeset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    pub family: Family,
    pub size: f32,
    /// Line height as a multiple of the size.
    pub leading: f32,
    pub page: (f32, f32),
    pub margin_left: f32,
    pub margin_right: f32,
    pub margin_top: f32,
    pub margin_bottom: f32,
    pub justify: bool,
}

impl Style {
    pub fn text_width(&self) -> f32 {
        self.page.0 - self.margin_left - self.margin_right
    }
}

/// Where a fact ended up.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub fact: usize,
    /// Index of the page in the laid-out piece.
    pub page: usize,
    /// [x0, y0, x1, y1], points, top-left origin, as the metrics predict (the gold boxes are
    /// read back from the written PDF instead, from `line`, `start` and `quote`).
    pub bbox: [f32; 4],
    /// Index of the line in the page's lines, and of the quote's first character in the line.
    pub line: usize,
    pub start: usize,
    pub quote: String,
}

/// A laid-out line, top-left coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub x: f32,
    pub baseline: f32,
    pub word_spacing: f32,
    pub runs: Vec<Run>,
}

impl Line {
    pub fn text(&self) -> String {
        self.runs.iter().map(|r| r.text.as_str()).collect()
    }
}

/// A page of a piece before headers and footers are added.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LaidPage {
    pub lines: Vec<Line>,
    /// Segments, top-left coordinates.
    pub strokes: Vec<Stroke>,
}

impl LaidPage {
    /// The page as the PDF writer wants it (bottom-left origin).
    pub fn to_text_page(&self, size: (f32, f32)) -> TextPage {
        let h = size.1;
        TextPage {
            width: size.0,
            height: h,
            lines: self
                .lines
                .iter()
                .map(|l| TextLine { x: l.x, baseline: h - l.baseline, word_spacing: l.word_spacing, runs: l.runs.clone(), grey: 0.0 })
                .collect(),
            strokes: self
                .strokes
                .iter()
                .map(|s| Stroke { from: (s.from.0, h - s.from.1), to: (s.to.0, h - s.to.1), width: s.width })
                .collect(),
        }
    }

    /// The page's text, one line per printed line, top to bottom.
    pub fn text(&self) -> String {
        let mut lines: Vec<&Line> = self.lines.iter().collect();
        lines.sort_by(|a, b| a.baseline.total_cmp(&b.baseline).then(a.x.total_cmp(&b.x)));
        let mut out = String::new();
        let mut last: Option<f32> = None;
        for l in lines {
            match last {
                Some(b) if (b - l.baseline).abs() < 0.5 => out.push(' '),
                Some(_) => out.push('\n'),
                None => {}
            }
            out.push_str(&l.text());
            last = Some(l.baseline);
        }
        out
    }
}

/// The result of typesetting one piece.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Laid {
    pub pages: Vec<LaidPage>,
    pub placements: Vec<Placement>,
}

/// A word (or an unbreakable fact) with the space that follows it.
struct Token<'a> {
    pieces: Vec<(&'a str, Font, Option<usize>)>,
    width: f32,
    /// Whether a space follows in the source.
    space_after: bool,
}

/// Typeset `blocks` with `style`.
pub fn lay_out(blocks: &[Block], style: &Style) -> Laid {
    let mut t = Typesetter { style, laid: Laid::default(), y: style.margin_top, frame: None };
    t.laid.pages.push(LaidPage::default());
    for block in blocks {
        match block {
            Block::Para(p) => t.para(p),
            Block::Row { cells, size, family, rule_below } => {
                t.row(cells, size.unwrap_or(style.size), family.unwrap_or(style.family), *rule_below)
            }
            Block::Gap(lines) => t.y += lines * style.size * style.leading,
            Block::Rule => {
                t.ensure(style.size * 0.6);
                let y = t.y + style.size * 0.3;
                t.page().strokes.push(Stroke {
                    from: (style.margin_left, y),
                    to: (style.page.0 - style.margin_right, y),
                    width: 0.6,
                });
                t.y += style.size * 0.6;
            }
            Block::FrameStart { width } => {
                t.y += style.size * 0.3;
                t.frame = Some((t.y, *width));
                t.y += style.size * 0.3;
            }
            Block::FrameEnd => {
                if let Some((top, width)) = t.frame.take() {
                    t.y += style.size * 0.2;
                    t.draw_frame(top, t.y, width);
                    t.y += style.size * 0.4;
                }
            }
            Block::PageBreak => t.new_page(),
        }
    }
    if let Some((top, width)) = t.frame.take() {
        let y = t.y;
        t.draw_frame(top, y, width);
    }
    t.laid
}

struct Typesetter<'s> {
    style: &'s Style,
    laid: Laid,
    /// Top of the next line.
    y: f32,
    /// An open frame: its top on the current page and its width.
    frame: Option<(f32, f32)>,
}

impl Typesetter<'_> {
    fn page(&mut self) -> &mut LaidPage {
        self.laid.pages.last_mut().expect("at least one page")
    }

    fn new_page(&mut self) {
        if let Some((top, width)) = self.frame {
            let y = self.y;
            self.draw_frame(top, y, width);
            self.frame = Some((self.style.margin_top, width));
        }
        self.laid.pages.push(LaidPage::default());
        self.y = self.style.margin_top;
    }

    /// Start a new page unless `height` more points fit on this one.
    fn ensure(&mut self, height: f32) {
        let bottom = self.style.page.1 - self.style.margin_bottom;
        if self.y + height > bottom && self.y > self.style.margin_top + 1.0 {
            self.new_page();
        }
    }

    fn draw_frame(&mut self, top: f32, bottom: f32, width: f32) {
        let x0 = self.style.margin_left - 4.0;
        let x1 = self.style.margin_left + width + 4.0;
        let page = self.page();
        for (from, to) in [((x0, top), (x1, top)), ((x1, top), (x1, bottom)), ((x1, bottom), (x0, bottom)), ((x0, bottom), (x0, top))] {
            page.strokes.push(Stroke { from, to, width: 0.8 });
        }
    }

    fn para(&mut self, p: &Para) {
        let size = p.size.unwrap_or(self.style.size);
        let family = p.family.unwrap_or(self.style.family);
        let line_height = size * self.style.leading;
        let avail = self.style.text_width() - p.indent;
        let space = family.regular().text_width(" ", size);
        let tokens = tokenize(&p.spans, family, size);

        // Greedy line filling.
        let mut lines: Vec<Vec<&Token<'_>>> = vec![vec![]];
        let mut width = 0.0;
        for tok in &tokens {
            let current = lines.last_mut().expect("one line");
            let needed = if current.is_empty() { tok.width } else { width + space + tok.width };
            if !current.is_empty() && needed > avail {
                lines.push(vec![tok]);
                width = tok.width;
            } else {
                current.push(tok);
                width = needed;
            }
        }
        let count = lines.len();
        for (i, line) in lines.into_iter().enumerate() {
            if line.is_empty() {
                continue;
            }
            self.ensure(line_height);
            let baseline = self.y + size * 0.8;
            let natural: f32 = line.iter().map(|t| t.width).sum::<f32>()
                + space * line.iter().take(line.len() - 1).filter(|t| t.space_after).count() as f32;
            // Tw widens every space character, those inside facts included.
            let inner: usize =
                line.iter().flat_map(|t| &t.pieces).map(|p| p.0.chars().filter(|c| *c == ' ').count()).sum();
            let gaps = line.iter().take(line.len() - 1).filter(|t| t.space_after).count() + inner;
            let left = self.style.margin_left + p.indent;
            let (x, word_spacing) = match p.align {
                Align::Left => (left, 0.0),
                Align::Center => (left + (avail - natural) / 2.0, 0.0),
                Align::Right => (left + avail - natural, 0.0),
                Align::Justify => {
                    let last = i + 1 == count;
                    let ws = if last || gaps == 0 { 0.0 } else { (avail - natural) / gaps as f32 };
                    (left, if (0.0..=4.0).contains(&ws) { ws } else { 0.0 })
                }
            };
            self.emit_line(&line, x, baseline, word_spacing, size);
            self.y += line_height;
        }
        self.y += p.space_after * line_height;
    }

    /// Place the tokens of one line, recording fact boxes; spaces between tokens are real
    /// characters of the text layer.
    fn emit_line(&mut self, line: &[&Token<'_>], x: f32, baseline: f32, word_spacing: f32, size: f32) {
        let mut runs: Vec<Run> = Vec::new();
        let mut pen = x;
        let page_index = self.laid.pages.len() - 1;
        let line_index = self.page().lines.len();
        let push = |runs: &mut Vec<Run>, font: Font, text: &str| match runs.last_mut() {
            Some(r) if r.font == font => r.text.push_str(text),
            _ => runs.push(Run { font, size, text: text.to_string() }),
        };
        let advance = |font: Font, text: &str| {
            font.text_width(text, size) + word_spacing * text.chars().filter(|c| *c == ' ').count() as f32
        };
        for (k, tok) in line.iter().enumerate() {
            for (text, font, fact) in &tok.pieces {
                let w = advance(*font, text);
                if let Some(fact) = fact {
                    let start: usize = runs.iter().map(|r: &Run| r.text.chars().count()).sum();
                    // The next word of a fact broken between words extends it on this line.
                    if let Some(last) = self.laid.placements.last_mut().filter(|l| {
                        l.fact == *fact && l.page == page_index && l.line == line_index && l.start + l.quote.chars().count() + 1 == start
                    }) {
                        last.quote.push(' ');
                        last.quote.push_str(text);
                        last.bbox[2] = pen + w;
                        push(&mut runs, *font, text);
                        pen += w;
                        continue;
                    }
                    self.laid.placements.push(Placement {
                        fact: *fact,
                        page: page_index,
                        bbox: [pen, baseline - ASCENT * size, pen + w, baseline + DESCENT * size],
                        line: line_index,
                        start,
                        quote: (*text).to_string(),
                    });
                }
                push(&mut runs, *font, text);
                pen += w;
            }
            if k + 1 < line.len() && tok.space_after {
                let font = tok.pieces.last().map(|p| p.1).unwrap_or(Font::Sans);
                push(&mut runs, font, " ");
                pen += advance(font, " ");
            }
        }
        self.page().lines.push(Line { x, baseline, word_spacing, runs });
    }

    fn row(&mut self, cells: &[(f32, Vec<Span>)], size: f32, family: Family, rule_below: bool) {
        let line_height = size * self.style.leading;
        self.ensure(line_height);
        let baseline = self.y + size * 0.8;
        for (offset, spans) in cells {
            let tokens = tokenize(spans, family, size);
            let refs: Vec<&Token<'_>> = tokens.iter().collect();
            if !refs.is_empty() {
                self.emit_line(&refs, self.style.margin_left + offset, baseline, 0.0, size);
            }
        }
        self.y += line_height;
        if rule_below {
            let y = self.y - size * 0.15;
            let (l, r) = (self.style.margin_left, self.style.page.0 - self.style.margin_right);
            self.page().strokes.push(Stroke { from: (l, y), to: (r, y), width: 0.4 });
        }
    }
}

/// Widest fact kept on one line (points): a longer one is broken between its words, and the
/// gold file then holds one evidence entry per line.
const LONG_FACT: f32 = 260.0;

/// Split spans into breakable tokens; a fact span stays one token unless it is longer than
/// [`LONG_FACT`].
fn tokenize(spans: &[Span], family: Family, size: f32) -> Vec<Token<'_>> {
    let mut tokens: Vec<Token<'_>> = Vec::new();
    // Whether the next piece glues onto the previous token (no space between them).
    let mut glue = false;
    for span in spans {
        let font = if span.bold { family.bold() } else { family.regular() };
        if span.fact.is_some() && font.text_width(&span.text, size) <= LONG_FACT {
            let text = span.text.as_str();
            push_piece(&mut tokens, glue, (text, font, span.fact), size);
            glue = true;
            continue;
        }
        let text = span.text.as_str();
        if text.starts_with(' ') {
            if let Some(last) = tokens.last_mut() {
                last.space_after = true;
            }
            glue = false;
        }
        let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
        for (i, word) in words.iter().enumerate() {
            let g = if i == 0 { glue } else { false };
            push_piece(&mut tokens, g, (word, font, span.fact), size);
            if let Some(last) = tokens.last_mut() {
                last.space_after = true;
            }
        }
        // A span not ending with a space glues onto what follows.
        glue = !text.ends_with(' ') && !words.is_empty();
        if glue {
            if let Some(last) = tokens.last_mut() {
                last.space_after = false;
            }
        }
    }
    tokens
}

fn push_piece<'a>(tokens: &mut Vec<Token<'a>>, glue: bool, piece: (&'a str, Font, Option<usize>), size: f32) {
    let w = piece.1.text_width(piece.0, size);
    match tokens.last_mut() {
        Some(last) if glue => {
            last.pieces.push(piece);
            last.width += w;
        }
        _ => tokens.push(Token { pieces: vec![piece], width: w, space_after: false }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(justify: bool) -> Style {
        Style {
            family: Family::Serif,
            size: 11.0,
            leading: 1.3,
            page: A4,
            margin_left: 60.0,
            margin_right: 50.0,
            margin_top: 70.0,
            margin_bottom: 60.0,
            justify,
        }
    }

    #[test]
    fn spans_keep_their_spacing() {
        let para = Block::para(vec![
            Span::bold("Question :"),
            Span::plain(" Où étiez-vous le "),
            Span::fact("12 mars 2024", 0),
            Span::plain(" ? Dites-le."),
        ]);
        let laid = lay_out(&[para], &style(false));
        assert_eq!(laid.pages[0].text(), "Question : Où étiez-vous le 12 mars 2024 ? Dites-le.");
        let p = &laid.placements[0];
        assert_eq!(p.quote, "12 mars 2024");
        let line = &laid.pages[0].lines[0];
        // The space after a token is set in that token's face.
        let prefix = Font::SerifBold.text_width("Question : ", 11.0) + Font::Serif.text_width("Où étiez-vous le ", 11.0);
        assert_eq!((p.line, p.start), (0, "Question : Où étiez-vous le ".chars().count()));
        assert!((p.bbox[0] - (line.x + prefix)).abs() < 0.01, "{:?} vs {}", p.bbox, line.x + prefix);
        assert!((p.bbox[2] - p.bbox[0] - Font::Serif.text_width("12 mars 2024", 11.0)).abs() < 0.01);
    }

    #[test]
    fn a_fact_longer_than_a_line_is_quoted_line_by_line() {
        let long = "remise en liberté et convocation devant le délégué du procureur pour une composition pénale avec indemnisation de la victime";
        let para = Block::para(vec![Span::plain("Instructions : "), Span::fact(long, 3), Span::plain(".")]);
        let st = style(false);
        let laid = lay_out(&[para], &st);
        let quotes: Vec<&Placement> = laid.placements.iter().filter(|p| p.fact == 3).collect();
        assert!(quotes.len() >= 2, "{quotes:?}");
        assert_eq!(quotes.iter().map(|p| p.quote.as_str()).collect::<Vec<_>>().join(" "), long);
        for p in &quotes {
            let line = laid.pages[p.page].lines[p.line].text();
            assert_eq!(line.chars().skip(p.start).take(p.quote.chars().count()).collect::<String>(), p.quote);
            assert!(p.bbox[2] <= st.page.0 - st.margin_right + 0.01, "{p:?}");
        }
    }

    #[test]
    fn facts_are_never_split_and_pages_overflow() {
        let mut blocks = Vec::new();
        for i in 0..200 {
            blocks.push(Block::Para(Para {
                spans: vec![
                    Span::plain("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "),
                    Span::fact(format!("fait numéro {i} bien établi"), i),
                    Span::plain(" et la suite du texte qui continue encore un peu."),
                ],
                align: Align::Justify,
                size: None,
                family: None,
                indent: 0.0,
                space_after: 0.5,
            }));
        }
        let st = style(true);
        let laid = lay_out(&blocks, &st);
        assert!(laid.pages.len() > 5);
        assert_eq!(laid.placements.len(), 200);
        for p in &laid.placements {
            let text = laid.pages[p.page].text();
            assert!(text.lines().any(|l| l.contains(&p.quote)), "{} not on one line", p.quote);
            assert!(p.bbox[2] <= st.page.0 - st.margin_right + 0.01);
            assert!(p.bbox[3] <= st.page.1);
        }
        for page in &laid.pages {
            for line in &page.lines {
                assert!(line.baseline < st.page.1 - st.margin_bottom + 1.0);
            }
        }
    }
}
