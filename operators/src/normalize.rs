//! Text normalisation that never loses track of where a character was drawn.
//!
//! PDF text layers and OCR output carry typographic noise: ligature glyphs (`ﬁ`), non-breaking
//! and thin spaces (French puts one before `:` `;` `!` `?` and inside `« »`), curly apostrophes,
//! soft hyphens, decomposed accents, words hyphenated at line ends. Retrieval and quoting need one
//! canonical form, and highlighting needs the box of every character of that form. The
//! [`TextBuilder`] applies the normalisation while it appends characters, so every output
//! character keeps the box of the glyph it came from (a ligature's box is shared out between the
//! letters it stands for).
//!
//! French guillemets `« »` and dashes are kept: they are the canonical French forms.

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;

use crate::document::BBox;

/// What one source character becomes.
fn map_char(c: char) -> Option<&'static str> {
    Some(match c {
        'ﬀ' => "ff",
        'ﬁ' => "fi",
        'ﬂ' => "fl",
        'ﬃ' => "ffi",
        'ﬄ' => "ffl",
        'ﬅ' | 'ﬆ' => "st",
        '\u{a0}' | '\u{202f}' | '\u{2000}'..='\u{200a}' | '\t' => " ",
        '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' | '`' | '\u{b4}' => "'",
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{2033}' => "\"",
        '\u{2010}' | '\u{2011}' => "-",
        '\u{ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{fffe}' => "",
        '\r' | '\n' | '\u{2028}' | '\u{2029}' | '\u{0b}' | '\u{0c}' => " ",
        c if c.is_control() => "",
        _ => return None,
    })
}

/// Normalise a string the way page text is normalised (for queries and gold quotes): mapped
/// characters, composed accents (NFC), whitespace runs collapsed to one space, trimmed.
pub fn normalize_str(s: &str) -> String {
    let mut mapped = String::with_capacity(s.len());
    for c in s.chars() {
        match map_char(c) {
            Some(r) => mapped.push_str(r),
            None => mapped.push(c),
        }
    }
    let composed: String = mapped.nfc().collect();
    composed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Byte ranges of `text` where `quote` occurs, both compared in normalised form with any run of
/// whitespace equal to any other.
pub fn find_loose(text: &str, quote: &str) -> Vec<Range<usize>> {
    let needle: Vec<char> = normalize_str(quote).chars().collect();
    if needle.is_empty() {
        return Vec::new();
    }
    // Compact the haystack: one char per kept char, whitespace runs as one space, with the byte
    // range in `text` each compact char stands for.
    let mut hay: Vec<char> = Vec::with_capacity(text.len());
    let mut spans: Vec<Range<usize>> = Vec::with_capacity(text.len());
    for (b, c) in text.char_indices() {
        let c = if c.is_whitespace() { ' ' } else { c };
        if c == ' ' && hay.last() == Some(&' ') {
            if let Some(last) = spans.last_mut() {
                last.end = b + 1;
            }
            continue;
        }
        hay.push(c);
        spans.push(b..b + c.len_utf8());
    }
    let mut out = Vec::new();
    if hay.len() < needle.len() {
        return out;
    }
    for start in 0..=hay.len() - needle.len() {
        if hay[start..start + needle.len()] == needle[..] {
            out.push(spans[start].start..spans[start + needle.len() - 1].end);
        }
    }
    out
}

/// Words that follow a hyphen inside French compounds: a line ending in `vingt-` followed by
/// `quatre` keeps its hyphen (`vingt-quatre`), while `compé-` + `tence` is joined (`compétence`).
const COMPOUND_TAILS: &[&str] = &[
    "un", "une", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze",
    "douze", "treize", "quatorze", "quinze", "seize", "vingt", "vingts", "cent", "cents", "mille",
    "même", "mêmes", "être", "il", "ils", "elle", "elles", "on", "je", "tu", "nous", "vous", "le",
    "la", "les", "moi", "toi", "lui", "leur", "y", "en", "ce", "ci", "là", "t", "dire", "à",
];

/// Appends characters with their boxes, normalising on the way.
#[derive(Debug, Default, Clone)]
pub struct TextBuilder {
    text: String,
    boxes: Vec<Option<BBox>>,
}

impl TextBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Current length of the text in bytes.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether nothing was appended yet.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The text so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn last_char(&self) -> Option<char> {
        self.text.chars().next_back()
    }

    fn pop(&mut self) -> Option<char> {
        let c = self.text.pop()?;
        self.boxes.pop();
        Some(c)
    }

    fn push_raw(&mut self, c: char, bbox: Option<BBox>) {
        self.text.push(c);
        self.boxes.push(bbox);
    }

    /// Append one source character drawn in `bbox`. Ligatures become several letters sharing
    /// the box in equal slices; combining accents merge into the previous letter; invisible
    /// characters are dropped; any space becomes one plain space (never two in a row).
    pub fn push_char(&mut self, c: char, bbox: Option<BBox>) {
        let replacement = map_char(c);
        match replacement {
            Some("") => {}
            Some(" ") => self.push_space(),
            Some(r) => {
                let n = r.chars().count() as f32;
                for (i, rc) in r.chars().enumerate() {
                    let slice = bbox.map(|b| {
                        let w = b.width() / n;
                        BBox::new(b.x0 + w * i as f32, b.y0, b.x0 + w * (i + 1) as f32, b.y1)
                    });
                    self.push_raw(rc, slice);
                }
            }
            None => {
                if unicode_normalization::char::is_combining_mark(c)
                    && let Some(prev) = self.last_char()
                    && let Some(composed) = unicode_normalization::char::compose(prev, c)
                {
                    let prev_box = self.boxes.last().copied().flatten();
                    self.pop();
                    let merged = match (prev_box, bbox) {
                        (Some(a), Some(b)) => Some(a.union(&b)),
                        (a, b) => a.or(b),
                    };
                    self.push_raw(composed, merged);
                    return;
                }
                if c.is_whitespace() {
                    self.push_space();
                } else {
                    self.push_raw(c, bbox);
                }
            }
        }
    }

    /// Append every character of `s`, all drawn in `bbox` split in equal slices (OCR words
    /// only have a word box).
    pub fn push_word(&mut self, s: &str, bbox: BBox) {
        let n = s.chars().count().max(1) as f32;
        let w = bbox.width() / n;
        for (i, c) in s.chars().enumerate() {
            let slice = BBox::new(bbox.x0 + w * i as f32, bbox.y0, bbox.x0 + w * (i + 1) as f32, bbox.y1);
            self.push_char(c, Some(slice));
        }
    }

    /// Append a word separator (no box); never at the start of a line, never doubled.
    pub fn push_space(&mut self) {
        match self.last_char() {
            None | Some(' ') | Some('\n') => {}
            Some(_) => self.push_raw(' ', None),
        }
    }

    /// Drop trailing spaces of the current line.
    pub fn trim_end(&mut self) {
        while self.last_char() == Some(' ') {
            self.pop();
        }
    }

    /// End the current line before a line starting with `next_word`. A line that ends with a
    /// word cut by a hyphen is joined to the next when `next_word` starts in lower case and is
    /// not the tail of a compound (`vingt-quatre`): the hyphen is removed and no break is added.
    /// Returns whether the lines were joined.
    pub fn end_line(&mut self, next_word: Option<&str>) -> bool {
        self.trim_end();
        if self.is_empty() || self.last_char() == Some('\n') {
            return false;
        }
        if let Some(next) = next_word
            && self.last_char() == Some('-')
        {
            let mut rev = self.text.chars().rev();
            rev.next();
            let before = rev.next();
            let next_lower = next.chars().next().is_some_and(|c| c.is_lowercase());
            let tail: String = next
                .chars()
                .take_while(|c| c.is_alphabetic())
                .collect::<String>()
                .to_lowercase();
            if before.is_some_and(|c| c.is_alphabetic()) && next_lower && !COMPOUND_TAILS.contains(&tail.as_str()) {
                self.pop();
                return true;
            }
            if before.is_some_and(|c| c.is_alphabetic()) && next_lower {
                // A compound cut at its hyphen: keep the hyphen, join without a break.
                return true;
            }
        }
        self.push_raw('\n', None);
        false
    }

    /// The text and its per-character boxes.
    pub fn finish(mut self) -> (String, Vec<Option<BBox>>) {
        while matches!(self.last_char(), Some(' ') | Some('\n')) {
            self.pop();
        }
        (self.text, self.boxes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x0: f32, x1: f32) -> Option<BBox> {
        Some(BBox::new(x0, 0.0, x1, 10.0))
    }

    #[test]
    fn ligature_becomes_letters_sharing_its_box() {
        let mut t = TextBuilder::new();
        t.push_char('ﬁ', b(0.0, 10.0));
        t.push_char('n', b(10.0, 15.0));
        let (text, boxes) = t.finish();
        assert_eq!(text, "fin");
        assert_eq!(boxes[0].unwrap().to_array(), [0.0, 0.0, 5.0, 10.0]);
        assert_eq!(boxes[1].unwrap().to_array(), [5.0, 0.0, 10.0, 10.0]);
        assert_eq!(boxes[2].unwrap().x0, 10.0);
    }

    #[test]
    fn spaces_quotes_and_accents_are_canonical() {
        let mut t = TextBuilder::new();
        for (i, c) in "l\u{2019}e\u{301}le\u{300}ve\u{a0}\u{a0}: ok".chars().enumerate() {
            t.push_char(c, b(i as f32, i as f32 + 1.0));
        }
        let (text, boxes) = t.finish();
        assert_eq!(text, "l'élève : ok");
        assert_eq!(text.chars().count(), boxes.len());
        // The composed é covers the e and its accent.
        assert_eq!(boxes[2].unwrap().to_array(), [2.0, 0.0, 4.0, 10.0]);
    }

    #[test]
    fn hyphenated_word_is_joined_but_compounds_keep_their_hyphen() {
        let mut t = TextBuilder::new();
        t.push_word("compé-", BBox::new(0.0, 0.0, 60.0, 10.0));
        assert!(t.end_line(Some("tence")));
        t.push_word("tence", BBox::new(0.0, 12.0, 50.0, 22.0));
        t.push_space();
        t.push_word("vingt-", BBox::new(60.0, 12.0, 120.0, 22.0));
        assert!(t.end_line(Some("quatre")));
        t.push_word("quatre", BBox::new(0.0, 24.0, 60.0, 34.0));
        assert!(!t.end_line(Some("Ensuite")));
        t.push_word("Ensuite", BBox::new(0.0, 36.0, 70.0, 46.0));
        let (text, boxes) = t.finish();
        assert_eq!(text, "compétence vingt-quatre\nEnsuite");
        assert_eq!(text.chars().count(), boxes.len());
        // "t" of "tence" keeps its box on the second line.
        assert_eq!(boxes[5].unwrap().y0, 12.0);
    }

    #[test]
    fn find_loose_matches_across_line_breaks_and_typography() {
        let text = "il a dit « je vais\nte tuer » puis";
        let hits = find_loose(text, "« je vais te\u{a0}tuer »");
        assert_eq!(hits.len(), 1);
        assert_eq!(&text[hits[0].clone()], "« je vais\nte tuer »");
        assert!(find_loose(text, "absent").is_empty());
        assert_eq!(normalize_str("  l\u{2019}ﬁn\n "), "l'fin");
    }
}
