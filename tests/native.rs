//! The native libraries, loaded from the project-local folder the setup step fills:
//! pdfium reads French text exactly, tesseract `fra` reads a page pdfium rendered, onnxruntime
//! runs a model.

use ap_operators::native::{NativeLibs, ONNXRUNTIME_LIB, PDFIUM_LIB};
use ap_tests::{DEJAVU_SANS, project_root, wrap_words};
use pdfium_render::prelude::*;

const FRENCH: &str = "L'an deux mille vingt-quatre, le douze mars, « Ça suffit ! » a crié Œdipe : \
                      élève, cœur, ç ê É Ç à ù î.";

/// A one-page PDF made by pdfium with a French sentence in DejaVu Sans, as bytes.
fn french_pdf(pdfium: &Pdfium, size: f32) -> Vec<u8> {
    let mut doc = pdfium.create_new_pdf().unwrap();
    let font = doc.fonts_mut().load_true_type_from_file(DEJAVU_SANS, true).unwrap();
    let mut page = doc.pages_mut().create_page_at_end(PdfPagePaperSize::a4().landscape()).unwrap();
    let mut y = 500.0;
    for line in wrap_words(FRENCH, 45) {
        page.objects_mut()
            .create_text_object(PdfPoints::new(40.0), PdfPoints::new(y), line, font, PdfPoints::new(size))
            .unwrap();
        y -= size * 1.6;
    }
    doc.save_to_bytes().unwrap()
}

fn normalize_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn libraries_come_from_the_project_folder() {
    let libs = NativeLibs::default();
    let deps = project_root().join(".deps/lib").canonicalize().unwrap();
    for name in [PDFIUM_LIB, ONNXRUNTIME_LIB] {
        let found = libs.locate(name).unwrap().canonicalize().unwrap();
        assert_eq!(found.parent().unwrap(), deps, "{name} found outside .deps/lib");
    }
}

#[test]
fn pdfium_extracts_french_text_exactly() {
    let pdfium = NativeLibs::default().pdfium().unwrap();
    let bytes = french_pdf(pdfium, 14.0);
    let doc = pdfium.load_pdf_from_byte_vec(bytes, None).unwrap();
    let page = doc.pages().get(0).unwrap();
    let text = page.text().unwrap().all();
    assert_eq!(normalize_ws(&text), FRENCH);
    for needle in ["«", "»", "Œdipe", "cœur", "Ça", "élève"] {
        assert!(text.contains(needle), "{needle} missing from {text:?}");
    }
}

#[test]
fn tesseract_fra_reads_a_page_rendered_by_pdfium() {
    let pdfium = NativeLibs::default().pdfium().unwrap();
    let bytes = french_pdf(pdfium, 20.0);
    let doc = pdfium.load_pdf_from_byte_vec(bytes, None).unwrap();
    let page = doc.pages().get(0).unwrap();
    // 300 dpi: one PDF point is 1/72 inch.
    let config = PdfRenderConfig::new().scale_page_by_factor(300.0 / 72.0);
    let image = page.render_with_config(&config).unwrap().as_image().unwrap();
    let mut png = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();

    let mut ocr = tesseract::Tesseract::new(None, Some("fra"))
        .unwrap()
        .set_image_from_mem(&png)
        .unwrap()
        .set_source_resolution(300)
        .recognize()
        .unwrap();
    let text = ocr.get_text().unwrap();
    let words: Vec<&str> = text.split_whitespace().collect();
    for expected in ["deux", "mille", "vingt-quatre,", "douze", "mars,", "suffit", "crié", "élève,"] {
        assert!(words.contains(&expected), "OCR missed {expected:?} in {text:?}");
    }
    assert!(ocr.mean_text_conf() > 70, "low OCR confidence on a clean render: {}", ocr.mean_text_conf());
}

#[test]
fn onnxruntime_runs_a_model_from_the_project_folder() {
    let libs = NativeLibs::default();
    let env = libs.init_onnxruntime().unwrap();
    let model = libs.model("mul_1.onnx").unwrap();
    let mut session = ort::session::Session::builder(&env).unwrap().commit_from_file(&model).unwrap();
    // mul_1 multiplies X (3×2) element-wise by the constant [[1,2],[3,4],[5,6]].
    let x = ort::value::Tensor::from_array((vec![3_i64, 2], vec![1.0_f32, 1.0, 2.0, 2.0, 0.5, -1.0])).unwrap();
    let outputs = session.run(ort::inputs!["X" => x]).unwrap();
    let (shape, y) = outputs["Y"].try_extract_tensor::<f32>().unwrap();
    assert_eq!(shape.to_vec(), vec![3, 2]);
    assert_eq!(y, &[1.0, 2.0, 6.0, 8.0, 2.5, -6.0]);
}
