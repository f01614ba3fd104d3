//! A small PDF writer: text pages in the standard fonts, and image-only (scanned) pages.
//!
//! The generator writes PDF itself rather than through a PDF library so that the output is
//! byte-identical for a given seed (no timestamps, no random file identifiers), small (fonts are
//! referenced, not embedded; scans are JPEG passed through as `DCTDecode`), and fast. Only what a
//! procédure needs is supported: lines of text in several fonts, ruled lines and frames, and one
//! full-page grey image per scanned page.
//!
//! Coordinates given to this module are PDF user space: points, origin at the bottom-left.

use std::fmt::Write as _;
use std::io::Write as _;

use crate::fonts::{Font, win_ansi};

/// A run of text in one font, drawn right after the previous run of its line.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub font: Font,
    pub size: f32,
    pub text: String,
}

/// One line of text: its start, its baseline, extra space added to each space character
/// (justification), and its runs.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    pub x: f32,
    pub baseline: f32,
    pub word_spacing: f32,
    pub runs: Vec<Run>,
    /// Grey level of the text, 0 = black.
    pub grey: f32,
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

/// A page of a generated document.
#[derive(Debug, Clone, PartialEq)]
pub enum Page {
    Text(TextPage),
    Image(ImagePage),
}

/// Document metadata written into the `/Info` dictionary.
#[derive(Debug, Clone, Default)]
pub struct Info {
    pub title: String,
    /// `D:YYYYMMDDHHmmSS`, derived from the procédure, never from the clock.
    pub creation_date: Option<String>,
}

/// Serialise `pages` as a complete PDF file.
pub fn write_pdf(info: &Info, pages: &[Page]) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = Vec::new();
    // 1: catalog, 2: pages, 3: info, 4..=9: fonts; then for each page: page, contents, [image].
    let first_page_obj = 4 + Font::ALL.len();
    let mut kids = Vec::new();
    let mut next = first_page_obj;
    let mut page_objects = Vec::new();
    for page in pages {
        kids.push(next);
        let count = if matches!(page, Page::Image(_)) { 3 } else { 2 };
        page_objects.push(next);
        next += count;
    }

    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    let kids_refs: String = kids.iter().map(|k| format!("{k} 0 R")).collect::<Vec<_>>().join(" ");
    objects.push(format!("<< /Type /Pages /Kids [{kids_refs}] /Count {} >>", pages.len()).into_bytes());
    let mut info_dict = format!("<< /Producer {} /Title {}", pdf_string("ap-datasets"), pdf_string(&info.title));
    if let Some(date) = &info.creation_date {
        let _ = write!(info_dict, " /CreationDate {}", pdf_string(date));
    }
    info_dict.push_str(" >>");
    objects.push(info_dict.into_bytes());
    for font in Font::ALL {
        let widths: String =
            font.widths().iter().map(|w| w.to_string()).collect::<Vec<_>>().join(" ");
        objects.push(
            format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{} /Encoding /WinAnsiEncoding \
                 /FirstChar 32 /LastChar 255 /Widths [{widths}] >>",
                font.base_name()
            )
            .into_bytes(),
        );
    }
    let font_resources: String =
        Font::ALL.iter().enumerate().map(|(i, _)| format!("/F{} {} 0 R", i + 1, 4 + i)).collect::<Vec<_>>().join(" ");

    for (page, &obj) in pages.iter().zip(&page_objects) {
        match page {
            Page::Text(text) => {
                objects.push(
                    format!(
                        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /Font << {font_resources} >> >> /Contents {} 0 R >>",
                        num(text.width),
                        num(text.height),
                        obj + 1
                    )
                    .into_bytes(),
                );
                objects.push(stream(&text_content(text), true, ""));
            }
            Page::Image(image) => {
                objects.push(
                    format!(
                        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << /XObject << /Im1 {} 0 R >> >> /Contents {} 0 R >>",
                        num(image.width),
                        num(image.height),
                        obj + 2,
                        obj + 1
                    )
                    .into_bytes(),
                );
                let content = format!("q {} 0 0 {} 0 0 cm /Im1 Do Q\n", num(image.width), num(image.height));
                objects.push(stream(content.as_bytes(), true, ""));
                objects.push(stream(
                    &image.jpeg,
                    false,
                    &format!(
                        "/Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray \
                         /BitsPerComponent 8 /Filter /DCTDecode ",
                        image.pixels_wide, image.pixels_high
                    ),
                ));
            }
        }
    }

    let mut out = Vec::with_capacity(objects.iter().map(Vec::len).sum::<usize>() + 1024);
    out.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        let _ = write!(out, "{} 0 obj\n", i + 1);
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        let _ = write!(out, "{off:010} 00000 n \n");
    }
    let _ = write!(out, "trailer\n<< /Size {} /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1);
    out
}

fn stream(data: &[u8], compress: bool, extra_dict: &str) -> Vec<u8> {
    let (body, filter) = if compress {
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).expect("writing to memory");
        (enc.finish().expect("writing to memory"), "/Filter /FlateDecode ")
    } else {
        (data.to_vec(), "")
    };
    let mut out = format!("<< {extra_dict}{filter}/Length {} >>\nstream\n", body.len()).into_bytes();
    out.extend_from_slice(&body);
    out.extend_from_slice(b"\nendstream");
    out
}

fn text_content(page: &TextPage) -> Vec<u8> {
    let mut s = String::new();
    if !page.strokes.is_empty() {
        s.push_str("q 0 G\n");
        for st in &page.strokes {
            let _ = writeln!(s, "{} w {} {} m {} {} l S", num(st.width), num(st.from.0), num(st.from.1), num(st.to.0), num(st.to.1));
        }
        s.push_str("Q\n");
    }
    for line in &page.lines {
        let _ = write!(s, "BT {} g ", num(line.grey));
        if line.word_spacing != 0.0 {
            let _ = write!(s, "{} Tw ", num(line.word_spacing));
        }
        let _ = write!(s, "1 0 0 1 {} {} Tm", num(line.x), num(line.baseline));
        let mut current: Option<(Font, f32)> = None;
        for run in &line.runs {
            if current != Some((run.font, run.size)) {
                let _ = write!(s, " /F{} {} Tf", run.font.index() + 1, num(run.size));
                current = Some((run.font, run.size));
            }
            s.push(' ');
            s.push_str(&pdf_text(&run.text));
            s.push_str(" Tj");
        }
        s.push_str(" ET\n");
    }
    s.into_bytes()
}

/// A PDF literal string in WinAnsi, non-ASCII bytes as octal escapes.
fn pdf_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('(');
    for c in text.chars() {
        let code = win_ansi(c).unwrap_or(b'?');
        match code {
            b'(' | b')' | b'\\' => {
                out.push('\\');
                out.push(code as char);
            }
            0x20..=0x7E => out.push(code as char),
            _ => {
                let _ = write!(out, "\\{code:03o}");
            }
        }
    }
    out.push(')');
    out
}

/// A metadata string: ASCII literal, or UTF-16BE hex when it has other characters.
fn pdf_string(text: &str) -> String {
    if text.is_ascii() {
        pdf_text(text)
    } else {
        let mut out = String::from("<FEFF");
        for unit in text.encode_utf16() {
            let _ = write!(out, "{unit:04X}");
        }
        out.push('>');
        out
    }
}

/// A number with at most two decimals and no trailing zeros (deterministic formatting).
fn num(v: f32) -> String {
    let r = (v * 100.0).round() / 100.0;
    let s = format!("{r:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.35");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(595.28), "595.28");
    }

    #[test]
    fn text_is_escaped_in_win_ansi() {
        assert_eq!(pdf_text("(é) « œ »\\"), "(\\(\\351\\) \\253 \\234 \\273\\\\)");
    }

    #[test]
    fn a_document_has_a_consistent_cross_reference_table() {
        let page = TextPage {
            width: 595.28,
            height: 841.89,
            lines: vec![TextLine {
                x: 50.0,
                baseline: 700.0,
                word_spacing: 0.0,
                grey: 0.0,
                runs: vec![Run { font: Font::Times, size: 11.0, text: "Procès-verbal".into() }],
            }],
            strokes: vec![],
        };
        let bytes = write_pdf(&Info { title: "Essai".into(), creation_date: None }, &[Page::Text(page)]);
        assert!(bytes.starts_with(b"%PDF-1.4"));
        let tail = String::from_utf8_lossy(&bytes[bytes.len() - 40..]).into_owned();
        let startxref: usize = tail.rsplit("startxref\n").next().unwrap().lines().next().unwrap().parse().unwrap();
        let text = String::from_utf8_lossy(&bytes[startxref..]).into_owned();
        assert!(text.starts_with("xref"));
        // Every offset in the table points at "N 0 obj".
        for (i, line) in text.lines().skip(3).take_while(|l| l.ends_with(" n ")).enumerate() {
            let off: usize = line[..10].parse().unwrap();
            assert!(bytes[off..].starts_with(format!("{} 0 obj", i + 1).as_bytes()), "object {}", i + 1);
        }
    }
}
