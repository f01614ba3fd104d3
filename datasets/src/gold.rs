//! The gold file written beside each generated dossier: the truth about it.
//!
//! The schema is the corpus contract shared with the ingestion operators, documented in
//! `datasets/README.md`; the types here are that schema. Pages are numbered from 1 within their
//! document; boxes are `[x0, y0, x1, y1]` in PDF points with the origin at the page's top-left
//! corner as displayed.
//!
//! While a dossier is written, each statement of a fact carries a typed [`Value`]; the gold file
//! holds the plain JSON form of that value for the question's answer type ([`Value::to_json`]).

use serde::{Deserialize, Serialize};

use crate::taxonomy::{AnswerType, Question};

/// Version of this schema, written in every gold file.
pub const SCHEMA_VERSION: u32 = 1;

/// The truth about one generated dossier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gold {
    pub schema_version: u32,
    /// Dossier id, also its folder name.
    pub dossier: String,
    /// Corpus seed and index of the dossier in the corpus: together they determine it.
    pub seed: u64,
    pub index: u64,
    /// The investigating service.
    pub service: String,
    pub documents: Vec<Document>,
    pub persons: Vec<Person>,
    pub pieces: Vec<Piece>,
    pub offences: Vec<Offence>,
    pub questions: Vec<QuestionGold>,
}

/// One PDF file of the dossier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// `doc1`, `doc2`, … in file order.
    pub id: String,
    /// File name, relative to the dossier folder.
    pub file: String,
    pub page_count: usize,
    /// Every page, in order.
    pub pages: Vec<Page>,
}

/// How a page was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Real text layer.
    Native,
    /// Image only, no text layer.
    Scanned,
}

/// What is on one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub number: usize,
    /// Page size in points, as in the PDF (a page scanned sideways is landscape).
    pub width: f32,
    pub height: f32,
    pub mode: Mode,
    /// How the page was scanned; null for a native page.
    pub scan: Option<Scan>,
    /// The text printed on the page, lines joined by `\n` (for a scan: the text before scanning).
    pub text: String,
}

/// The simulated scan of a page.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scan {
    pub dpi: u32,
    /// Quarter turns of the sheet, degrees clockwise: 0, 90, 180 or 270.
    pub rotation: u32,
    /// Skew of the sheet on the glass, degrees, counter-clockwise.
    pub skew_deg: f32,
    /// Standard deviation of the grey noise added, as a fraction of full scale.
    pub noise: f32,
    /// Box-blur radius in pixels (0: sharp).
    pub blur: f32,
    pub jpeg_quality: u8,
}

/// A person of the dossier (fictional).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    /// mis_en_cause, victime, temoin, enqueteur.
    pub role: String,
    pub civilite: String,
    pub nom: String,
    pub prenom: String,
    pub date_naissance: Option<String>,
    pub lieu_naissance: Option<String>,
    pub adresse: Option<String>,
}

/// A piece of the procédure: a contiguous range of pages of one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    /// Piece kind id (`datasets/data/pieces.toml`).
    pub kind: String,
    /// Id of the document holding it.
    pub document: String,
    pub first_page: usize,
    pub last_page: usize,
    /// Its heading as printed.
    pub title: String,
    /// The persons the piece is about (audition, GAV), by id.
    pub persons: Vec<String>,
}

/// An offence the dossier is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offence {
    /// Category id of the taxonomy.
    pub category: String,
    /// Articles, cited as "CP 222-13", "C. route L234-1".
    pub articles: Vec<String>,
    /// Ids of the aggravating circumstances of the taxonomy that apply.
    pub aggravations: Vec<String>,
}

/// Whether the file answers a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every source agrees: `value` is the answer.
    Found,
    /// Nothing in the file answers it.
    NotFound,
    /// Sources disagree: `versions` holds each value with its own evidence.
    Conflicting,
}

/// The gold answer to one applicable question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionGold {
    /// Question id of the bank.
    pub id: String,
    pub status: Status,
    /// The normalised answer (JSON form of the answer type), null unless found.
    pub value: serde_json::Value,
    /// Where the file states it (every place, for a found answer; empty otherwise).
    pub evidence: Vec<Evidence>,
    /// For a conflicting answer: each value the file states, with where.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub versions: Option<Vec<Version>>,
}

/// One of the values a conflicting answer takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub value: serde_json::Value,
    pub evidence: Vec<Evidence>,
}

/// Where the file states (part of) an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Id of the document.
    pub document: String,
    pub page: usize,
    /// [x0, y0, x1, y1], points, origin top-left.
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    /// The text exactly as printed.
    pub quote: String,
}

/// A typed answer value, as attached to a statement while the dossier is written.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// ISO 8601 date, or date-time to the minute.
    Date { value: String },
    /// ISO 8601 duration (`P5D`, `P3M`).
    Duration { value: String },
    Person { last_name: String, first_name: String, birth_date: Option<String> },
    Count { value: u64 },
    Amount { value: f64, currency: String },
    /// A number with its unit: mg/l, g/l, g.
    Rate { value: f64, unit: String },
    YesNo { value: bool },
    Text { value: String },
}

impl Value {
    pub fn text(s: impl Into<String>) -> Self {
        Value::Text { value: s.into() }
    }
    pub fn yes_no(b: bool) -> Self {
        Value::YesNo { value: b }
    }
    pub fn count(n: u64) -> Self {
        Value::Count { value: n }
    }
    pub fn euros(v: f64) -> Self {
        Value::Amount { value: (v * 100.0).round() / 100.0, currency: "EUR".into() }
    }
    pub fn rate(v: f64, unit: &str) -> Self {
        Value::Rate { value: (v * 1000.0).round() / 1000.0, unit: unit.into() }
    }
    pub fn days(n: u32) -> Self {
        Value::Duration { value: format!("P{n}D") }
    }

    /// The plain JSON form written in gold files for `question` (see the README): dates as
    /// ISO strings, durations as a number in the question's unit, persons as their person id,
    /// amounts as numbers, rates as `{value, unit}`, lists as arrays of strings.
    pub fn to_json(&self, question: &Question, persons: &[Person]) -> serde_json::Value {
        use serde_json::json;
        match self {
            Value::Date { value } if question.answer == AnswerType::Date => json!(value.get(..10).unwrap_or(value)),
            Value::Date { value } => json!(value),
            Value::Duration { value } => json!(iso_duration_in(value, question.unit.as_deref().unwrap_or("jours"))),
            Value::Person { last_name, first_name, .. } => persons
                .iter()
                .find(|p| &p.nom == last_name && &p.prenom == first_name)
                .map_or_else(|| json!(format!("{last_name} {first_name}")), |p| json!(p.id)),
            Value::Count { value } => json!(value),
            Value::Amount { value, .. } => json!(value),
            Value::Rate { value, unit } => json!({ "value": value, "unit": unit }),
            Value::YesNo { value } => json!(value),
            Value::Text { value } if question.answer == AnswerType::List => json!([value]),
            Value::Text { value } => json!(value),
        }
    }
}

/// `P5D` in days → 5; `P3M` in months → 3; across units with 30-day months and 7-day weeks.
fn iso_duration_in(iso: &str, unit: &str) -> f64 {
    let body = iso.trim_start_matches('P');
    let (n, u) = body.split_at(body.len().saturating_sub(1));
    let n: f64 = n.parse().unwrap_or(0.0);
    let days = match u {
        "D" => n,
        "W" => n * 7.0,
        "M" => n * 30.0,
        "Y" => n * 365.0,
        _ => n,
    };
    match unit {
        "mois" if u == "M" => n,
        "mois" => days / 30.0,
        "semaines" => days / 7.0,
        _ => days,
    }
}

/// The corpus manifest written at the root of the output folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    pub generator: String,
    pub seed: u64,
    pub count: u64,
    pub pages_min: usize,
    pub pages_max: usize,
    pub scanned_ratio: f64,
    pub dossiers: Vec<ManifestEntry>,
}

/// One dossier in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub dossier: String,
    pub pages: usize,
    pub scanned_pages: usize,
    pub categories: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::domain;

    #[test]
    fn values_take_the_json_form_of_their_question() {
        let d = domain();
        let persons = vec![Person {
            id: "p1".into(),
            role: "mis_en_cause".into(),
            civilite: "Monsieur".into(),
            nom: "DUPONT".into(),
            prenom: "Kevin".into(),
            date_naissance: None,
            lieu_naissance: None,
            adresse: None,
        }];
        let q = |id| d.question(id).unwrap_or_else(|| panic!("{id}"));
        assert_eq!(Value::days(5).to_json(q("violences_itt"), &persons), serde_json::json!(5.0));
        assert_eq!(Value::Duration { value: "P3M".into() }.to_json(q("harcelement_periode"), &persons), serde_json::json!(3.0));
        let who = Value::Person { last_name: "DUPONT".into(), first_name: "Kevin".into(), birth_date: None };
        assert_eq!(who.to_json(q("mec_identite"), &persons), serde_json::json!("p1"));
        let when = Value::Date { value: "2024-03-12T14:30".into() };
        assert_eq!(when.to_json(q("date_faits"), &persons), serde_json::json!("2024-03-12T14:30"));
        assert_eq!(Value::rate(0.62, "mg/l").to_json(q("alcool_taux"), &persons), serde_json::json!({"value": 0.62, "unit": "mg/l"}));
        assert_eq!(Value::text("un téléphone").to_json(q("saisies"), &persons), serde_json::json!(["un téléphone"]));
    }
}
