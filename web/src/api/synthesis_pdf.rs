//! `GET /api/dossiers/{dossier}/synthesis.pdf`: the synthesis drafted together, as a PDF to file
//! or print, each citation a footnote at the bottom of its page.
//!
//! The content is the same as the DOCX export's ([`super::synthesis`]): the room's `synthesis`
//! blocks, a `citation` mark becoming a numbered footnote whose text is the mark's label, the
//! inline form ` (label)` replaced by the note number. The page is typeset here (A4, DejaVu Serif
//! for the text, Sans for headings and notes, the fonts the corpus generator already embeds) and
//! written with pdfium through [`ap_datasets::pdf`]: words are measured with the fonts' advance
//! widths and wrapped greedily; a line moves to the next page with its notes when they would not
//! both fit. Characters the fonts cannot print (emoji…) are written as `?` rather than dropped.

use ap_datasets::fonts::{Font, REPERTOIRE};
use ap_datasets::pdf::{Info, Page, Run, Stroke, TextLine, TextPage};
use ap_workspace::room::SynthesisBlock;

use super::synthesis::citation_label;

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN_X: f32 = 62.0;
const MARGIN_TOP: f32 = 64.0;
const MARGIN_BOTTOM: f32 = 56.0;
const TEXT_WIDTH: f32 = WIDTH - 2.0 * MARGIN_X;

/// The style of a kind of line.
#[derive(Debug, Clone, Copy)]
struct Style {
    font: Font,
    bold: Font,
    size: f32,
    leading: f32,
    space_before: f32,
}

const TITLE: Style = Style { font: Font::SansBold, bold: Font::SansBold, size: 16.0, leading: 21.0, space_before: 0.0 };
const HEADING: Style = Style { font: Font::SansBold, bold: Font::SansBold, size: 12.0, leading: 16.0, space_before: 12.0 };
const BODY: Style = Style { font: Font::Serif, bold: Font::SerifBold, size: 10.5, leading: 14.5, space_before: 6.0 };
const NOTE: Style = Style { font: Font::Sans, bold: Font::SansBold, size: 8.0, leading: 10.5, space_before: 0.0 };
const NOTE_REF_SIZE: f32 = 7.0;

/// A word (with the space before it, if any) in one font, or a note reference.
#[derive(Debug, Clone)]
enum Token {
    Word { text: String, font: Font, space_before: bool },
    Note(usize),
}

/// A laid-out line: runs and the notes it calls.
#[derive(Debug, Default)]
struct Laid {
    runs: Vec<Run>,
    notes: Vec<usize>,
}

/// `text` with every character the embedded fonts lack replaced by `?` (they hold the glyphs of
/// [`REPERTOIRE`] only).
fn printable(text: &str, font: Font) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => ' ',
            c if REPERTOIRE.contains(c) && font.covers(c.encode_utf8(&mut [0; 4])) => c,
            _ => '?',
        })
        .collect()
}

fn push_words(tokens: &mut Vec<Token>, text: &str, font: Font) {
    let mut space = text.starts_with(char::is_whitespace);
    for word in text.split_whitespace() {
        tokens.push(Token::Word { text: printable(word, font), font, space_before: space });
        space = true;
    }
    if text.ends_with(char::is_whitespace) && !text.trim().is_empty() {
        // The next run starts after a space.
        tokens.push(Token::Word { text: String::new(), font, space_before: true });
    }
}

/// Break tokens into lines at most `width` wide.
fn wrap(tokens: &[Token], style: Style, width: f32) -> Vec<Laid> {
    let mut lines = vec![Laid::default()];
    let mut x = 0.0_f32;
    let mut pending_space = false;
    for token in tokens {
        match token {
            Token::Word { text, font, space_before } => {
                pending_space |= *space_before;
                if text.is_empty() {
                    continue;
                }
                let w = font.text_width(text, style.size);
                let space_w = if pending_space && x > 0.0 { font.text_width(" ", style.size) } else { 0.0 };
                if x > 0.0 && x + space_w + w > width {
                    lines.push(Laid::default());
                    x = 0.0;
                }
                let line = lines.last_mut().expect("a line");
                let prefix = if pending_space && x > 0.0 { " " } else { "" };
                match line.runs.last_mut() {
                    Some(last) if last.font == *font && last.size == style.size => {
                        last.text.push_str(prefix);
                        last.text.push_str(text);
                    }
                    _ => line.runs.push(Run { font: *font, size: style.size, text: format!("{prefix}{text}") }),
                }
                x += font.text_width(prefix, style.size) + w;
                pending_space = false;
            }
            Token::Note(n) => {
                let label = n.to_string();
                let line = lines.last_mut().expect("a line");
                x += Font::Sans.text_width(&label, NOTE_REF_SIZE);
                line.runs.push(Run { font: Font::Sans, size: NOTE_REF_SIZE, text: label });
                line.notes.push(*n);
            }
        }
    }
    lines.retain(|l| !l.runs.is_empty() || !l.notes.is_empty());
    lines
}

/// A page being filled from the top, its notes from the bottom.
struct PageBuilder {
    pages: Vec<TextPage>,
    lines: Vec<TextLine>,
    notes: Vec<Vec<Laid>>,
    y: f32,
}

impl PageBuilder {
    fn new() -> Self {
        Self { pages: Vec::new(), lines: Vec::new(), notes: Vec::new(), y: MARGIN_TOP }
    }

    /// Height of the footnote area holding `lines` note lines (rule included).
    fn notes_height(lines: usize) -> f32 {
        if lines == 0 { 0.0 } else { 12.0 + lines as f32 * NOTE.leading }
    }

    fn note_lines(notes: &[Vec<Laid>]) -> usize {
        notes.iter().map(Vec::len).sum()
    }

    /// Place one line (and its notes) at the current position, on a new page if needed.
    fn place(&mut self, line: Laid, style: Style, space_before: f32, notes: Vec<Vec<Laid>>) {
        let needed = space_before + style.leading;
        let notes_h = Self::notes_height(Self::note_lines(&self.notes) + Self::note_lines(&notes));
        let fits = self.y + needed <= HEIGHT - MARGIN_BOTTOM - notes_h;
        if !self.lines.is_empty() && !fits {
            self.finish_page();
        }
        let space = if self.lines.is_empty() { 0.0 } else { space_before };
        self.y += space + style.size;
        // Note calls are raised, as superscripts: each is its own text line, at the run's place.
        let baseline = HEIGHT - self.y;
        let (mut x, mut start) = (MARGIN_X, MARGIN_X);
        let mut text_runs: Vec<Run> = Vec::new();
        for run in line.runs {
            let w = run.font.text_width(&run.text, run.size);
            if run.size == NOTE_REF_SIZE {
                if !text_runs.is_empty() {
                    self.lines.push(TextLine { x: start, baseline, word_spacing: 0.0, runs: std::mem::take(&mut text_runs), grey: 0.0 });
                }
                self.lines.push(TextLine { x: x + 0.5, baseline: baseline + style.size * 0.38, word_spacing: 0.0, runs: vec![run], grey: 0.0 });
                start = x + w + 0.5;
            } else {
                text_runs.push(run);
            }
            x += w;
        }
        if !text_runs.is_empty() {
            self.lines.push(TextLine { x: start, baseline, word_spacing: 0.0, runs: text_runs, grey: 0.0 });
        }
        self.y += style.leading - style.size;
        self.notes.extend(notes);
    }

    fn finish_page(&mut self) {
        let mut lines = std::mem::take(&mut self.lines);
        let notes = std::mem::take(&mut self.notes);
        let mut strokes = Vec::new();
        let notes_h = Self::notes_height(Self::note_lines(&notes));
        if notes_h > 0.0 {
            let top = MARGIN_BOTTOM + notes_h - 4.0;
            strokes.push(Stroke { from: (MARGIN_X, top), to: (MARGIN_X + 120.0, top), width: 0.5 });
            let mut baseline = top - 4.0 - NOTE.size;
            for note in notes {
                for l in note {
                    lines.push(TextLine { x: MARGIN_X, baseline, word_spacing: 0.0, runs: l.runs, grey: 0.0 });
                    baseline -= NOTE.leading;
                }
            }
        }
        let number = self.pages.len() + 1;
        let label = format!("{number}");
        let x = WIDTH / 2.0 - Font::Sans.text_width(&label, 8.0) / 2.0;
        lines.push(TextLine { x, baseline: MARGIN_BOTTOM / 2.0, word_spacing: 0.0, runs: vec![Run { font: Font::Sans, size: 8.0, text: label }], grey: 0.3 });
        self.pages.push(TextPage { width: WIDTH, height: HEIGHT, lines, strokes });
        self.y = MARGIN_TOP;
    }
}

/// Build the PDF of `blocks` under `title`; returns the bytes and the number of pages.
pub fn build_pdf(title: &str, blocks: &[SynthesisBlock]) -> Result<(Vec<u8>, usize), String> {
    let mut builder = PageBuilder::new();
    let mut title_tokens = Vec::new();
    push_words(&mut title_tokens, title, TITLE.font);
    for line in wrap(&title_tokens, TITLE, TEXT_WIDTH) {
        builder.place(line, TITLE, 0.0, Vec::new());
    }
    builder.y += 8.0;
    let mut note_count = 0;
    for block in blocks {
        let style = if block.node == "heading" { HEADING } else { BODY };
        let mut tokens = Vec::new();
        let mut labels: Vec<(usize, String)> = Vec::new();
        for (i, run) in block.runs.iter().enumerate() {
            let citation = run.marks.get("citation");
            let label = citation.and_then(citation_label);
            let inline_form = label.as_ref().is_some_and(|l| run.text.trim() == format!("({l})"));
            if !inline_form {
                let bold = block.node == "heading" || run.marks.contains_key("bold") || run.marks.contains_key("strong");
                push_words(&mut tokens, &run.text, if bold { style.bold } else { style.font });
            }
            let next_same = block.runs.get(i + 1).is_some_and(|n| n.marks.get("citation") == citation);
            if let Some(label) = label.filter(|_| !next_same || inline_form) {
                note_count += 1;
                tokens.push(Token::Note(note_count));
                labels.push((note_count, label));
            }
        }
        if tokens.is_empty() {
            builder.y += style.leading / 2.0;
            continue;
        }
        let mut note_lines: std::collections::BTreeMap<usize, Vec<Laid>> = labels
            .into_iter()
            .map(|(n, label)| {
                let mut t = vec![Token::Word { text: format!("{n}."), font: NOTE.bold, space_before: false }];
                push_words(&mut t, &format!(" {label}"), NOTE.font);
                (n, wrap(&t, NOTE, TEXT_WIDTH))
            })
            .collect();
        for (i, line) in wrap(&tokens, style, TEXT_WIDTH).into_iter().enumerate() {
            // Each note is called once: it goes to the page of the line that calls it.
            let notes = line.notes.iter().filter_map(|n| note_lines.remove(n)).collect();
            builder.place(line, style, if i == 0 { style.space_before } else { 0.0 }, notes);
        }
    }
    builder.finish_page();
    let pages: Vec<Page> = builder.pages.into_iter().map(Page::Text).collect();
    let count = pages.len();
    let written = ap_datasets::pdf::write_pdf(&Info { title: title.to_string(), creation_date: None }, &pages)
        .map_err(|e| format!("écriture du PDF impossible : {e}"))?;
    Ok((written.bytes, count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use super::super::synthesis::tests::run;
    use ap_workspace::room::SynthesisRun;

    fn block(node: &str, runs: Vec<SynthesisRun>) -> SynthesisBlock {
        SynthesisBlock { node: node.into(), attributes: Default::default(), runs }
    }

    /// The text of each page, as a PDF reader extracts it.
    fn page_texts(bytes: &[u8]) -> Vec<String> {
        let pdfium = ap_operators::native::NativeLibs::default().pdfium().expect("pdfium (make setup)");
        let doc = pdfium.load_pdf_from_byte_slice(bytes, None).unwrap();
        doc.pages().iter().map(|p| p.text().unwrap().all()).collect()
    }

    #[test]
    fn citations_become_footnotes_on_the_page_that_calls_them() {
        let cite = |label: &str| serde_json::json!({ "document": "pv", "page": 3, "label": label });
        let long = "Le mis en cause, entendu sous le régime de la garde à vue, reconnaît avoir porté plusieurs coups à la victime au cours d'une dispute survenue au domicile conjugal ; il conteste toutefois l'usage d'une arme. ";
        let mut blocks = vec![
            block("heading", vec![run("Faits", None)]),
            block("paragraph", vec![
                run("La victime a 34 ans", None),
                run(" (PV d'audition de Léa DURAND, p. 3)", Some(cite("PV d'audition de Léa DURAND, p. 3"))),
                run(". Elle dépose plainte le 3 mars 2026 😀.", None),
            ]),
        ];
        // Enough text for several pages, a citation every few paragraphs.
        for i in 0..60 {
            let c = (i % 5 == 0).then(|| cite(&format!("Procès-verbal n° {i}, p. {}", i + 1)));
            blocks.push(block("paragraph", vec![run(long, None), run(&format!("Fait n° {i}."), c)]));
        }
        let (bytes, pages) = build_pdf("Synthèse — Affaire Martin", &blocks).unwrap();
        assert!(pages >= 3, "{pages} pages");
        if let Some(dir) = std::env::var_os("AP_SYNTHESIS_PDF_OUT") {
            std::fs::write(std::path::Path::new(&dir).join("synthese.pdf"), &bytes).unwrap();
        }
        let texts = page_texts(&bytes);
        assert_eq!(texts.len(), pages);
        let first = &texts[0];
        assert!(first.contains("Synthèse — Affaire Martin") && first.contains("Faits"), "{first}");
        // The inline citation is replaced by note 1, whose text is at the bottom of page 1.
        assert!(first.contains("La victime a 34 ans1") || first.contains("La victime a 34 ans 1"), "{first}");
        assert!(!first.contains("(PV d'audition"), "{first}");
        assert!(first.contains("1. PV d'audition de Léa DURAND, p. 3"), "{first}");
        assert!(first.contains("2026 ?."), "an emoji is printed as '?': {first}");
        // Every note is on the page of its call, numbered in order.
        let notes = 1 + (0..60).filter(|i| i % 5 == 0).count();
        for n in 2..=notes {
            let i = (n - 2) * 5;
            let label = format!("{n}. Procès-verbal n° {i}, p. {}", i + 1);
            let page = texts.iter().position(|t| t.contains(&label)).unwrap_or_else(|| panic!("note {n} missing"));
            assert!(texts[page].contains(&format!("Fait n° {i}.")), "note {n} on page {} without its call", page + 1);
        }
        // Lines stay within the margins: no line of text is wider than the text block.
        let pdfium = ap_operators::native::NativeLibs::default().pdfium().unwrap();
        let doc = pdfium.load_pdf_from_byte_slice(&bytes, None).unwrap();
        for page in doc.pages().iter() {
            for c in page.text().unwrap().chars().iter() {
                if let Ok(b) = c.loose_bounds() {
                    assert!(b.right().value <= WIDTH - MARGIN_X + 2.0 && b.left().value >= MARGIN_X - 2.0, "char {:?} at {:?}", c.unicode_string(), b);
                }
            }
        }
    }

    #[test]
    fn an_empty_synthesis_still_gives_a_page_with_its_title() {
        let (bytes, pages) = build_pdf("Synthèse — Dossier vide", &[]).unwrap();
        assert_eq!(pages, 1);
        assert!(page_texts(&bytes)[0].contains("Dossier vide"));
    }
}
