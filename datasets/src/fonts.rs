//! The fonts a generated procédure is typeset in, and how wide their glyphs are.
//!
//! Police and gendarmerie software print in a handful of office fonts; the generator uses the
//! standard PDF fonts that stand for them (Helvetica ≈ Arial, Times, Courier for typewritten
//! annexes and tickets), in WinAnsi encoding, which covers French entirely (accents, « », œ, €).
//! Their Adobe metrics are written into each PDF as `/Widths`, so the layout computed here and
//! the positions any PDF reader computes agree to the hundredth of a point: that is what makes
//! the gold boxes exact.

mod metrics;

use serde::{Deserialize, Serialize};

/// One of the six fonts the generator uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Font {
    Helvetica,
    HelveticaBold,
    Times,
    TimesBold,
    Courier,
    CourierBold,
}

/// A font family: a regular face and its bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Helvetica,
    Times,
    Courier,
}

impl Family {
    pub fn regular(self) -> Font {
        match self {
            Family::Helvetica => Font::Helvetica,
            Family::Times => Font::Times,
            Family::Courier => Font::Courier,
        }
    }

    pub fn bold(self) -> Font {
        match self {
            Family::Helvetica => Font::HelveticaBold,
            Family::Times => Font::TimesBold,
            Family::Courier => Font::CourierBold,
        }
    }
}

impl Font {
    /// Every font, in the order of their resource names `/F1`…`/F6`.
    pub const ALL: [Font; 6] =
        [Font::Helvetica, Font::HelveticaBold, Font::Times, Font::TimesBold, Font::Courier, Font::CourierBold];

    /// The PostScript name of the standard font.
    pub fn base_name(self) -> &'static str {
        match self {
            Font::Helvetica => "Helvetica",
            Font::HelveticaBold => "Helvetica-Bold",
            Font::Times => "Times-Roman",
            Font::TimesBold => "Times-Bold",
            Font::Courier => "Courier",
            Font::CourierBold => "Courier-Bold",
        }
    }

    /// Index in [`Font::ALL`], used for the resource name.
    pub fn index(self) -> usize {
        Font::ALL.iter().position(|f| *f == self).expect("every font is listed")
    }

    /// Advance widths of the WinAnsi codes 32..=255, in 1/1000 em.
    pub(crate) fn widths(self) -> &'static [u16; 224] {
        match self {
            Font::Helvetica => &metrics::HELVETICA,
            Font::HelveticaBold => &metrics::HELVETICA_BOLD,
            Font::Times => &metrics::TIMES,
            Font::TimesBold => &metrics::TIMES_BOLD,
            Font::Courier => &metrics::COURIER,
            Font::CourierBold => &metrics::COURIER_BOLD,
        }
    }

    /// Width of `text` set at `size` points, without kerning, as PDF readers compute it.
    pub fn text_width(self, text: &str, size: f32) -> f32 {
        let widths = self.widths();
        let units: u32 = text
            .chars()
            .map(|c| {
                let code = win_ansi(c).unwrap_or(b'?');
                if code < 32 { 0 } else { u32::from(widths[usize::from(code - 32)]) }
            })
            .sum();
        units as f32 * size / 1000.0
    }
}

/// The WinAnsi (cp1252) code of `c`, if the encoding has it.
pub fn win_ansi(c: char) -> Option<u8> {
    let u = c as u32;
    match u {
        0x20..=0x7E => Some(u as u8),
        0xA0..=0xFF => Some(u as u8),
        _ => {
            let code = match c {
                '€' => 0x80,
                '‚' => 0x82,
                'ƒ' => 0x83,
                '„' => 0x84,
                '…' => 0x85,
                '†' => 0x86,
                '‡' => 0x87,
                'ˆ' => 0x88,
                '‰' => 0x89,
                'Š' => 0x8A,
                '‹' => 0x8B,
                'Œ' => 0x8C,
                'Ž' => 0x8E,
                '\u{2018}' => 0x91,
                '\u{2019}' => 0x92,
                '“' => 0x93,
                '”' => 0x94,
                '•' => 0x95,
                '–' => 0x96,
                '—' => 0x97,
                '˜' => 0x98,
                '™' => 0x99,
                'š' => 0x9A,
                '›' => 0x9B,
                'œ' => 0x9C,
                'ž' => 0x9E,
                'Ÿ' => 0x9F,
                _ => return None,
            };
            Some(code)
        }
    }
}

/// Whether every character of `text` can be typeset (is in WinAnsi and is not a control code).
pub fn typesettable(text: &str) -> bool {
    text.chars().all(|c| win_ansi(c).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_repertoire_is_encodable() {
        assert!(typesettable("« Œuvre » cœur élève ÇA Ê ù î ï ô € n° 12,5 % – fin…"));
        assert!(!typesettable("≤ 8 jours"));
    }

    #[test]
    fn widths_follow_the_adobe_metrics() {
        // Helvetica: "a" is 556, "i" 222, space 278; Courier is fixed at 600.
        assert_eq!(Font::Helvetica.text_width("ai a", 1000.0), 556.0 + 222.0 + 278.0 + 556.0);
        assert_eq!(Font::Courier.text_width("é€«", 10.0), 18.0);
        assert!(Font::HelveticaBold.text_width("Procès", 10.0) > Font::Helvetica.text_width("Procès", 10.0));
        for font in Font::ALL {
            for c in "aàâäçéèêëîïôöùûüÿœæÀÂÇÉÈÊËÎÏÔÙÛŒ«»€°'’".chars() {
                assert!(font.text_width(&c.to_string(), 10.0) > 0.0, "{font:?} lacks {c}");
            }
        }
    }
}
