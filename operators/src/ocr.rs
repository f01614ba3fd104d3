//! OCR of scanned pages: orientation, deskew, tesseract `fra`, word boxes back in PDF points.
//!
//! Scans arrive sideways, upside down and a little skewed. Before recognition each page picture
//! is analysed on a reduced copy: the projection profile of its ink is sharpest when the text
//! lines are horizontal, which tells a quarter turn from an upright page and measures the skew;
//! whether the page is upside down is settled by asking tesseract to read a strip both ways and
//! keeping the more confident reading. The picture is then turned and deskewed, read by
//! tesseract (LSTM, `fra`), and every word box is mapped back through the inverse of those
//! transforms into the page as displayed, in PDF points, origin top-left.
//!
//! Pages are independent: [`ocr_pages`] runs one tesseract instance per worker thread, fed from
//! a bounded queue so that pictures are rendered (by pdfium, serially) while others are read.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use image::{GrayImage, Luma, imageops};
use imageproc::geometric_transformations::{Border, Interpolation, rotate_about_center};

use crate::document::{BBox, ExtractionMethod, LineRole, OcrDecision, Page, PageIssue};
use crate::error::{Error, Result};
use crate::layout;
use crate::tess::{Segmentation, Tess, TessError};
use crate::normalize::TextBuilder;

/// How pages are read.
#[derive(Debug, Clone)]
pub struct OcrOptions {
    /// Resolution at which PDF pages are rendered for OCR.
    pub dpi: u32,
    /// Resolution assumed for image files that do not state one.
    pub image_dpi: u32,
    /// Worker threads (one tesseract instance each); 0 means one per CPU core.
    pub threads: usize,
    /// tesseract language.
    pub language: String,
    /// Detect and undo quarter and half turns.
    pub detect_orientation: bool,
    /// Measure and undo skew up to this many degrees (0 disables deskew).
    pub max_skew_deg: f32,
    /// Pictures below this resolution are enlarged to it before recognition.
    pub min_recognition_dpi: u32,
    /// Time budget of one recognition (the page, or one orientation probe); a page that runs
    /// out of it is reported as an issue instead of holding its worker. `None`: unbounded.
    pub page_budget: Option<Duration>,
}

impl Default for OcrOptions {
    fn default() -> Self {
        Self {
            dpi: 300,
            image_dpi: 300,
            threads: 0,
            language: "fra".into(),
            detect_orientation: true,
            max_skew_deg: 8.0,
            min_recognition_dpi: 200,
            page_budget: Some(Duration::from_secs(120)),
        }
    }
}

impl OcrOptions {
    fn worker_count(&self) -> usize {
        if self.threads > 0 {
            self.threads
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    }
}

/// A page picture waiting for OCR.
#[derive(Debug, Clone)]
pub struct PageImage {
    /// 1-based page number.
    pub number: u32,
    /// The picture, grey levels.
    pub image: GrayImage,
    /// Width of the page in points.
    pub width_pt: f32,
    /// Height of the page in points.
    pub height_pt: f32,
    /// Resolution of the picture.
    pub dpi: u32,
    /// Why the page is read by OCR.
    pub decision: OcrDecision,
}

/// One tesseract instance, reusable across pages.
pub struct Reader {
    tess: Option<Tess>,
    language: String,
    budget: Option<Duration>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").field("language", &self.language).field("budget", &self.budget).finish()
    }
}

impl Reader {
    /// A tesseract instance for `language` (data from Debian's `tesseract-ocr-*` packages),
    /// each recognition bounded by `budget`.
    pub fn new(language: &str, budget: Option<Duration>) -> Result<Self> {
        let mut r = Self { tess: None, language: language.to_string(), budget };
        r.tess = Some(r.fresh()?);
        Ok(r)
    }

    fn fresh(&self) -> Result<Tess> {
        Tess::new(&self.language).map_err(|_| {
            Error::Ocr(format!(
                "initialisation de tesseract pour la langue « {} » impossible ; \
                 installez le paquet tesseract-ocr-{} (make setup)",
                self.language, self.language
            ))
        })
    }

    /// Recognise a grey picture; returns tesseract's TSV.
    fn tsv(&mut self, image: &GrayImage, dpi: u32, mode: Segmentation) -> Result<String> {
        let mut tess = match self.tess.take() {
            Some(t) => t,
            None => self.fresh()?,
        };
        let (w, h) = image.dimensions();
        let result = tess.tsv(image.as_raw(), w, h, dpi, mode, self.budget);
        self.tess = Some(tess);
        result.map_err(|e| match e {
            TessError::Deadline(budget) => Error::Ocr(format!(
                "la reconnaissance du texte a dépassé le délai de {} s par page ; page ignorée",
                budget.as_secs_f32()
            )),
            TessError::Picture => Error::Ocr("image de page vide ou trop grande pour la reconnaissance".into()),
            TessError::Init(_) | TessError::Recognize => Error::Ocr("la reconnaissance du texte a échoué".into()),
        })
    }

    /// Mean word confidence of a reading of `image` (used to tell upright from upside down).
    fn confidence(&mut self, image: &GrayImage, dpi: u32) -> Result<f32> {
        // The strip is one block of lines: no page layout analysis needed.
        let words = parse_tsv(&self.tsv(image, dpi, Segmentation::SingleBlock)?);
        let letters: Vec<&TsvWord> = words.iter().filter(|w| w.text.chars().any(char::is_alphabetic)).collect();
        if letters.is_empty() {
            return Ok(0.0);
        }
        // Weight by length: long words read confidently only when right side up.
        let total: usize = letters.iter().map(|w| w.text.chars().count()).sum();
        Ok(letters.iter().map(|w| w.conf * w.text.chars().count() as f32).sum::<f32>() / total as f32)
    }
}

/// One word line of tesseract's TSV output.
#[derive(Debug, Clone, PartialEq)]
struct TsvWord {
    block: u32,
    par: u32,
    line: u32,
    left: f32,
    top: f32,
    width: f32,
    height: f32,
    conf: f32,
    text: String,
}

fn parse_tsv(tsv: &str) -> Vec<TsvWord> {
    tsv.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.splitn(12, '\t').collect();
            if f.len() < 12 || f[0] != "5" {
                return None;
            }
            let n = |i: usize| f[i].trim().parse::<f32>().ok();
            let text = f[11].trim().to_string();
            if text.is_empty() {
                return None;
            }
            Some(TsvWord {
                block: n(2)? as u32,
                par: n(3)? as u32,
                line: n(4)? as u32,
                left: n(6)?,
                top: n(7)?,
                width: n(8)?,
                height: n(9)?,
                conf: n(10)?,
                text,
            })
        })
        .collect()
}

/// Ink pixels of a reduced, binarised copy, relative to its centre.
fn ink_points(image: &GrayImage, max_side: u32) -> (Vec<(f32, f32)>, f32) {
    let (w, h) = image.dimensions();
    let scale = (max_side as f32 / w.max(h) as f32).min(1.0);
    let small = if scale < 1.0 {
        imageops::resize(image, ((w as f32 * scale) as u32).max(1), ((h as f32 * scale) as u32).max(1), imageops::FilterType::Triangle)
    } else {
        image.clone()
    };
    let level = imageproc::contrast::otsu_level(&small);
    let (sw, sh) = small.dimensions();
    let (cx, cy) = (sw as f32 / 2.0, sh as f32 / 2.0);
    let mut points = Vec::new();
    for (x, y, p) in small.enumerate_pixels() {
        if p.0[0] <= level.min(200) {
            points.push((x as f32 - cx, y as f32 - cy));
        }
    }
    // Ink covering most of the picture is background noise, not text.
    if points.len() as f32 > 0.5 * (sw * sh) as f32 {
        points.clear();
    }
    (points, scale)
}

/// Sharpness of the projection of `points` on the axis rotated by `theta` (radians): the sum
/// of squared bin counts, high when text lines fall into few bins.
fn profile_score(points: &[(f32, f32)], theta: f32, vertical: bool) -> f64 {
    let (s, c) = theta.sin_cos();
    // Points are relative to the centre of a picture of at most ~1000 px a side.
    let reach = points.iter().map(|&(x, y)| x.abs() + y.abs()).fold(0.0f32, f32::max).ceil() as i64 + 2;
    let mut bins = vec![0u32; (2 * reach + 1) as usize];
    for &(x, y) in points {
        let v = if vertical { c * x - s * y } else { s * x + c * y };
        bins[(v.round() as i64 + reach) as usize] += 1;
    }
    bins.iter().map(|&n| (n as f64) * (n as f64)).sum()
}

fn best_angle(points: &[(f32, f32)], max_deg: f32, vertical: bool) -> (f32, f64) {
    let mut best = (0.0f32, profile_score(points, 0.0, vertical));
    if max_deg <= 0.0 {
        return best;
    }
    let search = |from: f32, to: f32, step: f32, best: &mut (f32, f64)| {
        let mut a = from;
        while a <= to + 1e-4 {
            let score = profile_score(points, a.to_radians(), vertical);
            if score > best.1 {
                *best = (a, score);
            }
            a += step;
        }
    };
    search(-max_deg, max_deg, 0.5, &mut best);
    let centre = best.0;
    search(centre - 0.5, centre + 0.5, 0.05, &mut best);
    best
}

/// Angle in degrees to pass to a clockwise rotation to make the text lines horizontal, and
/// whether the lines are vertical (a quarter turn).
pub fn estimate_layout(image: &GrayImage, max_skew_deg: f32) -> (f32, bool) {
    let (points, _) = ink_points(image, 1000);
    if points.len() < 50 {
        return (0.0, false);
    }
    let sample: Vec<(f32, f32)> = if points.len() > 150_000 {
        let step = points.len() / 150_000 + 1;
        points.iter().step_by(step).copied().collect()
    } else {
        points
    };
    let (h_angle, h_score) = best_angle(&sample, max_skew_deg, false);
    let (v_angle, v_score) = best_angle(&sample, max_skew_deg, true);
    if v_score > h_score * 1.15 { (v_angle, true) } else { (h_angle, false) }
}

/// Turn a picture clockwise by a multiple of 90°.
fn turn(image: &GrayImage, degrees: u16) -> GrayImage {
    match degrees % 360 {
        90 => imageops::rotate90(image),
        180 => imageops::rotate180(image),
        270 => imageops::rotate270(image),
        _ => image.clone(),
    }
}

/// Map a point of the picture turned clockwise by `degrees` back to the original picture of
/// size `w`×`h`.
fn unturn(x: f32, y: f32, degrees: u16, w: f32, h: f32) -> (f32, f32) {
    match degrees % 360 {
        90 => (y, h - x),
        180 => (w - x, h - y),
        270 => (w - y, x),
        _ => (x, y),
    }
}

/// The strip of a picture with the most ink, an eighth of its height, for orientation tests.
fn densest_strip(image: &GrayImage) -> GrayImage {
    let (w, h) = image.dimensions();
    let band = (h / 8).max(1);
    let rows: Vec<u64> = (0..h)
        .map(|y| (0..w).step_by(2).map(|x| 255 - image.get_pixel(x, y).0[0] as u64).sum())
        .collect();
    let mut best = (0u32, 0u64);
    let mut sum: u64 = rows[..band as usize].iter().sum();
    for y in 0..h - band {
        if sum > best.1 {
            best = (y, sum);
        }
        sum = sum + rows[(y + band) as usize] - rows[y as usize];
    }
    imageops::crop_imm(image, 0, best.0, w, band).to_image()
}

/// Share of the pixels that are dark with no dark neighbour (salt-and-pepper noise).
fn speckle_share(image: &GrayImage) -> f32 {
    let (w, h) = image.dimensions();
    if w < 3 || h < 3 {
        return 0.0;
    }
    let dark = |x: u32, y: u32| image.get_pixel(x, y).0[0] < 128;
    let mut isolated = 0u64;
    // Every other row is enough for an estimate.
    for y in (1..h - 1).step_by(2) {
        for x in 1..w - 1 {
            if dark(x, y)
                && !(dark(x - 1, y - 1) || dark(x, y - 1) || dark(x + 1, y - 1) || dark(x - 1, y) || dark(x + 1, y)
                    || dark(x - 1, y + 1) || dark(x, y + 1) || dark(x + 1, y + 1))
            {
                isolated += 1;
            }
        }
    }
    isolated as f32 / ((w - 2) as f32 * ((h - 2) / 2) as f32)
}

/// Read one page picture: orientation, deskew, recognition, boxes in page points.
pub fn read_page(reader: &mut Reader, input: &PageImage, options: &OcrOptions) -> Result<Page> {
    let started = Instant::now();
    let (w0, h0) = input.image.dimensions();
    if w0 == 0 || h0 == 0 {
        return Err(Error::Ocr("image vide".into()));
    }
    // 0. Speckle noise (dust, bad scanners) is read as punctuation and blurs the profiles: a
    //    median filter removes it when isolated dark pixels are frequent, before any resampling.
    let cleaned;
    let source = if speckle_share(&input.image) > 0.0005 {
        cleaned = imageproc::filter::median_filter(&input.image, 1, 1);
        &cleaned
    } else {
        &input.image
    };
    // 1. Orientation class and skew.
    let (mut skew, vertical) = estimate_layout(source, options.max_skew_deg);
    let mut rotation: u16 = if vertical && options.detect_orientation { 90 } else { 0 };
    if !options.detect_orientation && vertical {
        skew = 0.0;
    }
    let upright = |rotation: u16, skew: f32| {
        let turned = turn(source, rotation);
        if skew.abs() > 0.05 {
            rotate_about_center(&turned, skew.to_radians(), Interpolation::Bilinear, Border::Constant(Luma([255])))
        } else {
            turned
        }
    };
    let mut picture = upright(rotation, skew);
    // 2. Upside down? Read the densest strip both ways.
    if options.detect_orientation {
        let strip = densest_strip(&picture);
        let straight = reader.confidence(&strip, input.dpi)?;
        let flipped = reader.confidence(&imageops::rotate180(&strip), input.dpi)?;
        if flipped > straight + 5.0 {
            rotation = (rotation + 180) % 360;
            picture = imageops::rotate180(&picture);
        }
    }
    // 3. Enlarge small scans: tesseract reads best around 300 dpi.
    let mut factor = 1.0f32;
    let mut dpi = input.dpi;
    if input.dpi < options.min_recognition_dpi {
        factor = 300.0 / input.dpi as f32;
        let (w, h) = picture.dimensions();
        picture = imageops::resize(&picture, (w as f32 * factor) as u32, (h as f32 * factor) as u32, imageops::FilterType::CatmullRom);
        dpi = 300;
    }
    let words = parse_tsv(&reader.tsv(&picture, dpi, Segmentation::Auto)?);
    // 4. Back to the page as displayed: undo enlargement, deskew, turn; then pixels to points.
    let (uw, uh) = if rotation % 180 == 90 { (h0 as f32, w0 as f32) } else { (w0 as f32, h0 as f32) };
    let (s, c) = (-skew).to_radians().sin_cos();
    let (sx, sy) = (input.width_pt / w0 as f32, input.height_pt / h0 as f32);
    let to_page = |x: f32, y: f32| {
        let (x, y) = (x / factor, y / factor);
        // The deskewed picture is the turned picture rotated clockwise by `skew` about its centre.
        let (dx, dy) = (x - uw / 2.0, y - uh / 2.0);
        let (x, y) = (c * dx - s * dy + uw / 2.0, s * dx + c * dy + uh / 2.0);
        let (x, y) = unturn(x, y, rotation, w0 as f32, h0 as f32);
        (x * sx, y * sy)
    };
    let map_box = |w: &TsvWord| {
        let corners = [
            to_page(w.left, w.top),
            to_page(w.left + w.width, w.top),
            to_page(w.left, w.top + w.height),
            to_page(w.left + w.width, w.top + w.height),
        ];
        let xs = corners.iter().map(|p| p.0);
        let ys = corners.iter().map(|p| p.1);
        BBox::new(
            xs.clone().fold(f32::MAX, f32::min).max(0.0),
            ys.clone().fold(f32::MAX, f32::min).max(0.0),
            xs.fold(f32::MIN, f32::max).min(input.width_pt),
            ys.fold(f32::MIN, f32::max).min(input.height_pt),
        )
    };
    // 5. Text in tesseract's reading order, one line per TSV line.
    let mut builder = TextBuilder::new();
    let mut spans = Vec::new();
    let mut confidences = Vec::new();
    let mut prev_key: Option<(u32, u32, u32)> = None;
    for (i, word) in words.iter().enumerate() {
        let key = (word.block, word.par, word.line);
        if prev_key != Some(key) {
            if prev_key.is_some() {
                builder.end_line(Some(&word.text));
            }
            let paragraph_start = prev_key.is_none_or(|(b, p, _)| (b, p) != (word.block, word.par));
            spans.push((builder.len(), LineRole::Body, paragraph_start));
        } else {
            builder.push_space();
        }
        prev_key = Some(key);
        builder.push_word(&word.text, map_box(word));
        if word.conf >= 0.0 {
            confidences.push((i, word.conf));
        }
    }
    let (text, char_boxes) = builder.finish();
    let mut laid = layout::assemble(text, char_boxes, &spans);
    // Word confidences: words are assembled in the same order as the TSV words, but a word cut
    // by a hyphen at a line end is split in two; match by position.
    let mut tsv_iter = words.iter().peekable();
    for word in &mut laid.words {
        while let Some(t) = tsv_iter.peek() {
            let b = map_box(t);
            if b.intersection_area(&word.bbox) > 0.0 {
                word.confidence = Some(t.conf.max(0.0));
                tsv_iter.next();
                break;
            }
            tsv_iter.next();
        }
    }
    let confidence =
        (!confidences.is_empty()).then(|| confidences.iter().map(|(_, c)| *c).sum::<f32>() / confidences.len() as f32);
    tracing::debug!(page = input.number, ms = started.elapsed().as_millis() as u64, rotation, skew, "page OCR");
    Ok(Page {
        number: input.number,
        width: input.width_pt,
        height: input.height_pt,
        method: ExtractionMethod::Ocr,
        ocr_decision: input.decision.clone(),
        text: laid.text,
        char_boxes: laid.char_boxes,
        lines: laid.lines,
        words: laid.words,
        rotation,
        skew_deg: skew,
        confidence,
    })
}

/// Read many page pictures on several threads, one tesseract instance per thread. Pictures
/// are pulled from `inputs` lazily (at most two per worker wait in memory), so the caller can
/// render them while earlier ones are read. Results come back in page order.
pub fn ocr_pages<I>(inputs: I, options: &OcrOptions) -> Vec<std::result::Result<Page, PageIssue>>
where
    I: Iterator<Item = std::result::Result<PageImage, PageIssue>>,
{
    let workers = options.worker_count();
    let (job_tx, job_rx) = mpsc::sync_channel::<PageImage>(workers * 2);
    let job_rx = std::sync::Mutex::new(job_rx);
    let (res_tx, res_rx) = mpsc::channel::<std::result::Result<Page, PageIssue>>();
    let mut early = Vec::new();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let res_tx = res_tx.clone();
            let job_rx = &job_rx;
            scope.spawn(move || {
                let mut reader: Option<Reader> = None;
                loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok(job) = job else { break };
                    let number = job.number;
                    let result = (|| {
                        if reader.is_none() {
                            reader = Some(Reader::new(&options.language, options.page_budget)?);
                        }
                        read_page(reader.as_mut().expect("reader set"), &job, options)
                    })();
                    let _ = res_tx.send(result.map_err(|e| PageIssue { page: number, message: e.to_string() }));
                }
            });
        }
        drop(res_tx);
        for input in inputs {
            match input {
                Ok(job) => {
                    if job_tx.send(job).is_err() {
                        break;
                    }
                }
                // Unreadable before OCR (rendering failed): passed through as is.
                Err(issue) => early.push(issue),
            }
        }
        drop(job_tx);
    });
    let mut results: Vec<std::result::Result<Page, PageIssue>> = res_rx.into_iter().collect();
    results.extend(early.into_iter().map(Err));
    results.sort_by_key(|r| match r {
        Ok(p) => p.number,
        Err(i) => i.page,
    });
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words_are_parsed() {
        let tsv = "1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t10\t20\t30\t12\t91.5\tPlainte\n\
                   5\t1\t1\t1\t1\t2\t45\t20\t20\t12\t88\t \n";
        let words = parse_tsv(tsv);
        assert_eq!(words.len(), 1);
        assert_eq!(words[0].text, "Plainte");
        assert_eq!((words[0].left, words[0].top, words[0].conf), (10.0, 20.0, 91.5));
    }

    #[test]
    fn unturn_inverts_turn() {
        // A 4×2 picture with one dark pixel at (3, 0); after each turn, map its centre back.
        let mut img = GrayImage::from_pixel(4, 2, Luma([255]));
        img.put_pixel(3, 0, Luma([0]));
        for deg in [0u16, 90, 180, 270] {
            let t = turn(&img, deg);
            let (x, y) = t.enumerate_pixels().find(|p| p.2.0[0] == 0).map(|p| (p.0, p.1)).unwrap();
            let (ox, oy) = unturn(x as f32 + 0.5, y as f32 + 0.5, deg, 4.0, 2.0);
            assert_eq!((ox, oy), (3.5, 0.5), "turn {deg}");
        }
    }

    #[test]
    fn skew_of_drawn_lines_is_measured() {
        // Horizontal bars (like text lines), rotated clockwise by 3°: the estimate undoes it.
        let mut img = GrayImage::from_pixel(800, 1000, Luma([255]));
        for row in 0..20 {
            for y in 100 + row * 40..100 + row * 40 + 12 {
                for x in 100..700 {
                    // Word gaps at places that differ from line to line, as in text.
                    if ((x + row * 37 * row) / 11) % 5 != 4 {
                        img.put_pixel(x, y, Luma([0]));
                    }
                }
            }
        }
        let skewed = rotate_about_center(&img, 3f32.to_radians(), Interpolation::Bilinear, Border::Constant(Luma([255])));
        let (angle, vertical) = estimate_layout(&skewed, 8.0);
        assert!(!vertical);
        assert!((angle + 3.0).abs() < 0.3, "estimated {angle}");
        let (_, vertical) = estimate_layout(&imageops::rotate90(&img), 8.0);
        assert!(vertical);
    }
}
