//! Reading order of a page's text layer: characters to words, lines, columns.
//!
//! A PDF text layer is a bag of positioned glyphs in whatever order the producer wrote them.
//! This module puts them back in the order a person reads them: glyphs on one baseline become
//! runs, runs are assigned to columns when the page has a gutter (two-column pages), lines that
//! cross the gutter (titles, full-width paragraphs) cut the page into zones read top to bottom,
//! and in each zone the left column is read before the right one. Running headers and footers
//! (lines in the top or bottom margin repeated on several pages of the document, page numbers)
//! are found across the document and placed first and last.

use std::collections::HashMap;

use crate::document::{BBox, Line, LineRole, Word};
use crate::normalize::TextBuilder;

/// One glyph of the text layer, in top-left page coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Glyph {
    /// The character (whitespace glyphs mark word breaks).
    pub ch: char,
    /// Its box.
    pub bbox: BBox,
    /// Font size in points (used for tolerances).
    pub size: f32,
}

/// Glyphs on one baseline without a large gap: part of a line.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Glyphs left to right.
    pub glyphs: Vec<Glyph>,
    /// Union of their boxes.
    pub bbox: BBox,
    /// Median font size.
    pub size: f32,
}

impl Run {
    fn text(&self) -> String {
        self.glyphs.iter().map(|g| g.ch).collect::<String>().trim().to_string()
    }
}

/// Group glyphs (in content-stream order) into runs.
pub fn runs(glyphs: &[Glyph]) -> Vec<Run> {
    let mut out: Vec<Vec<Glyph>> = Vec::new();
    let mut prev: Option<Glyph> = None;
    for g in glyphs {
        if g.bbox.width() <= 0.0 && g.bbox.height() <= 0.0 && !g.ch.is_whitespace() {
            continue;
        }
        let start_new = match prev {
            None => true,
            Some(p) => {
                let size = p.size.max(g.size).max(1.0);
                let same_baseline = (p.bbox.y1 - g.bbox.y1).abs() < 0.4 * size;
                let gap = g.bbox.x0 - p.bbox.x1;
                !same_baseline || gap < -0.5 * size || gap > 1.5 * size
            }
        };
        if g.ch.is_whitespace() {
            // Spaces separate words; they carry no reliable box and never start a run.
            if let Some(run) = out.last_mut()
                && !start_new
                && run.last().is_some_and(|l| !l.ch.is_whitespace())
            {
                run.push(Glyph { ch: ' ', ..*g });
            }
            continue;
        }
        if start_new {
            out.push(Vec::new());
        }
        out.last_mut().expect("a run was started").push(*g);
        prev = Some(*g);
    }
    out.into_iter()
        .filter_map(|mut glyphs| {
            while glyphs.last().is_some_and(|g| g.ch == ' ') {
                glyphs.pop();
            }
            let bbox = BBox::union_all(glyphs.iter().filter(|g| g.ch != ' ').map(|g| &g.bbox))?;
            let mut sizes: Vec<f32> = glyphs.iter().map(|g| g.size).collect();
            sizes.sort_by(f32::total_cmp);
            let size = sizes[sizes.len() / 2];
            Some(Run { glyphs, bbox, size })
        })
        .collect()
}

/// Key under which a margin line is compared across pages: digits masked, case folded.
fn margin_key(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c.is_ascii_digit() { '#' } else { c.to_ascii_lowercase() })
        .collect()
}

fn is_page_number(text: &str) -> bool {
    let t = text.trim().to_lowercase();
    let t = t.trim_start_matches("page").trim();
    let mut parts = t.split(['/', ' ']).filter(|s| !s.is_empty() && *s != "sur");
    let first = parts.next();
    first.is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()) && p.len() <= 5)
        && parts.all(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// Share of the page height, at the top and at the bottom, where running headers and footers
/// are looked for.
const MARGIN_BAND: f32 = 0.1;

fn margin_of(run: &Run, height: f32) -> Option<LineRole> {
    if run.bbox.y1 <= height * MARGIN_BAND {
        Some(LineRole::Header)
    } else if run.bbox.y0 >= height * (1.0 - MARGIN_BAND) {
        Some(LineRole::Footer)
    } else {
        None
    }
}

/// Margin texts repeated on enough pages of a document to be running headers or footers.
pub fn repeated_margins(pages: &[(Vec<Run>, f32)]) -> std::collections::HashSet<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (runs, height) in pages {
        let mut seen = std::collections::HashSet::new();
        for run in runs {
            if margin_of(run, *height).is_some() {
                let key = margin_key(&run.text());
                if !key.is_empty() && seen.insert(key.clone()) {
                    *counts.entry(key).or_default() += 1;
                }
            }
        }
    }
    let needed = 2.max((pages.len() as f32 * 0.3).ceil() as usize);
    counts.into_iter().filter(|(_, n)| *n >= needed).map(|(k, _)| k).collect()
}

/// A gutter between two columns: an x interval no narrow run crosses.
fn find_gutter(runs: &[&Run]) -> Option<(f32, f32)> {
    let left = runs.iter().map(|r| r.bbox.x0).fold(f32::MAX, f32::min);
    let right = runs.iter().map(|r| r.bbox.x1).fold(f32::MIN, f32::max);
    let width = right - left;
    if width < 100.0 || runs.len() < 6 {
        return None;
    }
    let narrow: Vec<&&Run> = runs.iter().filter(|r| r.bbox.width() < 0.6 * width).collect();
    let n = width.ceil() as usize + 1;
    let mut cover = vec![0u32; n];
    for r in &narrow {
        let a = ((r.bbox.x0 - left).floor().max(0.0)) as usize;
        let b = ((r.bbox.x1 - left).ceil() as usize).min(n - 1);
        for c in &mut cover[a..=b] {
            *c += 1;
        }
    }
    // Widest empty interval in the middle half of the text width.
    let (lo, hi) = ((width * 0.25) as usize, (width * 0.75) as usize);
    let mut best: Option<(usize, usize)> = None;
    let mut start = None;
    for (i, c) in cover.iter().enumerate().take(hi + 1).skip(lo) {
        match (c, start) {
            (0, None) => start = Some(i),
            (0, Some(_)) => {}
            (_, Some(s)) => {
                if best.is_none_or(|(bs, be)| i - s > be - bs) {
                    best = Some((s, i));
                }
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start
        && best.is_none_or(|(bs, be)| hi + 1 - s > be - bs)
    {
        best = Some((s, hi + 1));
    }
    let (s, e) = best?;
    let (g0, g1) = (left + s as f32, left + e as f32);
    let median_size = {
        let mut sizes: Vec<f32> = runs.iter().map(|r| r.size).collect();
        sizes.sort_by(f32::total_cmp);
        sizes[sizes.len() / 2]
    };
    if g1 - g0 < median_size.max(6.0) {
        return None;
    }
    let on_left = narrow.iter().filter(|r| r.bbox.x1 <= g0 + 0.5).count();
    let on_right = narrow.iter().filter(|r| r.bbox.x0 >= g1 - 0.5).count();
    (on_left >= 3 && on_right >= 3).then_some((g0, g1))
}

/// Runs on the same row, merged into lines (left to right), rows top to bottom.
fn rows(mut runs: Vec<&Run>) -> Vec<Vec<&Run>> {
    runs.sort_by(|a, b| a.bbox.y1.total_cmp(&b.bbox.y1).then(a.bbox.x0.total_cmp(&b.bbox.x0)));
    let mut out: Vec<Vec<&Run>> = Vec::new();
    for run in runs {
        if let Some(row) = out.last_mut() {
            let bottom = row.iter().map(|r| r.bbox.y1).sum::<f32>() / row.len() as f32;
            if (run.bbox.y1 - bottom).abs() < 0.4 * run.size.max(1.0) {
                row.push(run);
                continue;
            }
        }
        out.push(vec![run]);
    }
    for row in &mut out {
        row.sort_by(|a, b| a.bbox.x0.total_cmp(&b.bbox.x0));
    }
    out
}

/// A line in reading order, before text assembly.
#[derive(Debug)]
struct OrderedLine<'a> {
    runs: Vec<&'a Run>,
    role: LineRole,
    paragraph_start: bool,
}

fn order<'a>(runs: &'a [Run], height: f32, repeated: &std::collections::HashSet<String>) -> Vec<OrderedLine<'a>> {
    let mut headers = Vec::new();
    let mut footers = Vec::new();
    let mut body = Vec::new();
    for run in runs {
        match margin_of(run, height) {
            Some(role) if repeated.contains(&margin_key(&run.text())) || is_page_number(&run.text()) => {
                if role == LineRole::Header { headers.push(run) } else { footers.push(run) }
            }
            _ => body.push(run),
        }
    }
    let mut out = Vec::new();
    for row in rows(headers) {
        out.push(OrderedLine { runs: row, role: LineRole::Header, paragraph_start: true });
    }
    // Zones: full-width runs cut the page; in each zone, left column then right column.
    let mut columns: Vec<Vec<&Run>> = Vec::new();
    match find_gutter(&body) {
        Some((g0, g1)) => {
            let mut spanning: Vec<&Run> = body.iter().copied().filter(|r| r.bbox.x0 < g1 - 0.5 && r.bbox.x1 > g0 + 0.5).collect();
            spanning.sort_by(|a, b| a.bbox.y0.total_cmp(&b.bbox.y0));
            let span_rows = rows(spanning.clone());
            let mut cuts: Vec<f32> = span_rows.iter().map(|r| r[0].bbox.y0).collect();
            cuts.push(f32::MAX);
            let mut prev_cut = f32::MIN;
            let mut span_iter = span_rows.into_iter();
            for cut in cuts {
                let zone: Vec<&Run> = body
                    .iter()
                    .copied()
                    .filter(|r| !(r.bbox.x0 < g1 - 0.5 && r.bbox.x1 > g0 + 0.5))
                    .filter(|r| r.bbox.y0 >= prev_cut && r.bbox.y0 < cut)
                    .collect();
                let (left, right): (Vec<&Run>, Vec<&Run>) = zone.into_iter().partition(|r| r.bbox.x1 <= g0 + 0.5);
                for col in [left, right] {
                    if !col.is_empty() {
                        columns.push(col);
                    }
                }
                if let Some(row) = span_iter.next() {
                    columns.push(row);
                }
                prev_cut = cut;
            }
        }
        None => columns.push(body),
    }
    for col in columns {
        let col_rows = rows(col);
        let pitches: Vec<f32> = col_rows.windows(2).map(|w| w[1][0].bbox.y1 - w[0][0].bbox.y1).collect();
        let mut sorted = pitches.clone();
        sorted.sort_by(f32::total_cmp);
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
        let left = col_rows.iter().map(|r| r[0].bbox.x0).fold(f32::MAX, f32::min);
        for (i, row) in col_rows.into_iter().enumerate() {
            let size = row[0].size.max(1.0);
            let gap_before = if i == 0 { f32::MAX } else { pitches[i - 1] };
            let indented = row[0].bbox.x0 > left + 1.5 * size;
            let paragraph_start = i == 0 || gap_before > median * 1.4 + 0.5 || indented;
            out.push(OrderedLine { runs: row, role: LineRole::Body, paragraph_start });
        }
    }
    for row in rows(footers) {
        out.push(OrderedLine { runs: row, role: LineRole::Footer, paragraph_start: true });
    }
    out
}

/// Text, per-character boxes, lines and words of a page laid out in reading order.
#[derive(Debug, Default)]
pub struct LaidOut {
    /// Normalised text.
    pub text: String,
    /// One box per char of `text`.
    pub char_boxes: Vec<Option<BBox>>,
    /// Lines in reading order.
    pub lines: Vec<Line>,
    /// Words in reading order.
    pub words: Vec<Word>,
}

/// Lay out the runs of one page: reading order, normalisation, hyphenation, words and lines.
pub fn lay_out(runs: &[Run], height: f32, repeated: &std::collections::HashSet<String>) -> LaidOut {
    let ordered = order(runs, height, repeated);
    let first_words: Vec<Option<String>> = ordered
        .iter()
        .map(|l| {
            let s: String = l.runs[0].glyphs.iter().map(|g| g.ch).take_while(|c| !c.is_whitespace()).collect();
            Some(s)
        })
        .collect();
    let mut builder = TextBuilder::new();
    let mut line_spans: Vec<(usize, LineRole, bool)> = Vec::new();
    for (i, line) in ordered.iter().enumerate() {
        line_spans.push((builder.len(), line.role, line.paragraph_start));
        for (j, run) in line.runs.iter().enumerate() {
            if j > 0 {
                builder.push_space();
            }
            for g in &run.glyphs {
                if g.ch == ' ' {
                    builder.push_space();
                } else {
                    builder.push_char(g.ch, Some(g.bbox));
                }
            }
        }
        let next = ordered
            .get(i + 1)
            .filter(|n| n.role == line.role && !n.paragraph_start)
            .and(first_words.get(i + 1).cloned().flatten());
        builder.end_line(next.as_deref());
    }
    let (text, char_boxes) = builder.finish();
    assemble(text, char_boxes, &line_spans)
}

/// Cut assembled text into lines (at the recorded starts) and words (at spaces and line
/// breaks), with their boxes.
pub fn assemble(text: String, char_boxes: Vec<Option<BBox>>, line_spans: &[(usize, LineRole, bool)]) -> LaidOut {
    let mut lines = Vec::new();
    let mut words = Vec::new();
    let char_starts: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    for (k, &(start, role, paragraph_start)) in line_spans.iter().enumerate() {
        let start = start.min(text.len());
        let mut end = line_spans.get(k + 1).map_or(text.len(), |n| n.0.min(text.len()));
        if text[..end].ends_with('\n') && end > start {
            end -= 1;
        }
        if start >= end {
            continue;
        }
        let first_word = words.len();
        let mut word_start: Option<usize> = None;
        let ci0 = char_starts.partition_point(|&b| b < start);
        let ci1 = char_starts.partition_point(|&b| b < end);
        for ci in ci0..=ci1 {
            let at_end = ci == ci1;
            let is_sep = at_end || text[char_starts[ci]..].starts_with([' ', '\n']);
            match (is_sep, word_start) {
                (false, None) => word_start = Some(ci),
                (true, Some(ws)) => {
                    let range = char_starts[ws]..if ci < char_starts.len() { char_starts[ci] } else { text.len() };
                    if let Some(bbox) = BBox::union_all(char_boxes[ws..ci].iter().flatten()) {
                        words.push(Word { text: text[range.clone()].to_string(), bbox, range, confidence: None });
                    }
                    word_start = None;
                }
                _ => {}
            }
        }
        let bbox = BBox::union_all(words[first_word..].iter().map(|w| &w.bbox));
        if let Some(bbox) = bbox {
            lines.push(Line { bbox, range: start..end, words: first_word..words.len(), role, paragraph_start });
        }
    }
    LaidOut { text, char_boxes, lines, words }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Glyphs of `text` set at (x, baseline y) in a 10 pt monospaced-like font.
    fn line(text: &str, x: f32, y: f32) -> Vec<Glyph> {
        text.chars()
            .enumerate()
            .map(|(i, ch)| Glyph { ch, bbox: BBox::new(x + 6.0 * i as f32, y - 10.0, x + 6.0 * (i + 1) as f32, y + 2.0), size: 10.0 })
            .collect()
    }

    #[test]
    fn two_columns_are_read_left_then_right_below_a_full_width_title() {
        let mut glyphs = line("TITRE DE LA PAGE QUI TRAVERSE TOUTE LA LARGEUR DU TEXTE", 50.0, 100.0);
        for i in 0..4 {
            let y = 130.0 + 14.0 * i as f32;
            glyphs.extend(line(&format!("gauche ligne {i}"), 50.0, y));
            glyphs.extend(line(&format!("droite ligne {i}"), 250.0, y));
        }
        let runs = runs(&glyphs);
        let out = lay_out(&runs, 800.0, &Default::default());
        let lines: Vec<&str> = out.lines.iter().map(|l| &out.text[l.range.clone()]).collect();
        assert_eq!(lines[0], "TITRE DE LA PAGE QUI TRAVERSE TOUTE LA LARGEUR DU TEXTE");
        assert_eq!(&lines[1..5], ["gauche ligne 0", "gauche ligne 1", "gauche ligne 2", "gauche ligne 3"]);
        assert_eq!(&lines[5..], ["droite ligne 0", "droite ligne 1", "droite ligne 2", "droite ligne 3"]);
        assert_eq!(out.text.chars().count(), out.char_boxes.len());
    }

    #[test]
    fn repeated_margin_lines_become_headers_and_footers() {
        let page = |n: u32| {
            let mut g = line("Commissariat de Creteil", 50.0, 30.0);
            g.extend(line(&format!("corps de la page {n}"), 50.0, 300.0));
            g.extend(line(&format!("Page {n} / 3"), 250.0, 790.0));
            (runs(&g), 800.0)
        };
        let pages: Vec<_> = (1..=3).map(page).collect();
        let repeated = repeated_margins(&pages);
        let out = lay_out(&pages[1].0, 800.0, &repeated);
        let roles: Vec<LineRole> = out.lines.iter().map(|l| l.role).collect();
        assert_eq!(roles, [LineRole::Header, LineRole::Body, LineRole::Footer]);
        // Word boxes are the union of their glyph boxes.
        let corps = out.words.iter().find(|w| w.text == "corps").unwrap();
        assert_eq!(corps.bbox.to_array(), [50.0, 290.0, 80.0, 302.0]);
    }

    #[test]
    fn page_numbers_are_recognised() {
        assert!(is_page_number("Page 3 / 12"));
        assert!(is_page_number("4"));
        assert!(is_page_number("page 2 sur 9"));
        assert!(!is_page_number("Page de garde"));
    }
}
