//! The files of a dossier in, documents of positioned text out.
//!
//! A dossier arrives as several files: PDFs (native, scanned or mixed), scans as TIFF
//! (multi-page), PNG or JPEG, and ZIP archives of those. This module recognises each file by
//! its first bytes, refuses what it cannot read with a French message naming the file, keeps
//! memory and work bounded by [`Limits`], and turns every readable page into a
//! [`Page`](crate::document::Page): text-layer pages through [`crate::pdf`] and
//! [`crate::layout`], the others through [`crate::ocr`]. One bad file never stops the others.

use std::io::{Cursor, Read};

use image::{DynamicImage, GrayImage};
use pdfium_render::prelude::Pdfium;
use serde::{Deserialize, Serialize};

use crate::document::{Document, OcrDecision, PageIssue};
use crate::error::{Error, Result};
use crate::ocr::{self, OcrOptions, PageImage};
use crate::pdf;

/// Bounds on the work and memory one file may cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Limits {
    /// Largest accepted file, in bytes (also applies to each member of a ZIP archive).
    pub max_file_bytes: u64,
    /// Pages read per document; the rest are reported and skipped.
    pub max_pages: usize,
    /// Largest page area, in square points (A0 is about 8.0 million).
    pub max_page_area_pt2: f32,
    /// Largest picture rendered for OCR, in pixels; larger pages are rendered at a lower dpi.
    pub max_render_pixels: u64,
    /// Largest decoded image (TIFF, PNG, JPEG page), in pixels.
    pub max_image_pixels: u64,
    /// Most members read from one ZIP archive.
    pub max_archive_entries: usize,
    /// Most bytes decompressed from one ZIP archive, all members together.
    pub max_archive_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 1 << 30,
            max_pages: 10_000,
            max_page_area_pt2: 16_000_000.0,
            max_render_pixels: 60_000_000,
            max_image_pixels: 120_000_000,
            max_archive_entries: 2_000,
            max_archive_bytes: 4 << 30,
        }
    }
}

/// How files are read.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Bounds on work and memory.
    pub limits: Limits,
    /// OCR settings.
    pub ocr: OcrOptions,
}

/// The kinds of file a dossier may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// PDF.
    Pdf,
    /// TIFF, possibly several pages.
    Tiff,
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// ZIP archive of the above.
    Zip,
}

/// Recognise a file by its first bytes.
pub fn detect_format(bytes: &[u8]) -> Option<FileFormat> {
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        Some(FileFormat::Pdf)
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        Some(FileFormat::Tiff)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileFormat::Png)
    } else if head.starts_with(b"\xff\xd8\xff") {
        Some(FileFormat::Jpeg)
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(FileFormat::Zip)
    } else {
        None
    }
}

/// One file of a dossier.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// File name, as the user knows it.
    pub name: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

/// A file that could not be read at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileIssue {
    /// File name (for archive members: `archive.zip/member.pdf`).
    pub file: String,
    /// Why, in French.
    pub message: String,
}

/// All the documents of a dossier, and the files that could not be read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dossier {
    /// Readable documents, in the order of the files (archive members in archive order),
    /// identified `doc1`, `doc2`, …
    pub documents: Vec<Document>,
    /// Files refused entirely.
    pub issues: Vec<FileIssue>,
}

/// Reads files into documents with one pdfium binding.
#[derive(Debug)]
pub struct Ingestor<'p> {
    pdfium: &'p Pdfium,
    options: IngestOptions,
}

impl<'p> Ingestor<'p> {
    /// An ingestor using `pdfium` (see [`crate::native::NativeLibs::pdfium`]).
    pub fn new(pdfium: &'p Pdfium, options: IngestOptions) -> Self {
        Self { pdfium, options }
    }

    /// The options in use.
    pub fn options(&self) -> &IngestOptions {
        &self.options
    }

    /// Read every file of a dossier. A file that cannot be read is reported in
    /// [`Dossier::issues`] and the others are read all the same.
    pub fn ingest_dossier(&self, files: &[InputFile]) -> Dossier {
        let mut dossier = Dossier::default();
        for file in files {
            self.ingest_into(&file.name, &file.bytes, &mut dossier, 0);
        }
        dossier
    }

    fn ingest_into(&self, name: &str, bytes: &[u8], dossier: &mut Dossier, depth: usize) {
        if detect_format(bytes) == Some(FileFormat::Zip) {
            if depth > 0 {
                dossier.issues.push(FileIssue { file: name.into(), message: format!("{name} : archive ZIP imbriquée, ignorée") });
                return;
            }
            match self.unzip(name, bytes) {
                Ok(members) => {
                    for (member, content) in members {
                        self.ingest_into(&format!("{name}/{member}"), &content, dossier, depth + 1);
                    }
                }
                Err(e) => dossier.issues.push(FileIssue { file: name.into(), message: e.to_string() }),
            }
            return;
        }
        let id = format!("doc{}", dossier.documents.len() + 1);
        match self.ingest_file(&id, name, bytes) {
            Ok(doc) => dossier.documents.push(doc),
            Err(e) => dossier.issues.push(FileIssue { file: name.into(), message: e.to_string() }),
        }
    }

    /// Read one PDF or image file (not an archive) into a document identified by `id`.
    pub fn ingest_file(&self, id: &str, name: &str, bytes: &[u8]) -> Result<Document> {
        let limits = &self.options.limits;
        if bytes.len() as u64 > limits.max_file_bytes {
            return Err(Error::FileTooLarge { file: name.into(), bytes: bytes.len() as u64, limit: limits.max_file_bytes });
        }
        if bytes.is_empty() {
            return Err(Error::EmptyDocument { file: name.into() });
        }
        let mut doc = match detect_format(bytes) {
            Some(FileFormat::Pdf) => self.read_pdf(name, bytes)?,
            Some(FileFormat::Tiff | FileFormat::Png | FileFormat::Jpeg) => self.read_images(name, bytes)?,
            Some(FileFormat::Zip) => {
                return Err(Error::UnsupportedFormat { file: name.into(), detail: "archive ZIP : passez par le dossier".into() });
            }
            None => {
                return Err(Error::UnsupportedFormat {
                    file: name.into(),
                    detail: "ni PDF, ni TIFF, ni PNG, ni JPEG, ni archive ZIP".into(),
                });
            }
        };
        doc.id = id.to_string();
        if doc.pages.is_empty() {
            let detail = doc.issues.iter().map(|i| i.message.as_str()).collect::<Vec<_>>().join(" ; ");
            return Err(Error::NoReadablePage { file: name.into(), detail });
        }
        Ok(doc)
    }

    fn read_pdf(&self, name: &str, bytes: &[u8]) -> Result<Document> {
        let limits = &self.options.limits;
        let doc = pdf::open(self.pdfium, bytes, name)?;
        let (raw, mut issues) = pdf::read_pages(&doc, name, limits);
        let mut pages = pdf::native_pages(&raw);
        let to_ocr: Vec<(u32, f32, f32, OcrDecision, Option<f32>)> = raw
            .iter()
            .filter(|p| p.decision.needs_ocr())
            .map(|p| (p.number, p.width, p.height, p.decision.clone(), p.image_dpi))
            .collect();
        let renders = to_ocr.into_iter().map(|(number, width_pt, height_pt, decision, image_dpi)| {
            // A scan is rendered at its own resolution (up to the configured one): resampling
            // it higher only smears its noise; the OCR step enlarges small scans itself.
            let dpi = match image_dpi {
                Some(d) if d >= 50.0 => (d.round() as u32).min(self.options.ocr.dpi),
                _ => self.options.ocr.dpi,
            };
            pdf::render_page(&doc, number, dpi, limits)
                .map(|(image, dpi)| PageImage { number, image, width_pt, height_pt, dpi, decision })
                .map_err(|e| PageIssue { page: number, message: format!("{name}, page {number} : {e}") })
        });
        for result in ocr::ocr_pages(renders, &self.options.ocr) {
            match result {
                Ok(page) => pages.push(page),
                Err(issue) => issues.push(issue),
            }
        }
        pages.sort_by_key(|p| p.number);
        issues.sort_by_key(|i| i.page);
        Ok(Document { id: String::new(), file: name.into(), pages, issues })
    }

    fn read_images(&self, name: &str, bytes: &[u8]) -> Result<Document> {
        let images = decode_images(name, bytes, &self.options.limits)?;
        let dpi = self.options.ocr.image_dpi.max(1);
        let mut issues = Vec::new();
        let inputs = images.into_iter().enumerate().map(|(i, img)| {
            let number = i as u32 + 1;
            img.map(|image| {
                let (w, h) = image.dimensions();
                PageImage {
                    number,
                    width_pt: w as f32 * 72.0 / dpi as f32,
                    height_pt: h as f32 * 72.0 / dpi as f32,
                    image,
                    dpi,
                    decision: OcrDecision::ImageInput,
                }
            })
            .map_err(|e| PageIssue { page: number, message: format!("{name}, page {number} : {e}") })
        });
        let mut pages = Vec::new();
        for result in ocr::ocr_pages(inputs, &self.options.ocr) {
            match result {
                Ok(page) => pages.push(page),
                Err(issue) => issues.push(issue),
            }
        }
        Ok(Document { id: String::new(), file: name.into(), pages, issues })
    }

    /// The members of a ZIP archive (directories and hidden files skipped), bounded in count
    /// and total decompressed size.
    fn unzip(&self, name: &str, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
        let limits = &self.options.limits;
        let bad = |reason: String| Error::Archive { file: name.into(), reason };
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(format!("archive illisible ({e})")))?;
        if archive.len() > limits.max_archive_entries {
            return Err(bad(format!("{} fichiers, au-delà de la limite de {}", archive.len(), limits.max_archive_entries)));
        }
        let mut out = Vec::new();
        let mut total: u64 = 0;
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).map_err(|e| bad(format!("membre {i} illisible ({e})")))?;
            if entry.is_dir() {
                continue;
            }
            let member = entry.name().map_err(|e| bad(format!("membre {i} : nom illisible ({e})")))?.to_string();
            let base = member.rsplit('/').next().unwrap_or(&member);
            if base.starts_with('.') || member.starts_with("__MACOSX/") {
                continue;
            }
            // Never trust the declared size: read at most the limit plus one byte.
            let cap = limits.max_file_bytes.min(limits.max_archive_bytes.saturating_sub(total));
            let mut content = Vec::new();
            (&mut entry)
                .take(cap + 1)
                .read_to_end(&mut content)
                .map_err(|e| bad(format!("{member} : décompression impossible ({e})")))?;
            if content.len() as u64 > cap {
                return Err(bad(format!(
                    "{member} : décompressé, dépasse la limite ({} octets) — archive piégée ou trop volumineuse",
                    cap
                )));
            }
            total += content.len() as u64;
            out.push((member, content));
        }
        Ok(out)
    }
}

/// Decode the pages of an image file into grey pictures, refusing pictures over the pixel limit
/// before allocating them.
pub fn decode_images(name: &str, bytes: &[u8], limits: &Limits) -> Result<Vec<Result<GrayImage>>> {
    let bad = |reason: String| Error::Image { file: name.into(), reason };
    let check = |w: u32, h: u32| -> Result<()> {
        if w == 0 || h == 0 || w as u64 * h as u64 > limits.max_image_pixels {
            return Err(bad(format!("image de {w}×{h} pixels, au-delà de la limite de {} pixels", limits.max_image_pixels)));
        }
        Ok(())
    };
    match detect_format(bytes) {
        Some(FileFormat::Tiff) => {
            let mut tiff_limits = tiff::decoder::Limits::default();
            tiff_limits.decoding_buffer_size = (limits.max_image_pixels * 4).min(usize::MAX as u64) as usize;
            let mut decoder = tiff::decoder::Decoder::new(Cursor::new(bytes))
                .map_err(|e| bad(format!("TIFF illisible ({e})")))?
                .with_limits(tiff_limits);
            let mut pages = Vec::new();
            loop {
                let page = (|| {
                    let (w, h) = decoder.dimensions().map_err(|e| bad(e.to_string()))?;
                    check(w, h)?;
                    let color = decoder.colortype().map_err(|e| bad(e.to_string()))?;
                    let data = decoder.read_image().map_err(|e| bad(format!("page TIFF illisible ({e})")))?;
                    tiff_to_gray(w, h, color, data).ok_or_else(|| bad(format!("type de pixels TIFF non pris en charge ({color:?})")))
                })();
                let failed = page.is_err();
                pages.push(page);
                if failed || !decoder.more_images() || pages.len() >= limits.max_pages {
                    break;
                }
                if let Err(e) = decoder.next_image() {
                    pages.push(Err(bad(format!("page TIFF suivante illisible ({e})"))));
                    break;
                }
            }
            Ok(pages)
        }
        Some(FileFormat::Png | FileFormat::Jpeg) => {
            let reader = image::ImageReader::new(Cursor::new(bytes))
                .with_guessed_format()
                .map_err(|e| bad(e.to_string()))?;
            let (w, h) = image::ImageReader::new(Cursor::new(bytes))
                .with_guessed_format()
                .map_err(|e| bad(e.to_string()))?
                .into_dimensions()
                .map_err(|e| bad(format!("image illisible ({e})")))?;
            check(w, h)?;
            let mut reader = reader;
            let mut img_limits = image::Limits::default();
            img_limits.max_alloc = Some(limits.max_image_pixels * 4);
            reader.limits(img_limits);
            let img: DynamicImage = reader.decode().map_err(|e| bad(format!("image illisible ({e})")))?;
            Ok(vec![Ok(img.to_luma8())])
        }
        _ => Err(Error::UnsupportedFormat { file: name.into(), detail: "ni TIFF, ni PNG, ni JPEG".into() }),
    }
}

fn tiff_to_gray(w: u32, h: u32, color: tiff::ColorType, data: tiff::decoder::DecodingResult) -> Option<GrayImage> {
    use tiff::ColorType as C;
    use tiff::decoder::DecodingResult as D;
    let n = (w * h) as usize;
    let px: Vec<u8> = match (color, data) {
        (C::Gray(8), D::U8(v)) => v,
        (C::Gray(16), D::U16(v)) => v.into_iter().map(|p| (p >> 8) as u8).collect(),
        (C::Gray(1), D::U8(v)) => {
            // Rows are padded to whole bytes; 0 is black unless stated otherwise (WhiteIsZero
            // pictures are rare in scans and come out inverted, still readable by OCR).
            let row = (w as usize).div_ceil(8);
            (0..n).map(|i| {
                let (x, y) = (i % w as usize, i / w as usize);
                if v.get(y * row + x / 8).is_some_and(|b| b & (0x80 >> (x % 8)) != 0) { 255 } else { 0 }
            }).collect()
        }
        (C::RGB(8), D::U8(v)) => v.chunks_exact(3).map(|p| ((p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114) / 1000) as u8).collect(),
        (C::RGBA(8), D::U8(v)) => v.chunks_exact(4).map(|p| ((p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114) / 1000) as u8).collect(),
        (C::GrayA(8), D::U8(v)) => v.chunks_exact(2).map(|p| p[0]).collect(),
        _ => return None,
    };
    (px.len() >= n).then(|| GrayImage::from_raw(w, h, px[..n].to_vec())).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_by_their_first_bytes() {
        assert_eq!(detect_format(b"%PDF-1.7\n..."), Some(FileFormat::Pdf));
        assert_eq!(detect_format(b"II*\0rest"), Some(FileFormat::Tiff));
        assert_eq!(detect_format(b"\x89PNG\r\n\x1a\nrest"), Some(FileFormat::Png));
        assert_eq!(detect_format(b"\xff\xd8\xff\xe0"), Some(FileFormat::Jpeg));
        assert_eq!(detect_format(b"PK\x03\x04"), Some(FileFormat::Zip));
        assert_eq!(detect_format(b"Bonjour, ceci est un texte"), None);
    }

    #[test]
    fn oversized_image_is_refused_before_decoding() {
        // A PNG header announcing 100000×100000 pixels and nothing else.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend(100_000u32.to_be_bytes());
        png.extend(100_000u32.to_be_bytes());
        png.extend([8, 0, 0, 0, 0]);
        png.extend(crc(&png[12..]).to_be_bytes());
        // An empty IDAT and IEND, so the header is complete.
        for chunk in [&b"IDAT"[..], &b"IEND"[..]] {
            png.extend(0u32.to_be_bytes());
            png.extend(chunk);
            png.extend(crc(chunk).to_be_bytes());
        }
        let err = decode_images("bombe.png", &png, &Limits::default()).unwrap_err().to_string();
        assert!(err.contains("bombe.png") && err.contains("limite"), "{err}");
    }

    fn crc(data: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in data {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }
}
