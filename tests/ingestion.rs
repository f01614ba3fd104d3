//! Ingestion operators end to end, on PDFs and scans made here with pdfium (DejaVu fonts):
//! text layer with boxes in reading order, OCR of turned and skewed scans with boxes mapped back
//! to the page, passages over page breaks, pieces, and bad input that never stops a dossier.
//! The corpus-sample checks of the issue (gold files of `datasets/sample`) are in [`sample`].


use std::io::Write;

use ap_operators::document::{BBox, Document, ExtractionMethod, LineRole, OcrDecision};
use ap_operators::input::{IngestOptions, Ingestor, InputFile, Limits};
use ap_operators::native::NativeLibs;
use ap_operators::normalize::normalize_str;
use ap_operators::passage::{PassageKind, passages};
use ap_operators::piece::{PieceKind, pieces};
use ap_tests::{DEJAVU_SANS, cer, wrap_words};
use image::{DynamicImage, GrayImage, Luma};
use imageproc::geometric_transformations::{Border, Interpolation, rotate_about_center};
use pdfium_render::prelude::*;


mod sample;

const A4: (f32, f32) = (595.28, 841.89);

/// One text object: left x, baseline y (both from the top-left corner), size, text.
#[derive(Debug, Clone)]
struct Text {
    x: f32,
    baseline: f32,
    size: f32,
    text: String,
}

fn t(x: f32, baseline: f32, size: f32, text: &str) -> Text {
    Text { x, baseline, size, text: text.to_string() }
}

fn pdfium() -> &'static Pdfium {
    NativeLibs::default().pdfium().expect("pdfium from .deps/lib (make setup)")
}

/// A PDF whose pages hold the given text objects, in DejaVu Sans.
fn make_pdf(pages: &[Vec<Text>]) -> Vec<u8> {
    let pdfium = pdfium();
    let mut doc = pdfium.create_new_pdf().unwrap();
    let font = doc.fonts_mut().load_true_type_from_file(DEJAVU_SANS, true).unwrap();
    for texts in pages {
        let mut page = doc.pages_mut().create_page_at_end(PdfPagePaperSize::a4()).unwrap();
        let h = page.height().value;
        for tx in texts {
            page.objects_mut()
                .create_text_object(PdfPoints::new(tx.x), PdfPoints::new(h - tx.baseline), &tx.text, font, PdfPoints::new(tx.size))
                .unwrap();
        }
    }
    doc.save_to_bytes().unwrap()
}

/// A PDF whose pages are pictures only (scans), each `width_pt` × `height_pt`.
fn make_scanned_pdf(images: &[(GrayImage, f32, f32)]) -> Vec<u8> {
    let pdfium = pdfium();
    let mut doc = pdfium.create_new_pdf().unwrap();
    for (img, w, h) in images {
        let size = PdfPagePaperSize::from_points(PdfPoints::new(*w), PdfPoints::new(*h));
        let mut page = doc.pages_mut().create_page_at_end(size).unwrap();
        let dynamic = DynamicImage::ImageLuma8(img.clone()).to_rgb8();
        page.objects_mut()
            .create_image_object(
                PdfPoints::new(0.0),
                PdfPoints::new(0.0),
                &DynamicImage::ImageRgb8(dynamic),
                Some(PdfPoints::new(*w)),
                Some(PdfPoints::new(*h)),
            )
            .unwrap();
    }
    doc.save_to_bytes().unwrap()
}

fn ingestor() -> Ingestor<'static> {
    Ingestor::new(pdfium(), IngestOptions::default())
}

fn read(name: &str, bytes: Vec<u8>) -> Document {
    let dossier = ingestor().ingest_dossier(&[InputFile { name: name.into(), bytes }]);
    assert!(dossier.issues.is_empty(), "{:?}", dossier.issues);
    dossier.documents.into_iter().next().unwrap()
}

/// French sentences of a procès-verbal, wrapped at `width` characters.
fn body_lines(width: usize) -> Vec<String> {
    let text = "L'an deux mille vingt-quatre, le douze mars à quatorze heures trente, nous, Jean MARTIN, \
        officier de police judiciaire en résidence au commissariat de Créteil, entendons Monsieur DUPONT \
        Kevin, né le 03/05/1998 à Créteil (94), qui déclare : « Je reconnais avoir poussé ma compagne \
        pendant la dispute, mais je ne l'ai pas frappée. » Question : Avez-vous consommé de l'alcool ? \
        Réponse : Oui, deux bières vers dix-neuf heures. Le certificat médical établi par l'unité \
        médico-judiciaire retient une ITT de cinq (5) jours. Lecture faite par lui-même, persiste et signe \
        avec nous. Les scellés numéro un et deux sont déposés au greffe ; l'œuvre du cœur « ça suffit ».";
    wrap_words(text, width)
}

fn page_of_lines(lines: &[String], top: f32, size: f32) -> Vec<Text> {
    lines.iter().enumerate().map(|(i, l)| t(60.0, top + i as f32 * size * 1.5, size, l)).collect()
}

fn squash(s: &str) -> String {
    normalize_str(s)
}


#[test]
fn native_page_gives_every_line_and_the_boxes_where_it_was_drawn() {
    let lines = body_lines(70);
    let bytes = make_pdf(&[page_of_lines(&lines, 100.0, 11.0)]);
    let doc = read("pv.pdf", bytes);
    let page = &doc.pages[0];
    assert_eq!(page.method, ExtractionMethod::Native);
    assert!(matches!(page.ocr_decision, OcrDecision::TextLayerOk { .. }), "{:?}", page.ocr_decision);
    assert!((page.width - A4.0).abs() < 0.01 && (page.height - A4.1).abs() < 0.01);
    let got: Vec<&str> = page.lines.iter().map(|l| &page.text[l.range.clone()]).collect();
    let want: Vec<String> = lines.iter().map(|l| normalize_str(l)).collect();
    assert_eq!(got, want);
    assert_eq!(page.text.chars().count(), page.char_boxes.len());

    // "une ITT de cinq (5) jours" sits on one line: its box starts where the line's text
    // object starts plus the width of what precedes it, and spans the line's baseline.
    let quote = "une ITT de cinq (5) jours";
    let hits = page.find(quote);
    assert_eq!(hits.len(), 1);
    let boxes = page.boxes_for(hits[0].clone());
    let line_index = lines.iter().position(|l| l.contains(quote)).unwrap();
    let baseline = 100.0 + line_index as f32 * 16.5;
    assert_eq!(boxes.len(), 1);
    let b = boxes[0];
    assert!(b.y0 < baseline - 7.0 && b.y0 > baseline - 12.0, "{b:?} vs baseline {baseline}");
    assert!(b.y1 > baseline && b.y1 < baseline + 4.0, "{b:?} vs baseline {baseline}");
    // Width: DejaVu Sans at 11 pt, about 0.55 em per character.
    let per_char = b.width() / quote.chars().count() as f32;
    assert!(per_char > 4.5 && per_char < 7.5, "{b:?}");

    // The first word of each line starts at the text object's x.
    for line in &page.lines {
        assert!((line.bbox.x0 - 60.0).abs() < 1.5, "{:?}", line.bbox);
    }
}

#[test]
fn two_columns_headers_and_footers_are_read_in_order() {
    let mut pages = Vec::new();
    for n in 1..=3 {
        let mut texts = vec![
            t(60.0, 40.0, 9.0, "Commissariat de Créteil — procédure 2024/001234"),
            t(60.0, 110.0, 14.0, "RAPPORT DE SYNTHÈSE SUR DEUX COLONNES ET TITRE TRAVERSANT"),
        ];
        for i in 0..12 {
            let y = 150.0 + i as f32 * 15.0;
            texts.push(t(60.0, y, 10.0, &format!("gauche {n} ligne {i} du texte")));
            texts.push(t(320.0, y, 10.0, &format!("droite {n} ligne {i} du texte")));
        }
        texts.push(t(280.0, 815.0, 9.0, &format!("Page {n} / 3")));
        pages.push(texts);
    }
    let doc = read("colonnes.pdf", make_pdf(&pages));
    assert_eq!(doc.pages.len(), 3);
    for page in &doc.pages {
        let n = page.number;
        let lines: Vec<(&str, LineRole)> = page.lines.iter().map(|l| (&page.text[l.range.clone()], l.role)).collect();
        assert_eq!(lines[0], ("Commissariat de Créteil — procédure 2024/001234", LineRole::Header));
        assert_eq!(lines[1].0, "RAPPORT DE SYNTHÈSE SUR DEUX COLONNES ET TITRE TRAVERSANT");
        let left = format!("gauche {n} ligne 0 du texte");
        let right = format!("droite {n} ligne 0 du texte");
        assert_eq!(lines[2].0, left);
        assert_eq!(lines[13].0, format!("gauche {n} ligne 11 du texte"));
        assert_eq!(lines[14].0, right);
        assert_eq!(*lines.last().unwrap(), (format!("Page {n} / 3").as_str(), LineRole::Footer));
        assert!(!page.body_text().contains("Commissariat"));
    }
}

/// Render page 1 of `pdf` in grey at `dpi`.
fn render(pdf: &[u8], dpi: f32) -> GrayImage {
    let doc = pdfium().load_pdf_from_byte_slice(pdf, None).unwrap();
    let page = doc.pages().get(0).unwrap();
    let config = PdfRenderConfig::new().scale_page_by_factor(dpi / 72.0);
    page.render_with_config(&config).unwrap().as_image().unwrap().to_luma8()
}

/// A scan of `img`: turned clockwise by `turn` degrees, skewed by `skew` degrees, with salt and
/// pepper noise on a share `noise` of the pixels (deterministic).
fn scan(img: &GrayImage, turn: u16, skew: f32, noise: f32) -> GrayImage {
    let turned = match turn {
        90 => image::imageops::rotate90(img),
        180 => image::imageops::rotate180(img),
        270 => image::imageops::rotate270(img),
        _ => img.clone(),
    };
    let mut out = rotate_about_center(&turned, skew.to_radians(), Interpolation::Bilinear, Border::Constant(Luma([255])));
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for p in out.pixels_mut() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        if ((state % 10_000) as f32) < noise * 10_000.0 {
            p.0[0] = if state & 1 == 0 { 0 } else { 255 };
        }
    }
    out
}

/// Where a point of the upright page (points) lands on the scanned page (points).
fn scanned_point(x: f32, y: f32, turn: u16, skew: f32, (w, h): (f32, f32)) -> (f32, f32) {
    let (x, y, tw, th) = match turn {
        90 => (h - y, x, h, w),
        180 => (w - x, h - y, w, h),
        270 => (y, w - x, h, w),
        _ => (x, y, w, h),
    };
    let (s, c) = skew.to_radians().sin_cos();
    let (dx, dy) = (x - tw / 2.0, y - th / 2.0);
    (c * dx - s * dy + tw / 2.0, s * dx + c * dy + th / 2.0)
}

fn scanned_box(b: BBox, turn: u16, skew: f32, size: (f32, f32)) -> BBox {
    let corners = [(b.x0, b.y0), (b.x1, b.y0), (b.x0, b.y1), (b.x1, b.y1)].map(|(x, y)| scanned_point(x, y, turn, skew, size));
    let xs = corners.map(|p| p.0);
    let ys = corners.map(|p| p.1);
    BBox::new(
        xs.iter().copied().fold(f32::MAX, f32::min),
        ys.iter().copied().fold(f32::MAX, f32::min),
        xs.iter().copied().fold(f32::MIN, f32::max),
        ys.iter().copied().fold(f32::MIN, f32::max),
    )
}

/// Scan a native page several ways and check the OCR against the text layer: text right side up
/// within the error budget, word boxes where the words are on the scanned page.
fn check_scans(cases: &[(u16, f32, f32, f32, f32)]) {
    let lines = body_lines(70);
    let native_pdf = make_pdf(&[page_of_lines(&lines, 100.0, 11.0)]);
    let native = read("natif.pdf", native_pdf.clone());
    let native_page = &native.pages[0];
    let reference = squash(&native_page.text);
    let mut images = Vec::new();
    for &(turn, skew, noise, dpi, _) in cases {
        let img = scan(&render(&native_pdf, dpi), turn, skew, noise);
        let (w, h) = if turn % 180 == 90 { (A4.1, A4.0) } else { A4 };
        images.push((img, w, h));
    }
    let doc = read("scan.pdf", make_scanned_pdf(&images));
    assert_eq!(doc.pages.len(), cases.len());
    for (page, &(turn, skew, noise, dpi, max_cer)) in doc.pages.iter().zip(cases) {
        let what = format!("turn {turn}, skew {skew}, noise {noise}, {dpi} dpi");
        assert_eq!(page.method, ExtractionMethod::Ocr, "{what}");
        assert!(page.ocr_decision.needs_ocr(), "{what}: {:?}", page.ocr_decision);
        // The rotation recorded is the one applied to read the page: the inverse of the turn.
        assert_eq!(page.rotation, (360 - turn) % 360, "{what}");
        assert!((page.skew_deg + skew).abs() < 0.5, "{what}: measured skew {}", page.skew_deg);
        let error = cer(&reference, &squash(&page.text));
        println!("{what}: CER {:.2} %", error * 100.0);
        assert!(error <= max_cer, "{what}: CER {error} > {max_cer}\n{}\n---\n{}", page.text, native_page.text);
        // Word boxes: the centre of each OCR word matching a native word lies within half a
        // line of where that native word lands on the scan.
        let size = (page.width, page.height);
        let mut checked = 0;
        for word in page.words.iter().filter(|w| w.text.chars().count() >= 6) {
            let Some(nw) = native_page.words.iter().find(|n| n.text == word.text) else { continue };
            let want = scanned_box(nw.bbox, turn, skew, A4);
            let (cx, cy) = word.bbox.center();
            let (wx, wy) = want.center();
            assert!((cx - wx).abs() < 6.0 && (cy - wy).abs() < 6.0, "{what}: {} at {:?}, expected {:?}", word.text, word.bbox, want);
            assert!(word.confidence.is_some_and(|c| (0.0..=100.0).contains(&c)), "{what}: {:?}", word);
            assert!(word.bbox.x1 <= size.0 + 0.01 && word.bbox.y1 <= size.1 + 0.01);
            checked += 1;
        }
        assert!(checked >= 20, "{what}: only {checked} words compared");
        assert!(page.confidence.is_some_and(|c| c > 60.0), "{what}: mean confidence {:?}", page.confidence);
    }
}

#[test]
fn scans_at_300_dpi_are_read_right_side_up_with_boxes_on_the_page() {
    check_scans(&[(0, 0.0, 0.0, 300.0, 0.02), (90, 1.2, 0.0, 300.0, 0.02), (180, -0.8, 0.0, 300.0, 0.02)]);
}

#[test]
fn noisy_skewed_scans_at_150_and_200_dpi_stay_under_five_percent() {
    check_scans(&[(270, -1.5, 0.01, 200.0, 0.05), (0, 2.0, 0.005, 150.0, 0.05)]);
}

#[test]
fn image_files_and_multipage_tiff_are_read() {
    let lines = body_lines(60);
    let pdf = make_pdf(&[page_of_lines(&lines[..6], 100.0, 12.0)]);
    let img = render(&pdf, 300.0);
    let mut png = Vec::new();
    DynamicImage::ImageLuma8(img.clone()).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let mut jpeg = Vec::new();
    DynamicImage::ImageLuma8(img.clone()).write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg).unwrap();
    let mut tiff_bytes = Vec::new();
    {
        let mut enc = tiff::encoder::TiffEncoder::new(std::io::Cursor::new(&mut tiff_bytes)).unwrap();
        let turned = image::imageops::rotate180(&img);
        for page in [&img, &turned] {
            enc.write_image::<tiff::encoder::colortype::Gray8>(page.width(), page.height(), page.as_raw()).unwrap();
        }
    }
    let files = vec![
        InputFile { name: "scan.png".into(), bytes: png },
        InputFile { name: "scan.jpg".into(), bytes: jpeg },
        InputFile { name: "scan.tif".into(), bytes: tiff_bytes },
    ];
    let dossier = ingestor().ingest_dossier(&files);
    assert!(dossier.issues.is_empty(), "{:?}", dossier.issues);
    let pages: Vec<_> = dossier.documents.iter().flat_map(|d| &d.pages).collect();
    assert_eq!(pages.len(), 4);
    let reference = squash(&lines[..6].join(" "));
    for page in pages {
        assert_eq!(page.ocr_decision, OcrDecision::ImageInput);
        // 300 dpi assumed: the picture of an A4 page is an A4 page.
        assert!((page.width - A4.0).abs() < 1.0 && (page.height - A4.1).abs() < 1.0);
        let error = cer(&reference, &squash(&page.text));
        assert!(error < 0.02, "page {} CER {error}: {}", page.number, page.text);
    }
    assert_eq!(dossier.documents[2].pages[1].rotation, 180);
}

#[test]
fn passages_cross_page_breaks_and_keep_their_ids() {
    let make = |last_word: &str| {
        make_pdf(&[
            vec![
                t(60.0, 100.0, 11.0, "Le mis en cause a été interpellé à 22 h 10 devant le domicile."),
                t(60.0, 760.0, 11.0, "Il a déclaré aux policiers qu'il rentrait du travail et qu'il"),
            ],
            vec![
                t(60.0, 100.0, 11.0, "ne savait rien de la dispute. M. DUPONT a signé le procès-verbal."),
                t(60.0, 140.0, 11.0, &format!("Fin de la {last_word}.")),
            ],
        ])
    };
    let doc = read("pv.pdf", make("procédure"));
    let all = passages(&doc);
    let sentence = all
        .iter()
        .find(|p| p.kind == PassageKind::Sentence && p.text.starts_with("Il a déclaré"))
        .expect("the sentence over the page break");
    assert_eq!(sentence.text, "Il a déclaré aux policiers qu'il rentrait du travail et qu'il ne savait rien de la dispute.");
    assert_eq!(sentence.spans.iter().map(|s| s.page).collect::<Vec<_>>(), [1, 2]);
    assert!(sentence.spans[0].boxes[0].y0 > 700.0 && sentence.spans[1].boxes[0].y0 < 110.0);
    // "M. DUPONT" does not end a sentence.
    assert!(all.iter().any(|p| p.kind == PassageKind::Sentence && p.text == "M. DUPONT a signé le procès-verbal."));

    // Same content, same ids; a change elsewhere keeps them; a changed sentence gets a new id.
    let again = passages(&read("pv.pdf", make("procédure")));
    assert_eq!(all.iter().map(|p| &p.id).collect::<Vec<_>>(), again.iter().map(|p| &p.id).collect::<Vec<_>>());
    let changed = passages(&read("pv.pdf", make("garde à vue")));
    assert!(changed.iter().any(|p| p.id == sentence.id));
    let end_old = all.iter().find(|p| p.text == "Fin de la procédure.").unwrap();
    assert!(!changed.iter().any(|p| p.id == end_old.id));
    let ids: std::collections::HashSet<&String> = all.iter().map(|p| &p.id).collect();
    assert_eq!(ids.len(), all.len(), "ids are unique");
}

#[test]
fn pieces_start_at_headings_and_name_the_person_heard() {
    let pages = vec![
        vec![
            t(150.0, 80.0, 13.0, "PROCÈS-VERBAL DE PLAINTE"),
            t(60.0, 130.0, 11.0, "Se présente Madame LEROY Claire, qui dépose plainte contre son conjoint."),
        ],
        vec![t(60.0, 100.0, 11.0, "Elle ajoute que les faits se répètent depuis plusieurs mois.")],
        vec![
            t(120.0, 80.0, 13.0, "PROCÈS-VERBAL D'AUDITION DE TÉMOIN"),
            t(60.0, 130.0, 11.0, "Nous, Jean MARTIN, officier de police judiciaire,"),
            t(60.0, 146.0, 11.0, "entendons Monsieur DURAND Paul en qualité de témoin, qui déclare :"),
        ],
        vec![
            t(90.0, 80.0, 13.0, "PROCÈS-VERBAL D'AUDITION (SUITE)"),
            t(60.0, 130.0, 11.0, "Entendons Monsieur DUPONT Kevin, placé en garde à vue, qui déclare :"),
        ],
        vec![t(200.0, 80.0, 13.0, "CERTIFICAT MÉDICAL"), t(60.0, 130.0, 11.0, "Examen de Madame LEROY Claire.")],
    ];
    let doc = read("procedure.pdf", make_pdf(&pages));
    let got: Vec<(PieceKind, u32, u32)> = pieces(&doc).iter().map(|p| (p.kind, p.first_page, p.last_page)).collect();
    assert_eq!(
        got,
        [
            (PieceKind::Plainte, 1, 2),
            (PieceKind::AuditionTemoin, 3, 3),
            (PieceKind::AuditionMisEnCause, 4, 4),
            (PieceKind::CertificatMedical, 5, 5)
        ]
    );
    let all = pieces(&doc);
    assert_eq!(all[1].persons.len(), 1);
    assert_eq!(all[1].persons[0].nom, "DURAND");
    assert_eq!(all[1].persons[0].prenom.as_deref(), Some("Paul"));
    assert_eq!(all[2].persons[0].nom, "DUPONT");
    assert_eq!(all[0].persons[0].nom, "LEROY");
}

/// A PDF claiming to be encrypted with the standard security handler and a user password.
fn encrypted_pdf() -> Vec<u8> {
    let plain = make_pdf(&[vec![t(60.0, 100.0, 11.0, "secret")]]);
    let text = String::from_utf8_lossy(&plain).to_string();
    // Add an /Encrypt dictionary to the trailer; the empty password does not open it.
    let o = "<".to_string() + &"4f".repeat(32) + ">";
    let u = "<".to_string() + &"55".repeat(32) + ">";
    let enc = format!("/Encrypt << /Filter /Standard /V 1 /R 2 /O {o} /U {u} /P -44 >> /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]");
    assert!(text.contains("trailer"), "pdfium wrote an xref stream; adapt the fixture");
    text.replacen("trailer\r\n<<", &format!("trailer\r\n<<{enc}"), 1).replacen("trailer\n<<", &format!("trailer\n<<{enc}"), 1).into_bytes()
}

#[test]
fn bad_files_get_clear_french_errors_and_never_stop_the_dossier() {
    let good = make_pdf(&[vec![t(60.0, 100.0, 11.0, "Procès-verbal lisible.")]]);
    let two_pages = make_pdf(&[
        vec![t(60.0, 100.0, 11.0, "Première page lisible du document tronqué.")],
        vec![t(60.0, 100.0, 11.0, "Deuxième page.")],
    ]);
    let truncated = two_pages[..two_pages.len() * 3 / 4].to_vec();
    let empty = {
        let doc = pdfium().create_new_pdf().unwrap();
        doc.save_to_bytes().unwrap()
    };
    let mut zip_bytes = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut zip_bytes));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("dans-archive.pdf", opts).unwrap();
        zip.write_all(&good).unwrap();
        zip.start_file("notes.txt", opts).unwrap();
        zip.write_all(b"rien a voir").unwrap();
        zip.finish().unwrap();
    }
    let files = vec![
        InputFile { name: "chiffre.pdf".into(), bytes: encrypted_pdf() },
        InputFile { name: "tronque.pdf".into(), bytes: truncated },
        InputFile { name: "vide.pdf".into(), bytes: empty },
        InputFile { name: "lettre.docx".into(), bytes: b"PK-not-really\x00 just text".to_vec() },
        InputFile { name: "texte.txt".into(), bytes: "Ceci n'est pas un document.".into() },
        InputFile { name: "bon.pdf".into(), bytes: good },
        InputFile { name: "archive.zip".into(), bytes: zip_bytes },
    ];
    let dossier = ingestor().ingest_dossier(&files);
    let issue = |file: &str| {
        dossier.issues.iter().find(|i| i.file == file).map(|i| i.message.clone()).unwrap_or_else(|| panic!("no issue for {file}: {:?}", dossier.issues))
    };
    assert!(issue("chiffre.pdf").contains("chiffré"), "{}", issue("chiffre.pdf"));
    assert!(issue("chiffre.pdf").contains("chiffre.pdf"));
    assert!(issue("vide.pdf").contains("aucune page"), "{}", issue("vide.pdf"));
    assert!(issue("texte.txt").contains("format non pris en charge"), "{}", issue("texte.txt"));
    assert!(issue("lettre.docx").contains("lettre.docx"));
    assert!(issue("archive.zip/notes.txt").contains("format non pris en charge"));
    let files_read: Vec<&str> = dossier.documents.iter().map(|d| d.file.as_str()).collect();
    assert!(files_read.contains(&"bon.pdf") && files_read.contains(&"archive.zip/dans-archive.pdf"), "{files_read:?}");
    // The truncated file: its readable page is kept, or the file is refused with a reason.
    match dossier.documents.iter().find(|d| d.file == "tronque.pdf") {
        Some(doc) => assert!(doc.pages[0].text.contains("Première page lisible"), "{:?}", doc.pages[0].text),
        None => assert!(issue("tronque.pdf").contains("tronque.pdf")),
    }
    let ids: Vec<&str> = dossier.documents.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, (1..=ids.len()).map(|i| format!("doc{i}")).collect::<Vec<_>>());
}

#[test]
fn limits_bound_page_size_and_decompression() {
    // A page of 5 m × 5 m: refused by a limit of 4 m², the file reported, nothing rendered.
    let pdfium = pdfium();
    let mut doc = pdfium.create_new_pdf().unwrap();
    let size = PdfPagePaperSize::from_points(PdfPoints::new(14_000.0), PdfPoints::new(14_000.0));
    doc.pages_mut().create_page_at_end(size).unwrap();
    let huge = doc.save_to_bytes().unwrap();
    // 50 MB of zeros compress to about 50 KB: a bomb for a 10 MB limit.
    let mut bomb = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut bomb));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("zeros.pdf", opts).unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..50 {
            zip.write_all(&chunk).unwrap();
        }
        zip.finish().unwrap();
    }
    assert!(bomb.len() < 1 << 20);
    let limits = Limits { max_file_bytes: 10 << 20, ..Limits::default() };
    let ingestor = Ingestor::new(pdfium, IngestOptions { limits, ..IngestOptions::default() });
    let started = std::time::Instant::now();
    let dossier = ingestor.ingest_dossier(&[
        InputFile { name: "immense.pdf".into(), bytes: huge },
        InputFile { name: "bombe.zip".into(), bytes: bomb },
    ]);
    assert!(dossier.documents.is_empty());
    let messages: Vec<&str> = dossier.issues.iter().map(|i| i.message.as_str()).collect();
    assert!(messages[0].contains("immense.pdf") && messages[0].contains("limite"), "{messages:?}");
    assert!(messages[1].contains("bombe.zip") && messages[1].contains("dépasse la limite"), "{messages:?}");
    // Nothing was rendered: a 14,000-point page at 300 dpi would take minutes.
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn pages_whose_text_layer_cannot_be_trusted_go_to_ocr_with_the_reason() {
    let lines = body_lines(60);
    let clean = make_pdf(&[page_of_lines(&lines[..5], 100.0, 12.0)]);
    let picture = render(&clean, 200.0);
    let pdfium = pdfium();
    let mut doc = pdfium.create_new_pdf().unwrap();
    let font = doc.fonts_mut().load_true_type_from_file(DEJAVU_SANS, true).unwrap();
    // Page 1: a scan with an invisible, wrong text layer over it (a bad earlier OCR).
    {
        let mut page = doc.pages_mut().create_page_at_end(PdfPagePaperSize::a4()).unwrap();
        let rgb = DynamicImage::ImageRgb8(DynamicImage::ImageLuma8(picture.clone()).to_rgb8());
        page.objects_mut()
            .create_image_object(PdfPoints::new(0.0), PdfPoints::new(0.0), &rgb, Some(PdfPoints::new(A4.0)), Some(PdfPoints::new(A4.1)))
            .unwrap();
        for i in 0..5 {
            let mut obj = page
                .objects_mut()
                .create_text_object(PdfPoints::new(60.0), PdfPoints::new(700.0 - 18.0 * i as f32), "Lorem ipsum dolor sit amet consectetur", font, PdfPoints::new(12.0))
                .unwrap();
            obj.as_text_object_mut().unwrap().set_render_mode(PdfPageTextRenderMode::Invisible).unwrap();
        }
        page.regenerate_content().unwrap();
    }
    // Page 2: a visible text layer of symbol soup (a broken font encoding).
    {
        let mut page = doc.pages_mut().create_page_at_end(PdfPagePaperSize::a4()).unwrap();
        for i in 0..5 {
            page.objects_mut()
                .create_text_object(PdfPoints::new(60.0), PdfPoints::new(700.0 - 18.0 * i as f32), "§¤¤ ÞÞþ ±±± ¦¦§ ¤¤¤ ~~~ ^^^ þþÞ", font, PdfPoints::new(12.0))
                .unwrap();
        }
    }
    let document = read("douteux.pdf", doc.save_to_bytes().unwrap());
    let (first, second) = (&document.pages[0], &document.pages[1]);
    assert!(matches!(first.ocr_decision, OcrDecision::InvisibleText { .. }), "{:?}", first.ocr_decision);
    assert_eq!(first.method, ExtractionMethod::Ocr);
    assert!(cer(&squash(&lines[..5].join(" ")), &squash(&first.text)) < 0.02, "{}", first.text);
    assert!(!first.text.contains("Lorem"));
    assert!(matches!(second.ocr_decision, OcrDecision::GarbageText { .. }), "{:?}", second.ocr_decision);
    assert_eq!(second.method, ExtractionMethod::Ocr);
}

#[test]
fn a_page_that_runs_out_of_ocr_time_is_reported_and_the_others_are_read() {
    let lines = body_lines(60);
    let pdf = make_pdf(&[page_of_lines(&lines, 100.0, 12.0)]);
    let img = render(&pdf, 300.0);
    let mut png = Vec::new();
    DynamicImage::ImageLuma8(img).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let native = make_pdf(&[page_of_lines(&lines[..3], 100.0, 12.0)]);
    let files = vec![
        InputFile { name: "lent.png".into(), bytes: png.clone() },
        InputFile { name: "natif.pdf".into(), bytes: native },
    ];
    let mut options = IngestOptions::default();
    options.ocr.page_budget = Some(std::time::Duration::from_millis(1));
    let dossier = Ingestor::new(pdfium(), options).ingest_dossier(&files);
    // The scan ran out of time: reported, in French, naming the budget; nothing read from it.
    let scanned = dossier.documents.iter().find(|d| d.file == "lent.png");
    assert!(scanned.is_none_or(|d| d.pages.is_empty()), "{scanned:?}");
    let issues = format!("{:?}", dossier.issues);
    assert!(issues.contains("lent.png") && issues.contains("délai"), "{issues}");
    // The other file of the dossier is read as usual.
    let native = dossier.documents.iter().find(|d| d.file == "natif.pdf").expect("native file read");
    assert!(squash(&native.pages[0].text).contains(&squash(&lines[0])));
    // With the default budget the same scan is read.
    let dossier = ingestor().ingest_dossier(&[InputFile { name: "lent.png".into(), bytes: png }]);
    assert!(dossier.issues.is_empty(), "{:?}", dossier.issues);
}
