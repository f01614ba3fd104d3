//! Simulated scanning: a native page is rendered by pdfium at 150, 200 or 300 dpi, then
//! skewed (up to ±3°), sometimes turned a quarter or half turn, blurred, soiled with noise and
//! specks, and saved as a grey JPEG with visible artefacts. The result goes back into the PDF as
//! an image-only page, without any text layer: what an investigator's office scanner produces.
//!
//! The gold boxes of a scanned page are moved by the same transform as the pixels, so they stay
//! true in the coordinates of the scanned page.

use image::{ExtendedColorType, GrayImage, ImageEncoder as _};
use pdfium_render::prelude::{PdfPage, PdfRenderConfig};
use rand::Rng as _;

use crate::french::{Rng, chance, pick};
use crate::gold::Scan;
use crate::pdf::ImagePage;
use crate::Result;

/// Draw the parameters of one page's scan.
pub fn draw(rng: &mut Rng, sideways_allowed: bool) -> Scan {
    let rotation = if sideways_allowed && chance(rng, 0.12) { *pick(rng, &[90, 180, 270]) } else { 0 };
    Scan {
        dpi: *pick(rng, &[150, 150, 200, 200, 300]),
        skew_deg: (rng.random_range(-300..=300) as f32) / 100.0,
        rotation,
        blur: if chance(rng, 0.35) { 1.0 } else { 0.0 },
        noise: *pick(rng, &[2.0, 4.0, 6.0, 9.0]),
        jpeg_quality: *pick(rng, &[35, 45, 55, 65, 75]),
    }
}

/// Total rotation of the content, radians, in y-down page coordinates (positive is clockwise
/// on screen).
fn angle(scan: &Scan) -> f32 {
    (scan.rotation as f32 - scan.skew_deg).to_radians()
}

/// Size of the scanned page, points: a quarter turn swaps width and height.
pub fn scanned_size(size: (f32, f32), scan: &Scan) -> (f32, f32) {
    if scan.rotation % 180 == 90 { (size.1, size.0) } else { size }
}

/// Where a box of the native page lands on the scanned page: the axis-aligned hull of its
/// transformed corners, points, top-left origin.
pub fn transform_box(bbox: [f32; 4], size: (f32, f32), scan: &Scan) -> [f32; 4] {
    let out = scanned_size(size, scan);
    let (c_in, c_out) = ((size.0 / 2.0, size.1 / 2.0), (out.0 / 2.0, out.1 / 2.0));
    let (sin, cos) = angle(scan).sin_cos();
    let corners = [(bbox[0], bbox[1]), (bbox[2], bbox[1]), (bbox[2], bbox[3]), (bbox[0], bbox[3])];
    let mut hull = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
    for (x, y) in corners {
        let (dx, dy) = (x - c_in.0, y - c_in.1);
        let (u, v) = (dx * cos - dy * sin + c_out.0, dx * sin + dy * cos + c_out.1);
        hull = [hull[0].min(u), hull[1].min(v), hull[2].max(u), hull[3].max(v)];
    }
    hull.map(|v| (v * 100.0).round() / 100.0)
}

/// Scan one page of a native document.
pub fn scan_page(page: &PdfPage<'_>, size: (f32, f32), scan: &Scan, seed: u64) -> Result<ImagePage> {
    let scale = scan.dpi as f32 / 72.0;
    let config = PdfRenderConfig::new().scale_page_by_factor(scale).use_grayscale_rendering(true);
    let rendered = page.render_with_config(&config)?.as_image()?.to_luma8();
    let out_size = scanned_size(size, scan);
    let (w, h) = ((out_size.0 * scale).round() as u32, (out_size.1 * scale).round() as u32);
    let mut img = rotate(&rendered, w, h, angle(scan));
    if scan.blur > 0.0 {
        box_blur(&mut img, scan.blur.round() as usize);
    }
    soil(&mut img, scan.noise, seed);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, scan.jpeg_quality).write_image(
        img.as_raw(),
        w,
        h,
        ExtendedColorType::L8,
    )?;
    Ok(ImagePage { width: out_size.0, height: out_size.1, pixels_wide: w, pixels_high: h, jpeg })
}

/// Rotate `src` by `theta` about its centre onto a `w`×`h` canvas (bilinear); the scanner lid
/// shows grey where the sheet does not cover the glass. The paper itself is slightly off-white.
fn rotate(src: &GrayImage, w: u32, h: u32, theta: f32) -> GrayImage {
    let (sw, sh) = (src.width() as i64, src.height() as i64);
    let raw = src.as_raw();
    let (sin, cos) = theta.sin_cos();
    let (cx_in, cy_in) = (sw as f32 / 2.0, sh as f32 / 2.0);
    let (cx_out, cy_out) = (w as f32 / 2.0, h as f32 / 2.0);
    let mut out = vec![0u8; (w * h) as usize];
    const LID: f32 = 150.0;
    let paper = |v: f32| 244.0 - (255.0 - v) * 0.93;
    for y in 0..h {
        let dy = y as f32 + 0.5 - cy_out;
        // Inverse rotation: p_in = R(-θ)(p_out - c_out) + c_in.
        let row_x = -dy * -sin + cx_in - 0.5;
        let row_y = dy * cos + cy_in - 0.5;
        for x in 0..w {
            let dx = x as f32 + 0.5 - cx_out;
            let sx = dx * cos + row_x;
            let sy = dx * -sin + row_y;
            let (x0, y0) = (sx.floor() as i64, sy.floor() as i64);
            let v = if x0 < -1 || y0 < -1 || x0 >= sw || y0 >= sh {
                LID
            } else {
                let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
                let at = |xx: i64, yy: i64| -> f32 {
                    if xx < 0 || yy < 0 || xx >= sw || yy >= sh { LID } else { paper(f32::from(raw[(yy * sw + xx) as usize])) }
                };
                let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
                let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
                top * (1.0 - fy) + bottom * fy
            };
            out[(y * w + x) as usize] = v.clamp(0.0, 255.0) as u8;
        }
    }
    GrayImage::from_raw(w, h, out).expect("buffer matches size")
}

/// Separable box blur of radius `r`.
fn box_blur(img: &mut GrayImage, r: usize) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let buf = img.as_mut();
    let mut tmp = vec![0u8; buf.len()];
    let n = (2 * r + 1) as u32;
    for y in 0..h {
        let row = &buf[y * w..(y + 1) * w];
        for x in 0..w {
            let (a, b) = (x.saturating_sub(r), (x + r).min(w - 1));
            let sum: u32 = row[a..=b].iter().map(|v| u32::from(*v)).sum::<u32>() + u32::from(row[x]) * (n - (b - a + 1) as u32);
            tmp[y * w + x] = (sum / n) as u8;
        }
    }
    for x in 0..w {
        for y in 0..h {
            let (a, b) = (y.saturating_sub(r), (y + r).min(h - 1));
            let mut sum = 0u32;
            for yy in a..=b {
                sum += u32::from(tmp[yy * w + x]);
            }
            sum += u32::from(tmp[y * w + x]) * (n - (b - a + 1) as u32);
            buf[y * w + x] = (sum / n) as u8;
        }
    }
}

/// Grey noise of standard deviation `sigma`, plus a few dark specks (dust on the glass).
fn soil(img: &mut GrayImage, sigma: f32, seed: u64) {
    let mut state = seed | 1;
    let mut next = move || {
        // xorshift64*: fast and deterministic; statistical quality is ample for noise.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let (w, h) = (img.width(), img.height());
    for px in img.as_mut().iter_mut() {
        let r = next();
        // Sum of four bytes ≈ normal, mean 510, sd ≈ 147.8.
        let s = (r & 0xFF) + ((r >> 8) & 0xFF) + ((r >> 16) & 0xFF) + ((r >> 24) & 0xFF);
        let n = (s as f32 - 510.0) / 147.8 * sigma;
        *px = (f32::from(*px) + n).clamp(0.0, 255.0) as u8;
    }
    let specks = (w as u64 * h as u64) / 400_000 + 5;
    for _ in 0..specks {
        let r = next();
        let (x, y) = ((r % u64::from(w)) as u32, ((r >> 32) % u64::from(h)) as u32);
        let size = 1 + (r >> 60) as u32 % 3;
        for dy in 0..size {
            for dx in 0..size {
                if x + dx < w && y + dy < h {
                    img.put_pixel(x + dx, y + dy, image::Luma([40]));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(rotation: u32, skew: f32) -> Scan {
        Scan { dpi: 150, skew_deg: skew, rotation, blur: 0.0, noise: 0.0, jpeg_quality: 50 }
    }

    #[test]
    fn boxes_follow_quarter_turns() {
        let size = (600.0, 800.0);
        let b = [100.0, 50.0, 200.0, 70.0];
        assert_eq!(transform_box(b, size, &scan(0, 0.0)), b);
        // Half turn: the box moves to the opposite corner.
        assert_eq!(transform_box(b, size, &scan(180, 0.0)), [400.0, 730.0, 500.0, 750.0]);
        // Quarter turn clockwise: page becomes 800 wide, 600 high; top-left goes top-right.
        assert_eq!(scanned_size(size, &scan(90, 0.0)), (800.0, 600.0));
        assert_eq!(transform_box(b, size, &scan(90, 0.0)), [730.0, 100.0, 750.0, 200.0]);
    }

    #[test]
    fn skew_grows_the_box_a_little() {
        let b = [100.0, 50.0, 300.0, 62.0];
        let t = transform_box(b, (600.0, 800.0), &scan(0, 2.0));
        assert!(t[2] - t[0] >= 199.0 && t[3] - t[1] > 12.0 && t[3] - t[1] < 22.0, "{t:?}");
    }

    #[test]
    fn pixels_and_boxes_rotate_the_same_way() {
        // A black square at a known box, rotated by the pixel path, lands inside the
        // transformed box.
        let mut src = GrayImage::from_pixel(60, 80, image::Luma([255]));
        for y in 10..20 {
            for x in 40..50 {
                src.put_pixel(x, y, image::Luma([0]));
            }
        }
        for s in [scan(90, 0.0), scan(180, 1.5), scan(270, -2.0), scan(0, 3.0)] {
            let (w, h) = scanned_size((60.0, 80.0), &s);
            let out = rotate(&src, w as u32, h as u32, angle(&s));
            let bx = transform_box([40.0, 10.0, 50.0, 20.0], (60.0, 80.0), &s);
            let dark: Vec<(u32, u32)> =
                out.enumerate_pixels().filter(|(_, _, p)| p.0[0] < 60).map(|(x, y, _)| (x, y)).collect();
            assert!(!dark.is_empty());
            for (x, y) in dark {
                let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
                assert!(fx >= bx[0] - 1.0 && fx <= bx[2] + 1.0 && fy >= bx[1] - 1.0 && fy <= bx[3] + 1.0, "{s:?}: ({x},{y}) outside {bx:?}");
            }
        }
    }
}
