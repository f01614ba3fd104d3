//! The fonts a generated procédure is typeset in, and how wide their glyphs are.
//!
//! Police and gendarmerie software print in a handful of office fonts. The generator embeds
//! Debian's DejaVu fonts (package `fonts-dejavu-core`, installed by `make setup`): a sans family
//! (the Arial-like look of most PV software), a serif family (older templates, courriers) and a
//! monospaced one (typewritten annexes, éthylomètre tickets), each with its bold. They cover
//! French entirely (accents, « », œ, €) and pdfium embeds them as CID fonts, so the text layer
//! reads back exactly.
//!
//! Widths come from the font files themselves (`hmtx`, through `ttf-parser`), the same numbers
//! pdfium writes into the PDF, so the layout computed here and the positions a reader computes
//! agree; the gold boxes are nevertheless read back from pdfium after writing (see [`crate::pdf`]).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Folder of Debian's DejaVu fonts.
pub const FONT_DIR: &str = "/usr/share/fonts/truetype/dejavu";

/// One of the six faces the generator uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Font {
    Sans,
    SansBold,
    Serif,
    SerifBold,
    Mono,
    MonoBold,
}

/// A font family: a regular face and its bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Sans,
    Serif,
    Mono,
}

impl Family {
    pub fn regular(self) -> Font {
        match self {
            Family::Sans => Font::Sans,
            Family::Serif => Font::Serif,
            Family::Mono => Font::Mono,
        }
    }

    pub fn bold(self) -> Font {
        match self {
            Family::Sans => Font::SansBold,
            Family::Serif => Font::SerifBold,
            // Typewritten and printed-ticket pieces have no bold: keeping one monospaced face
            // also keeps the embedded fonts, and the files, smaller.
            Family::Mono => Font::Mono,
        }
    }
}

/// Every character the generator may print: ASCII, Latin-1 and the few other characters of
/// French typography. Only their glyphs are embedded ([`subset`]).
pub const REPERTOIRE: &str = concat!(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
    "\u{a0}¡¢£¤¥¦§¨©ª«¬\u{ad}®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ",
    "ŒœŸ€‘’‚“”„…–—•‰‹›™"
);

/// A loaded font file and the advance widths of the characters the generator uses.
struct Face {
    /// The font reduced to the [`REPERTOIRE`]'s glyphs, as embedded.
    bytes: Vec<u8>,
    units_per_em: f32,
    /// Advance of each char below U+2200, in font units; `None` when the font lacks it.
    advances: Vec<Option<u16>>,
}

const TABLE: usize = 0x2200;

impl Face {
    fn load(path: &Path) -> Result<Face> {
        let bytes = std::fs::read(path).map_err(|e| Error::Font(format!("{} : {e}", path.display())))?;
        let face = ttf_parser::Face::parse(&bytes, 0).map_err(|e| Error::Font(format!("{} : {e}", path.display())))?;
        let advances = (0..TABLE as u32)
            .map(|u| {
                char::from_u32(u)
                    .filter(|c| REPERTOIRE.contains(*c))
                    .and_then(|c| face.glyph_index(c))
                    .and_then(|g| face.glyph_hor_advance(g))
            })
            .collect();
        let units_per_em = f32::from(face.units_per_em());
        let glyphs: Vec<u16> = REPERTOIRE.chars().filter_map(|c| face.glyph_index(c)).map(|g| g.0).collect();
        let bytes = subset(&bytes, &glyphs).map_err(|e| Error::Font(format!("{} : {e}", path.display())))?;
        Ok(Face { bytes, units_per_em, advances })
    }
}

impl Font {
    pub const ALL: [Font; 6] = [Font::Sans, Font::SansBold, Font::Serif, Font::SerifBold, Font::Mono, Font::MonoBold];

    /// File name of the face in [`FONT_DIR`].
    pub fn file_name(self) -> &'static str {
        match self {
            Font::Sans => "DejaVuSans.ttf",
            Font::SansBold => "DejaVuSans-Bold.ttf",
            Font::Serif => "DejaVuSerif.ttf",
            Font::SerifBold => "DejaVuSerif-Bold.ttf",
            Font::Mono => "DejaVuSansMono.ttf",
            Font::MonoBold => "DejaVuSansMono-Bold.ttf",
        }
    }

    pub fn index(self) -> usize {
        Font::ALL.iter().position(|f| *f == self).expect("every font is listed")
    }

    fn face(self) -> Result<&'static Face> {
        static FACES: OnceLock<Vec<std::result::Result<Face, String>>> = OnceLock::new();
        let faces = FACES.get_or_init(|| {
            Font::ALL
                .iter()
                .map(|f| Face::load(&PathBuf::from(FONT_DIR).join(f.file_name())).map_err(|e| e.to_string()))
                .collect()
        });
        faces[self.index()].as_ref().map_err(|e| {
            Error::Font(format!("{e} (police DejaVu manquante : installez le paquet fonts-dejavu-core avec `make setup`)"))
        })
    }

    /// The font file's bytes, for embedding.
    pub fn bytes(self) -> Result<&'static [u8]> {
        Ok(&self.face()?.bytes)
    }

    /// Width of `text` at `size` points. Characters the font lacks count as zero (the
    /// generator only writes [`typesettable`] text).
    pub fn text_width(self, text: &str, size: f32) -> f32 {
        let Ok(face) = self.face() else { return 0.0 };
        let units: u32 = text
            .chars()
            .map(|c| face.advances.get(c as usize).copied().flatten().map_or(0, u32::from))
            .sum();
        units as f32 * size / face.units_per_em
    }

    /// Whether the face has a glyph for every character of `text`.
    pub fn covers(self, text: &str) -> bool {
        let Ok(face) = self.face() else { return false };
        text.chars().all(|c| face.advances.get(c as usize).copied().flatten().is_some())
    }
}

/// Tables dropped from embedded fonts: glyph substitution and positioning (a PDF places every
/// glyph itself) and device-specific caches.
const DROPPED_TABLES: [&[u8; 4]; 6] = [b"GPOS", b"GSUB", b"GDEF", b"kern", b"hdmx", b"LTSH"];

fn be16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_be_bytes([s[0], s[1]]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// A TrueType font keeping only the outlines of `glyphs` (and of the components of composite
/// ones): the other glyphs stay, empty, so glyph ids, `cmap` and `hmtx` are unchanged and the
/// embedded font maps and measures characters exactly as the full one. Real PDF producers embed
/// subsets too; the full DejaVu faces would make each file about 1 MB heavier.
pub fn subset(font: &[u8], glyphs: &[u16]) -> std::result::Result<Vec<u8>, String> {
    let bad = || "table de police TrueType illisible".to_string();
    let num_tables = usize::from(be16(font, 4).ok_or_else(bad)?);
    let mut tables: Vec<([u8; 4], &[u8])> = Vec::with_capacity(num_tables);
    for i in 0..num_tables {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = font.get(rec..rec + 4).ok_or_else(bad)?.try_into().map_err(|_| bad())?;
        let (off, len) = (be32(font, rec + 8).ok_or_else(bad)? as usize, be32(font, rec + 12).ok_or_else(bad)? as usize);
        tables.push((tag, font.get(off..off + len).ok_or_else(bad)?));
    }
    let table = |tag: &[u8; 4]| tables.iter().find(|t| &t.0 == tag).map(|t| t.1).ok_or_else(bad);
    let (head, maxp, loca, glyf) = (table(b"head")?, table(b"maxp")?, table(b"loca")?, table(b"glyf")?);
    let long = be16(head, 50).ok_or_else(bad)? == 1;
    let num_glyphs = usize::from(be16(maxp, 4).ok_or_else(bad)?);
    let offset = |g: usize| -> Option<usize> {
        if long { be32(loca, 4 * g).map(|v| v as usize) } else { be16(loca, 2 * g).map(|v| 2 * usize::from(v)) }
    };
    // Glyphs to keep: .notdef, the requested ones, and recursively the components of composites.
    let mut keep = vec![false; num_glyphs];
    let mut todo: Vec<usize> = std::iter::once(0).chain(glyphs.iter().map(|g| usize::from(*g))).collect();
    while let Some(g) = todo.pop() {
        if g >= num_glyphs || keep[g] {
            continue;
        }
        keep[g] = true;
        let (a, b) = (offset(g).ok_or_else(bad)?, offset(g + 1).ok_or_else(bad)?);
        let data = glyf.get(a..b).ok_or_else(bad)?;
        if data.len() >= 10 && (be16(data, 0).ok_or_else(bad)? as i16) < 0 {
            let mut at = 10;
            loop {
                let flags = be16(data, at).ok_or_else(bad)?;
                todo.push(usize::from(be16(data, at + 2).ok_or_else(bad)?));
                at += 4 + if flags & 0x0001 != 0 { 4 } else { 2 };
                at += if flags & 0x0008 != 0 { 2 } else if flags & 0x0040 != 0 { 4 } else if flags & 0x0080 != 0 { 8 } else { 0 };
                if flags & 0x0020 == 0 {
                    break;
                }
            }
        }
    }
    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::with_capacity((num_glyphs + 1) * 4);
    let push_offset = |loca: &mut Vec<u8>, v: usize| {
        if long { loca.extend_from_slice(&(v as u32).to_be_bytes()) } else { loca.extend_from_slice(&((v / 2) as u16).to_be_bytes()) }
    };
    for (g, kept) in keep.iter().enumerate() {
        push_offset(&mut new_loca, new_glyf.len());
        if *kept {
            let (a, b) = (offset(g).ok_or_else(bad)?, offset(g + 1).ok_or_else(bad)?);
            new_glyf.extend_from_slice(glyf.get(a..b).ok_or_else(bad)?);
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
        }
    }
    push_offset(&mut new_loca, new_glyf.len());
    // Reassemble: same table order, 4-byte aligned, checksums recomputed.
    let kept_tables: Vec<([u8; 4], std::borrow::Cow<'_, [u8]>)> = tables
        .iter()
        .filter(|(tag, _)| !DROPPED_TABLES.iter().any(|d| *d == tag))
        .map(|(tag, data)| {
            let data: std::borrow::Cow<'_, [u8]> = match tag {
                b"glyf" => new_glyf.clone().into(),
                b"loca" => new_loca.clone().into(),
                _ => (*data).into(),
            };
            (*tag, data)
        })
        .collect();
    let n = kept_tables.len();
    let mut out = Vec::with_capacity(12 + 16 * n + kept_tables.iter().map(|t| t.1.len() + 3).sum::<usize>());
    out.extend_from_slice(&font[0..4]);
    let pow2 = 1usize << (usize::BITS - 1 - n.leading_zeros());
    out.extend_from_slice(&(n as u16).to_be_bytes());
    out.extend_from_slice(&((pow2 * 16) as u16).to_be_bytes());
    out.extend_from_slice(&(pow2.trailing_zeros() as u16).to_be_bytes());
    out.extend_from_slice(&((n * 16 - pow2 * 16) as u16).to_be_bytes());
    let mut offset_now = 12 + 16 * n;
    let mut records = Vec::new();
    for (tag, data) in &kept_tables {
        let sum = data
            .chunks(4)
            .map(|c| {
                let mut w = [0u8; 4];
                w[..c.len()].copy_from_slice(c);
                u32::from_be_bytes(w)
            })
            .fold(0u32, u32::wrapping_add);
        records.push((*tag, sum, offset_now, data.len()));
        offset_now += data.len().div_ceil(4) * 4;
    }
    for (tag, sum, off, len) in &records {
        out.extend_from_slice(tag);
        out.extend_from_slice(&sum.to_be_bytes());
        out.extend_from_slice(&(*off as u32).to_be_bytes());
        out.extend_from_slice(&(*len as u32).to_be_bytes());
    }
    for (_, data) in &kept_tables {
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    Ok(out)
}

/// Whether every face can print `text`.
pub fn typesettable(text: &str) -> bool {
    Font::ALL.iter().all(|f| f.covers(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_repertoire_is_covered() {
        assert!(typesettable("« Œuvre » cœur élève ÇA Ê ù î ï ô € n° 12,5 % – fin…"));
        assert!(!typesettable("木"));
        assert!(!typesettable("≤"), "outside the embedded repertoire");
    }

    #[test]
    fn embedded_subsets_are_small_and_keep_widths_and_glyphs() {
        for font in [Font::Sans, Font::SerifBold] {
            let full = std::fs::read(PathBuf::from(FONT_DIR).join(font.file_name())).unwrap();
            let sub = font.bytes().unwrap();
            assert!(sub.len() * 3 < full.len(), "{font:?}: {} of {}", sub.len(), full.len());
            let (a, b) = (ttf_parser::Face::parse(&full, 0).unwrap(), ttf_parser::Face::parse(sub, 0).unwrap());
            assert_eq!(a.number_of_glyphs(), b.number_of_glyphs());
            for c in "éœ«€Ç".chars() {
                let g = b.glyph_index(c).unwrap();
                assert_eq!(a.glyph_index(c), Some(g));
                assert_eq!(a.glyph_hor_advance(g), b.glyph_hor_advance(g));
                assert_eq!(a.glyph_bounding_box(g), b.glyph_bounding_box(g), "{c} lost its outline");
            }
            // A glyph outside the repertoire is kept as an empty outline.
            let g = b.glyph_index('Ж').unwrap();
            assert!(a.glyph_bounding_box(g).is_some() && b.glyph_bounding_box(g).is_none());
        }
    }

    #[test]
    fn widths_come_from_the_font_files() {
        // Mono is fixed pitch; bold is wider than regular; every French letter has a width.
        let m = Font::Mono.text_width("i", 10.0);
        assert!(m > 5.0 && m < 7.0, "{m}");
        assert_eq!(Font::Mono.text_width("iiii", 10.0), 4.0 * m);
        assert!(Font::SansBold.text_width("Procès", 10.0) > Font::Sans.text_width("Procès", 10.0));
        assert!(Font::Serif.text_width("Procès", 10.0) != Font::Sans.text_width("Procès", 10.0));
        for font in Font::ALL {
            for c in "aàâäçéèêëîïôöùûüÿœæÀÂÇÉÈÊËÎÏÔÙÛŒ«»€°'’".chars() {
                assert!(font.text_width(&c.to_string(), 10.0) > 0.0, "{font:?} lacks {c}");
            }
        }
    }
}
