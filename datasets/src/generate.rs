//! From a seed to a corpus: each dossier's story is drawn, its pieces written, typeset and fitted
//! to the page count drawn for it, split into one or several PDF files, some pages scanned, and
//! the gold file assembled from where every tagged statement landed.
//!
//! A dossier depends only on the corpus seed and its index (its random stream is
//! `ChaCha8(seed)` on stream `index`), so dossiers are generated in parallel and the output is
//! byte-identical whatever the number of threads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rand::{Rng as _, SeedableRng as _};

use crate::fonts::Family;
use crate::french::{Rng, chance, pick};
use crate::gold::{self, Evidence, Gold, Manifest, ManifestEntry, QuestionGold, Status, Value};
use crate::layout::{self, A4, Block, LaidPage, Line, Placement, Span, Style};
use crate::pdf::{self, Run};
use crate::pieces::{Draft, FactBook, Kind, Writer};
use crate::scenario::{self, Scenario};
use crate::taxonomy::{self, domain};
use crate::{Error, Result, fonts::Font, scan};

/// Version of the generator, written in manifests: bump it when output changes for a seed.
pub const GENERATOR: &str = concat!("ap-datasets ", env!("CARGO_PKG_VERSION"), " gen/1");

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub seed: u64,
    pub count: u64,
    /// Inclusive range of the page count of a dossier (all its documents together).
    pub pages: (usize, usize),
    /// Expected fraction of pages that are scans, 0 to 1.
    pub scanned: f64,
    /// When set, exactly these pages are scanned, with these settings (key: page number across
    /// the whole dossier, from 1), and `scanned` is ignored. Used to build the fixed sample.
    pub forced_scans: Option<BTreeMap<usize, gold::Scan>>,
}

impl Default for Params {
    fn default() -> Self {
        Self { seed: 1, count: 10, pages: (5, 40), scanned: 0.25, forced_scans: None }
    }
}

impl Params {
    pub fn check(&self) -> Result<()> {
        let (lo, hi) = self.pages;
        if lo < 3 || hi < lo || hi > 5_000 {
            return Err(Error::Parameter(format!("nombre de pages {lo}..{hi} : attendu MIN..MAX avec 3 ≤ MIN ≤ MAX ≤ 5000")));
        }
        if !(0.0..=1.0).contains(&self.scanned) {
            return Err(Error::Parameter(format!("proportion de pages numérisées {} : attendu entre 0 et 1", self.scanned)));
        }
        Ok(())
    }
}

/// Parse "MIN..MAX" or "N".
pub fn parse_pages(s: &str) -> Result<(usize, usize)> {
    let bad = || Error::Parameter(format!("« {s} » : attendu MIN..MAX (par exemple 5..40) ou un nombre"));
    let parse = |v: &str| v.trim().parse::<usize>().map_err(|_| bad());
    match s.split_once("..") {
        Some((a, b)) => Ok((parse(a)?, parse(b.trim_start_matches('='))?)),
        None => {
            let n = parse(s)?;
            Ok((n, n))
        }
    }
}

/// One generated dossier: its files and its gold.
#[derive(Debug)]
pub struct Dossier {
    pub gold: Gold,
    /// (file name, PDF bytes).
    pub files: Vec<(String, Vec<u8>)>,
}

impl Dossier {
    /// Read the dossier's files (in gold document order, under their gold ids) into the text the
    /// dossier-level operators read.
    pub fn text(&self, ingestor: &ap_operators::input::Ingestor<'_>) -> ap_operators::Result<ap_operators::dossier::DossierText> {
        let mut documents = Vec::new();
        for doc in &self.gold.documents {
            let bytes = self.files.iter().find(|(name, _)| *name == doc.file).map_or(&[][..], |(_, b)| b.as_slice());
            documents.push(ingestor.ingest_file(&doc.id, &doc.file, bytes)?);
        }
        Ok(ap_operators::dossier::DossierText::from_documents(&documents))
    }
}

/// A piece once typeset.
struct Laid {
    draft: Draft,
    pages: Vec<LaidPage>,
    placements: Vec<Placement>,
    size: (f32, f32),
}

/// Dossier id of index `i`.
pub fn dossier_id(index: u64) -> String {
    format!("D{:06}", index + 1)
}

/// Generate dossier `index` of the corpus `params`.
pub fn dossier(params: &Params, index: u64) -> Result<Dossier> {
    params.check()?;
    let mut rng = Rng::seed_from_u64(params.seed);
    rng.set_stream(index);
    let id = dossier_id(index);
    let s = scenario::draw(&mut rng, &id);
    let target = draw_page_count(&mut rng, params.pages);

    let base = Style {
        family: if chance(&mut rng, 0.55) { Family::Sans } else { Family::Serif },
        size: *pick(&mut rng, &[10.0, 10.5, 11.0, 11.5]),
        leading: *pick(&mut rng, &[1.25, 1.3, 1.4]),
        page: A4,
        margin_left: rng.random_range(50..75) as f32,
        margin_right: rng.random_range(45..65) as f32,
        margin_top: 92.0,
        margin_bottom: rng.random_range(55..70) as f32,
        // pdfium's page objects have no word spacing (Tw): paragraphs are ragged-right.
        justify: false,
    };
    let typo_rate = *pick(&mut rng, &[0.0, 0.0, 0.005, 0.01, 0.02]);
    let mut book = FactBook::default();
    let drafts = write_drafts(&s, &mut rng, &mut book, typo_rate);

    // Typeset every candidate piece, then keep what fits the page count.
    let mut laid: Vec<Laid> = drafts.into_iter().map(|d| typeset(d, &base)).collect();
    let with_bordereau = target >= 8 && chance(&mut rng, 0.8);
    let budget = target - usize::from(with_bordereau);
    select(&mut laid, budget, &mut rng);
    let used: usize = laid.iter().map(|l| l.pages.len()).sum();
    let mut gap = budget.saturating_sub(used);
    {
        let w = Writer::new(&s, rng.clone(), &mut book, 0.0);
        while gap > 0 {
            let size = if gap <= 3 { gap } else { w.range(1..=gap.min(300)) };
            let kind = w.pick(&[Kind::AnnexePhotographique, Kind::ListingTelephonique, Kind::ListingTelephonique, Kind::ReleveBancaire]);
            laid.push(filler(&w, kind, size, &base));
            gap -= size;
        }
        rng = w.into_rng();
    }
    if with_bordereau {
        let b = bordereau(&s, &laid, &base);
        laid.insert(0, b);
    }

    // Pages of the whole procédure, decorated with headers, footers and folio stamps.
    let total: usize = laid.iter().map(|l| l.pages.len()).sum();
    let mut pages: Vec<(usize, LaidPage, (f32, f32))> = Vec::with_capacity(total);
    let mut folio = 0;
    for (pi, l) in laid.iter().enumerate() {
        let n = l.pages.len();
        for (k, p) in l.pages.iter().enumerate() {
            folio += 1;
            let mut p = p.clone();
            decorate(&mut p, piece_style(&l.draft, &base).family, &s, &l.draft, pi + 1, k + 1, n, folio, l.size, &mut rng);
            pages.push((pi, p, l.size));
        }
    }

    // Documents: consecutive pieces.
    let documents = split_documents(&laid, &mut rng);
    // Scanned pages.
    let scanned = choose_scanned(&laid, &documents, params.scanned, &mut rng);

    assemble(params, index, &s, &laid, &pages, &documents, &scanned, &book, &mut rng)
}

fn draw_page_count(rng: &mut Rng, (lo, hi): (usize, usize)) -> usize {
    if hi == lo {
        return lo;
    }
    if hi > 4 * lo {
        let (a, b) = ((lo as f64).ln(), ((hi + 1) as f64).ln());
        (rng.random_range(a..b).exp() as usize).clamp(lo, hi)
    } else {
        rng.random_range(lo..=hi)
    }
}

/// Every candidate piece, in the order a procédure presents them.
fn write_drafts(s: &Scenario, rng: &mut Rng, book: &mut FactBook, typo_rate: f64) -> Vec<Draft> {
    let w = Writer::new(s, rng.clone(), book, typo_rate);
    let d = drafts_in_order(&w, s);
    *rng = w.into_rng();
    d
}

fn drafts_in_order(w: &Writer<'_>, s: &Scenario) -> Vec<Draft> {
    let mut d = Vec::new();
    if w.chance(0.5) {
        d.push(w.synthese());
    }
    match w.plainte() {
        Some(p) => d.push(p),
        None => d.push(w.interpellation()),
    }
    if s.victim.is_some() && (s.has("outrage_rebellion") || s.has("stupefiants") || s.has("refus_obtemperer") || w.chance(0.3)) {
        d.push(w.interpellation());
    }
    if s.details.break_in.is_some() || s.details.damage.is_some() || w.chance(0.4) {
        d.push(w.constatations());
    }
    if let Some(c) = w.certificat(false) {
        d.push(c);
    }
    if let Some(c) = w.certificat(true) {
        d.push(c);
    }
    if let Some(a) = w.audition_victime() {
        d.push(a);
    }
    for i in 0..s.witnesses.len() {
        d.push(w.audition_temoin(i));
    }
    if let Some(e) = w.ethylometre() {
        d.push(e);
    }
    d.push(w.placement_gav());
    d.push(w.avis_magistrat());
    if let Some(p) = w.perquisition() {
        d.push(p);
    }
    if w.chance(0.5) {
        let (req, resp) = w.requisition();
        d.push(req);
        d.push(resp);
    }
    d.push(w.audition_mec(false));
    if s.victim.is_some() && w.chance(0.3) {
        if let Some(c) = w.confrontation() {
            d.push(c);
        }
    }
    if s.second_admission.is_some() {
        d.push(w.audition_mec(true));
    }
    if let Some(p) = w.prolongation() {
        d.push(p);
    }
    d.push(w.casier());
    d.push(w.fin_gav());
    d
}

fn piece_style(draft: &Draft, base: &Style) -> Style {
    let mut st = *base;
    if let Some(f) = draft.family {
        st.family = f;
    }
    if let Some(sz) = draft.size {
        st.size = sz;
    }
    if !draft.pv_header {
        st.margin_top = 60.0;
    }
    st
}

fn typeset(draft: Draft, base: &Style) -> Laid {
    let st = piece_style(&draft, base);
    let mut blocks = Vec::with_capacity(draft.blocks.len() + 2);
    if draft.pv_header {
        blocks.push(Block::title(draft.title.clone(), st.size + 2.0));
        blocks.push(Block::Gap(0.3));
    }
    // Justify paragraphs when the dossier's style does.
    for b in &draft.blocks {
        match b {
            Block::Para(p) if !st.justify && p.align == layout::Align::Justify => {
                let mut p = p.clone();
                p.align = layout::Align::Left;
                blocks.push(Block::Para(p));
            }
            other => blocks.push(other.clone()),
        }
    }
    let out = layout::lay_out(&blocks, &st);
    Laid { draft, pages: out.pages, placements: out.placements, size: st.page }
}

/// Keep the most important pieces that fit in `budget` pages.
fn select(laid: &mut Vec<Laid>, budget: usize, rng: &mut Rng) {
    let mut order: Vec<(u8, u32, usize)> = laid.iter().enumerate().map(|(i, l)| (l.draft.priority, rng.random::<u32>(), i)).collect();
    order.sort();
    let mut keep = vec![false; laid.len()];
    let mut used = 0;
    for (_, _, i) in order {
        let n = laid[i].pages.len();
        if used + n <= budget {
            keep[i] = true;
            used += n;
        }
    }
    let mut k = keep.into_iter();
    laid.retain(|_| k.next().unwrap_or(false));
}

fn filler(w: &Writer<'_>, kind: Kind, pages: usize, base: &Style) -> Laid {
    let mut rows = 60;
    loop {
        let draft = w.filler(kind, pages, rows);
        let l = typeset(draft, base);
        if l.pages.len() <= pages || rows <= 5 {
            return l;
        }
        rows -= 4;
    }
}

fn bordereau(s: &Scenario, laid: &[Laid], base: &Style) -> Laid {
    let mut blocks = vec![
        Block::title("BORDEREAU DES PIÈCES DE LA PROCÉDURE", base.size + 2.0),
        Block::text(format!("Procédure n° {} — {}", s.procedure_number, s.service.name)),
        Block::Gap(0.5),
        Block::Row {
            cells: vec![(0.0, vec![Span::bold("Cote")]), (45.0, vec![Span::bold("Désignation de la pièce")]), (380.0, vec![Span::bold("Feuillets")])],
            size: Some(9.0),
            family: Some(base.family),
            rule_below: true,
        },
    ];
    let mut first = 2; // the bordereau itself is folio 1
    for (i, l) in laid.iter().enumerate() {
        let last = first + l.pages.len() - 1;
        let mut title = l.draft.title.clone();
        if title.chars().count() > 60 {
            title = title.chars().take(57).collect::<String>() + "...";
        }
        blocks.push(Block::Row {
            cells: vec![
                (0.0, vec![Span::plain(format!("D{}", i + 2))]),
                (45.0, vec![Span::plain(title)]),
                (380.0, vec![Span::plain(if first == last { format!("{first}") } else { format!("{first} à {last}") })]),
            ],
            size: Some(9.0),
            family: Some(base.family),
            rule_below: false,
        });
        first = last + 1;
    }
    let draft = Draft { kind: Kind::Bordereau, title: "BORDEREAU DES PIÈCES".into(), blocks, priority: 0, person: None, family: None, size: None, pv_header: false };
    let mut l = typeset(draft, base);
    // A bordereau fits on one page (pieces are few); a longer one keeps its first page only.
    l.pages.truncate(1);
    l
}

/// Add the running header, footer and folio stamp of a page.
#[allow(clippy::too_many_arguments)]
fn decorate(page: &mut LaidPage, fam: Family, s: &Scenario, draft: &Draft, cote: usize, k: usize, n: usize, folio: usize, size: (f32, f32), rng: &mut Rng) {
    let small = |text: String, x: f32, baseline: f32, font: Font| Line { x, baseline, word_spacing: 0.0, runs: vec![Run { font, size: 8.0, text }] };
    let right = |text: &str, font: Font, y: f32| {
        let w = font.text_width(text, 8.0);
        small(text.to_string(), size.0 - 40.0 - w, y, font)
    };
    // Folio stamp, top right, on every page of the procédure.
    let stamp = format!("D{cote} - f° {folio}");
    page.lines.push(right(&stamp, fam.bold(), 24.0));
    if draft.pv_header {
        let (corps, direction) = if s.service.gendarmerie {
            ("GENDARMERIE NATIONALE", format!("Groupement de gendarmerie départementale ({})", s.service.dept))
        } else {
            ("POLICE NATIONALE", format!("Direction départementale de la sécurité publique ({})", s.service.dept))
        };
        page.lines.push(small(corps.to_string(), 50.0, 44.0, fam.bold()));
        page.lines.push(small(direction, 50.0, 54.0, fam.regular()));
        page.lines.push(small(s.service.name.clone(), 50.0, 64.0, fam.regular()));
        page.lines.push(right(&format!("PV n° {}", s.procedure_number), fam.regular(), 44.0));
        let affaire = match &s.victim {
            Some(v) => format!("Affaire : {} c/ {}", v.last, s.suspect.last),
            None => format!("Affaire : Ministère public c/ {}", s.suspect.last),
        };
        page.lines.push(right(&affaire, fam.regular(), 54.0));
        page.strokes.push(pdf::Stroke { from: (50.0, 72.0), to: (size.0 - 40.0, 72.0), width: 0.5 });
        let footer = match (folio + cote) % 3 {
            0 => format!("Page {k}/{n}"),
            1 => format!("- {k} -"),
            _ => format!("Feuillet n° {k} sur {n}"),
        };
        let w = fam.regular().text_width(&footer, 8.0);
        page.lines.push(small(footer, (size.0 - w) / 2.0, size.1 - 28.0, fam.regular()));
        if chance(rng, 0.3) {
            page.lines.push(small("Suite sur feuillet suivant".into(), 50.0, size.1 - 28.0, fam.regular()));
        }
    }
}

/// Split the pieces into documents: long files into tomes, otherwise sometimes the annexes apart.
fn split_documents(laid: &[Laid], rng: &mut Rng) -> Vec<(String, std::ops::Range<usize>)> {
    let total: usize = laid.iter().map(|l| l.pages.len()).sum();
    if total > 600 {
        let mut docs = Vec::new();
        let (mut start, mut pages) = (0, 0);
        for (i, l) in laid.iter().enumerate() {
            if pages > 0 && pages + l.pages.len() > 500 {
                docs.push((start, i));
                start = i;
                pages = 0;
            }
            pages += l.pages.len();
        }
        docs.push((start, laid.len()));
        return docs.into_iter().enumerate().map(|(k, (a, b))| (format!("procedure_tome{}.pdf", k + 1), a..b)).collect();
    }
    if let Some(first_filler) = laid.iter().position(|l| l.draft.kind.is_filler()) {
        if first_filler > 0 && chance(rng, 0.4) {
            return vec![("procedure.pdf".into(), 0..first_filler), ("annexes.pdf".into(), first_filler..laid.len())];
        }
    }
    if laid.len() > 3 && chance(rng, 0.15) {
        let cut = laid.len() / 2;
        return vec![("procedure_partie1.pdf".into(), 0..cut), ("procedure_partie2.pdf".into(), cut..laid.len())];
    }
    vec![("procedure.pdf".into(), 0..laid.len())]
}

/// Which pieces are scanned: a document is scanned whole with probability 0.6·R, otherwise each
/// of its pieces with the probability that brings the expected scanned share to R.
fn choose_scanned(laid: &[Laid], documents: &[(String, std::ops::Range<usize>)], ratio: f64, rng: &mut Rng) -> Vec<bool> {
    let mut scanned = vec![false; laid.len()];
    if ratio <= 0.0 {
        return scanned;
    }
    let whole = 0.6 * ratio;
    let per_piece = if whole >= 1.0 { 1.0 } else { (0.4 * ratio / (1.0 - whole)).min(1.0) };
    for (_, range) in documents {
        if chance(rng, whole) {
            scanned[range.clone()].iter_mut().for_each(|s| *s = true);
        } else {
            for i in range.clone() {
                scanned[i] = chance(rng, per_piece);
            }
        }
    }
    scanned
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    params: &Params,
    index: u64,
    s: &Scenario,
    laid: &[Laid],
    pages: &[(usize, LaidPage, (f32, f32))],
    documents: &[(String, std::ops::Range<usize>)],
    scanned_pieces: &[bool],
    book: &FactBook,
    rng: &mut Rng,
) -> Result<Dossier> {
    // Where each piece's pages are: (document index, first page number).
    let mut piece_pos = vec![(0usize, 0usize); laid.len()];
    let mut files = Vec::new();
    let mut gold_docs = Vec::new();
    let mut gold_pieces = Vec::new();
    let mut written: Vec<pdf::Written> = Vec::new();
    let mut page_scan: BTreeMap<(usize, usize), gold::Scan> = BTreeMap::new();
    let mut global = 0usize;
    let mut page_index_of_piece = vec![0usize; laid.len()];
    for (pi, l) in laid.iter().enumerate() {
        page_index_of_piece[pi] = global;
        global += l.pages.len();
    }

    for (di, (file, range)) in documents.iter().enumerate() {
        let mut native: Vec<pdf::Page> = Vec::new();
        let mut truths = Vec::new();
        let mut to_scan = Vec::new();
        let mut number = 0;
        for pi in range.clone() {
            let l = &laid[pi];
            piece_pos[pi] = (di, number + 1);
            let first = number + 1;
            for k in 0..l.pages.len() {
                let (_, page, size) = &pages[page_index_of_piece[pi] + k];
                number += 1;
                native.push(pdf::Page::Text(page.to_text_page(*size)));
                let scan = match &params.forced_scans {
                    Some(forced) => forced.get(&(page_index_of_piece[pi] + k + 1)).copied(),
                    None => scanned_pieces[pi].then(|| scan::draw(rng, true)),
                };
                if let Some(sc) = scan {
                    to_scan.push((number, sc, rng.random::<u64>()));
                    page_scan.insert((di, number), sc);
                }
                let (w, h) = scan.map(|sc| scan::scanned_size(*size, &sc)).unwrap_or(*size);
                let mode = if scan.is_some() { gold::Mode::Scanned } else { gold::Mode::Native };
                truths.push(gold::Page { number, width: w, height: h, mode, scan, text: page.text() });
            }
            gold_pieces.push(gold::Piece {
                kind: l.draft.kind.id().into(),
                title: l.draft.title.clone(),
                document: doc_id(di),
                first_page: first,
                last_page: number,
                persons: l.draft.person.iter().cloned().collect(),
            });
        }
        let info = pdf::Info {
            title: format!("Procédure {} — {}", s.procedure_number, s.service.name),
            creation_date: Some(format!(
                "D:{:04}{:02}{:02}{:02}{:02}00",
                s.custody.end.date.year, s.custody.end.date.month, s.custody.end.date.day, s.custody.end.hour, s.custody.end.minute
            )),
        };
        // The native document is always written: its text layer, read back, gives the boxes.
        let native_written = pdf::write_pdf(&info, &native)?;
        let mut out_pages = native.clone();
        if !to_scan.is_empty() {
            let pdfium = ap_operators::native::NativeLibs::default().pdfium()?;
            let doc = pdfium.load_pdf_from_byte_slice(&native_written.bytes, None)?;
            for (number, sc, seed) in &to_scan {
                let page = doc.pages().get((*number - 1) as i32)?;
                let size = match &native[number - 1] {
                    pdf::Page::Text(t) => (t.width, t.height),
                    pdf::Page::Image(i) => (i.width, i.height),
                };
                out_pages[number - 1] = pdf::Page::Image(scan::scan_page(&page, size, sc, *seed)?);
            }
        }
        let bytes = if to_scan.is_empty() { native_written.bytes.clone() } else { pdf::write_pdf(&info, &out_pages)?.bytes };
        files.push((file.clone(), bytes));
        written.push(native_written);
        gold_docs.push(gold::Document { id: doc_id(di), file: file.clone(), page_count: number, pages: truths });
    }

    // Evidence: every placed fact, at its document page.
    let mut evidence: BTreeMap<&str, Vec<(Evidence, Value)>> = BTreeMap::new();
    for (pi, l) in laid.iter().enumerate() {
        let (di, first) = piece_pos[pi];
        for p in &l.placements {
            let number = first + p.page;
            let scan = page_scan.get(&(di, number));
            let native_box = written[di]
                .span_box(number - 1, p.line, p.start, p.quote.chars().count())
                .ok_or_else(|| Error::TextLayer(format!("« {} » introuvable page {number}", p.quote)))?;
            let bbox = match scan {
                Some(sc) => {
                    // What the skew pushes off the sheet is cropped, as a scanner crops it.
                    let (w, h) = scan::scanned_size(l.size, sc);
                    let b = scan::transform_box(native_box, l.size, sc);
                    [b[0].max(0.0), b[1].max(0.0), b[2].min(w), b[3].min(h)].map(|v| (v * 100.0).round() / 100.0)
                }
                None => native_box,
            };
            for claim in &book.facts[p.fact] {
                evidence
                    .entry(claim.question)
                    .or_default()
                    .push((Evidence { document: doc_id(di), page: number, bbox, quote: p.quote.clone() }, claim.value.clone()));
            }
        }
    }
    let dom = domain();
    let mut persons = vec![person_gold(&s.suspect)];
    persons.extend(s.victim.iter().map(person_gold));
    persons.extend(s.witnesses.iter().map(person_gold));
    for (i, o) in s.officers.iter().enumerate() {
        persons.push(gold::Person {
            id: format!("enq{}", i + 1),
            role: "enqueteur".into(),
            civilite: o.grade.into(),
            nom: o.last.clone(),
            prenom: o.first.clone(),
            date_naissance: None,
            lieu_naissance: None,
            adresse: None,
        });
    }
    let questions = dom
        .questions_for(&s.categories.iter().map(String::as_str).collect::<Vec<_>>())
        .into_iter()
        .map(|q| {
            let ev = evidence.remove(q.id.as_str()).unwrap_or_default();
            aggregate(q, ev, &persons)
        })
        .collect();
    let offences = s
        .categories
        .iter()
        .map(|c| {
            let cat = dom.category(c).expect("scenario categories come from the taxonomy");
            gold::Offence {
                category: c.clone(),
                articles: offence_articles(s, cat),
                aggravations: s.aggravating.iter().filter(|(cc, _)| cc == c).map(|(_, a)| a.clone()).collect(),
            }
        })
        .collect();
    let gold = Gold {
        schema_version: gold::SCHEMA_VERSION,
        dossier: s.id.clone(),
        seed: params.seed,
        index,
        service: s.service.name.clone(),
        documents: gold_docs,
        persons,
        pieces: gold_pieces,
        offences,
        questions,
    };
    Ok(Dossier { gold, files })
}

/// The articles that apply to this dossier's offence of category `cat`.
fn offence_articles(s: &Scenario, cat: &taxonomy::Category) -> Vec<String> {
    let d = &s.details;
    let pick_art = |arts: &[&str]| -> Vec<String> {
        cat.articles.iter().filter(|a| arts.contains(&taxonomy::article_number(a))).cloned().collect()
    };
    match cat.id.as_str() {
        "vol" => {
            if s.aggravating.iter().any(|(c, _)| c == "vol") { pick_art(&["311-1", "311-4"]) } else { pick_art(&["311-1", "311-3"]) }
        }
        "violences" => {
            let itt = d.itt.map(|i| i.0).unwrap_or(0);
            let aggravated = s.aggravating.iter().any(|(c, _)| c == "violences");
            match (itt > 8, aggravated, itt > 0) {
                (true, false, _) => pick_art(&["222-11"]),
                (true, true, _) => pick_art(&["222-12"]),
                (false, true, _) => pick_art(&["222-13"]),
                (false, false, true) => pick_art(&["R625-1"]),
                (false, false, false) => pick_art(&["R624-1"]),
            }
        }
        "violences_conjugales" => {
            let itt = d.itt.map(|i| i.0).unwrap_or(0);
            if itt > 8 { pick_art(&["222-12"]) } else { pick_art(&["222-13"]) }
        }
        "menaces" => {
            if d.threat_repeated == Some(true) || d.death_threat { pick_art(&["222-17"]) } else { pick_art(&["222-18"]) }
        }
        "alcool_stupefiants_volant" => {
            let (rate, unit) = d.alcohol.unwrap_or((0.0, "mg/l"));
            let delict = (unit == "mg/l" && rate >= 0.40) || (unit == "g/l" && rate >= 0.80);
            if delict { pick_art(&["L234-1"]) } else { pick_art(&["R234-1"]) }
        }
        "refus_obtemperer" => {
            if d.danger == Some(true) { pick_art(&["L233-1", "L233-1-1"]) } else { pick_art(&["L233-1"]) }
        }
        "stupefiants" => {
            let resale = d.destination.is_some_and(|x| x.1 == "revente");
            if resale { pick_art(&["222-37"]) } else { pick_art(&["L3421-1"]) }
        }
        "harcelement" => pick_art(&["222-33-2-2"]),
        "degradations" => pick_art(&["322-1"]),
        "escroquerie" => pick_art(&["313-1"]),
        "agression_sexuelle" => {
            if d.victim_age.is_some_and(|a| a < 15) { pick_art(&["222-22", "222-29-1"]) } else { pick_art(&["222-22", "222-27"]) }
        }
        _ => cat.articles.clone(),
    }
}

fn person_gold(p: &scenario::Person) -> gold::Person {
    gold::Person {
        id: p.id.clone(),
        role: p.role.into(),
        civilite: p.civility().into(),
        nom: p.last.clone(),
        prenom: p.first.clone(),
        date_naissance: Some(p.birth.iso()),
        lieu_naissance: Some(p.birth_place()),
        adresse: Some(p.address.canonical()),
    }
}

/// Id of the `di`-th document of a dossier.
fn doc_id(di: usize) -> String {
    format!("doc{}", di + 1)
}

/// Turn the statements bearing on a question into its gold answer: nothing → not found; one
/// value → found, with every place it is stated; several values → conflicting, one version per
/// value (a list question instead gathers every value stated).
fn aggregate(q: &taxonomy::Question, evidence: Vec<(Evidence, Value)>, persons: &[gold::Person]) -> QuestionGold {
    if evidence.is_empty() {
        return QuestionGold { id: q.id.clone(), status: Status::NotFound, value: serde_json::Value::Null, evidence: vec![], versions: None };
    }
    let mut versions: Vec<(serde_json::Value, Vec<Evidence>)> = Vec::new();
    for (e, v) in evidence {
        let json = v.to_json(q, persons);
        match versions.iter_mut().find(|(j, _)| *j == json) {
            Some((_, evs)) => evs.push(e),
            None => versions.push((json, vec![e])),
        }
    }
    if versions.len() == 1 {
        let (value, evidence) = versions.pop().expect("one version");
        return QuestionGold { id: q.id.clone(), status: Status::Found, value, evidence, versions: None };
    }
    if q.answer == taxonomy::AnswerType::List {
        let mut items = Vec::new();
        for (v, _) in &versions {
            for item in v.as_array().into_iter().flatten() {
                if !items.contains(item) {
                    items.push(item.clone());
                }
            }
        }
        let evidence = versions.into_iter().flat_map(|(_, e)| e).collect();
        return QuestionGold { id: q.id.clone(), status: Status::Found, value: serde_json::Value::Array(items), evidence, versions: None };
    }
    QuestionGold {
        id: q.id.clone(),
        status: Status::Conflicting,
        value: serde_json::Value::Null,
        evidence: vec![],
        versions: Some(versions.into_iter().map(|(value, evidence)| gold::Version { value, evidence }).collect()),
    }
}

/// Generate the corpus into `out`: one folder per dossier (PDFs + `gold.json`) and a
/// `manifest.json`. Dossiers are generated on `threads` threads.
pub fn corpus(params: &Params, out: &Path, threads: usize) -> Result<Manifest> {
    corpus_with_progress(params, out, threads, &|_| {})
}

/// [`corpus`], calling `on_done` after each dossier is written (from the generating thread).
pub fn corpus_with_progress(
    params: &Params,
    out: &Path,
    threads: usize,
    on_done: &(dyn Fn(&ManifestEntry) + Sync),
) -> Result<Manifest> {
    params.check()?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let next = AtomicU64::new(0);
    let threads = threads.max(1).min(params.count.max(1) as usize);
    let results: Vec<Result<Vec<ManifestEntry>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> Result<Vec<ManifestEntry>> {
                    let mut entries = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= params.count {
                            return Ok(entries);
                        }
                        let d = dossier(params, i)?;
                        write_dossier(out, &d)?;
                        entries.push(ManifestEntry {
                            dossier: d.gold.dossier.clone(),
                            pages: d.gold.documents.iter().map(|x| x.page_count).sum(),
                            scanned_pages: d.gold.documents.iter().flat_map(|x| &x.pages).filter(|p| p.mode == gold::Mode::Scanned).count(),
                            categories: d.gold.offences.iter().map(|o| o.category.clone()).collect(),
                        });
                        on_done(entries.last().expect("just pushed"));
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("generator thread panicked")).collect()
    });
    let mut dossiers = Vec::new();
    for r in results {
        dossiers.extend(r?);
    }
    dossiers.sort_by(|a, b| a.dossier.cmp(&b.dossier));
    let manifest = Manifest {
        schema_version: gold::SCHEMA_VERSION,
        generator: GENERATOR.into(),
        seed: params.seed,
        count: params.count,
        pages_min: params.pages.0,
        pages_max: params.pages.1,
        scanned_ratio: params.scanned,
        dossiers,
    };
    let path = out.join("manifest.json");
    let json = serde_json::to_vec_pretty(&manifest)?;
    std::fs::write(&path, json).map_err(|e| Error::io(&path, e))?;
    Ok(manifest)
}

/// Write one dossier's folder.
pub fn write_dossier(out: &Path, d: &Dossier) -> Result<PathBuf> {
    let dir = out.join(&d.gold.dossier);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    for (name, bytes) in &d.files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    }
    let path = dir.join("gold.json");
    let mut json = serde_json::to_vec_pretty(&d.gold)?;
    json.push(b'\n');
    std::fs::write(&path, json).map_err(|e| Error::io(&path, e))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn check(g: &Gold) {
        let d = domain();
        // Documents: pages numbered 1..n, piece ranges tile every document in order.
        for doc in &g.documents {
            assert_eq!(doc.pages.len(), doc.page_count);
            let mut next = 1;
            for p in g.pieces.iter().filter(|p| p.document == doc.id) {
                assert_eq!(p.first_page, next, "{}: piece {} does not start on a new page right after the previous one", g.dossier, p.kind);
                assert!(p.last_page >= p.first_page);
                assert!(d.piece(&p.kind).is_some(), "unknown piece kind {}", p.kind);
                assert!(!p.title.is_empty());
                next = p.last_page + 1;
            }
            assert_eq!(next, doc.page_count + 1, "{}: pieces do not cover {}", g.dossier, doc.file);
            for (i, p) in doc.pages.iter().enumerate() {
                assert_eq!(p.number, i + 1);
                assert_eq!(p.scan.is_some(), p.mode == gold::Mode::Scanned);
                assert!(!p.text.trim().is_empty());
            }
        }
        let persons: BTreeSet<&str> = g.persons.iter().map(|p| p.id.as_str()).collect();
        for p in &g.pieces {
            assert!(p.persons.iter().all(|id| persons.contains(id.as_str())), "{:?}", p.persons);
        }
        assert!(g.persons.iter().any(|p| p.role == "mis_en_cause"));
        // Offences: 1 to 3, articles of their category.
        assert!((1..=3).contains(&g.offences.len()), "{:?}", g.offences);
        let mut cats = Vec::new();
        for o in &g.offences {
            let c = d.category(&o.category).expect("known category");
            assert!(!o.articles.is_empty() && o.articles.iter().all(|a| c.articles.contains(a)), "{o:?}");
            assert!(o.aggravations.iter().all(|a| c.aggravations.iter().any(|x| &x.id == a)), "{o:?}");
            cats.push(o.category.as_str());
        }
        // Questions: exactly the applicable ones, each with a coherent status.
        let want: Vec<&str> = d.questions_for(&cats).iter().map(|q| q.id.as_str()).collect();
        let got: Vec<&str> = g.questions.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(got, want);
        for q in &g.questions {
            match q.status {
                Status::Found => assert!(!q.value.is_null() && !q.evidence.is_empty() && q.versions.is_none(), "{q:?}"),
                Status::NotFound => assert!(q.value.is_null() && q.evidence.is_empty() && q.versions.is_none(), "{q:?}"),
                Status::Conflicting => {
                    let v = q.versions.as_ref().expect("versions");
                    assert!(q.value.is_null() && v.len() >= 2 && v.iter().all(|x| !x.evidence.is_empty()), "{q:?}");
                }
            }
            let question = d.question(&q.id).unwrap();
            if question.answer == taxonomy::AnswerType::Person && q.status == Status::Found {
                assert!(persons.contains(q.value.as_str().unwrap()), "{q:?}");
            }
        }
    }

    #[test]
    fn generated_gold_files_are_coherent_and_varied() {
        let params = Params { seed: 3, count: 12, pages: (3, 25), scanned: 0.0, forced_scans: None };
        let mut statuses = BTreeSet::new();
        let mut kinds = BTreeSet::new();
        let mut categories = BTreeSet::new();
        for i in 0..params.count {
            let dossier = dossier(&params, i).unwrap();
            check(&dossier.gold);
            let pages: usize = dossier.gold.documents.iter().map(|d| d.page_count).sum();
            assert!((3..=25).contains(&pages), "{pages} pages");
            statuses.extend(dossier.gold.questions.iter().map(|q| format!("{:?}", q.status)));
            kinds.extend(dossier.gold.pieces.iter().map(|p| p.kind.clone()));
            categories.extend(dossier.gold.offences.iter().map(|o| o.category.clone()));
        }
        assert_eq!(statuses.len(), 3, "found, not found and conflicting all occur: {statuses:?}");
        assert!(kinds.len() >= 10, "{kinds:?}");
        assert!(categories.len() >= 6, "{categories:?}");
    }

    #[test]
    fn a_long_dossier_reaches_its_page_count_with_fillers() {
        let params = Params { seed: 9, count: 1, pages: (150, 150), scanned: 0.0, forced_scans: None };
        let d = dossier(&params, 0).unwrap();
        check(&d.gold);
        assert_eq!(d.gold.documents.iter().map(|d| d.page_count).sum::<usize>(), 150);
        assert!(d.gold.pieces.iter().any(|p| p.kind == "annexe"));
    }

    #[test]
    fn bad_page_ranges_are_refused_in_french() {
        assert!(parse_pages("10..3").is_ok_and(|p| Params { pages: p, ..Params::default() }.check().is_err()));
        let err = parse_pages("beaucoup").unwrap_err().to_string();
        assert!(err.contains("attendu"), "{err}");
        let err = Params { pages: (1, 5), ..Params::default() }.check().unwrap_err().to_string();
        assert!(err.contains("nombre de pages"), "{err}");
    }
}
