//! Scoring a dossier's computed offences and answers against its gold file.
//!
//! The acceptance figures (offence micro-F1, answers correct, citations on the gold
//! evidence, `not_found` agreement, conflicts flagged) are all computed here, once, so the tests,
//! the `eval` command and the benches report the same numbers. The inputs are plain data
//! ([`ScoredAnswer`], [`ScoredCitation`]) rather than the operators' types, so the scorer only
//! needs what any producer of answers can give; callers convert.
//!
//! How each figure is counted:
//!
//! - **Offences**: per category, true positive when both the output and the gold name it, false
//!   positive when only the output does, false negative when only the gold does. Micro-F1 sums
//!   the counts over categories (and dossiers) before dividing.
//! - **Value correct** (gold `found` questions): the answer is `found` and its value equals the
//!   gold value by the comparison of the question's answer type (see [`values_match`]): persons by
//!   name against the gold persons, numbers within a tolerance, rates by value and unit, dates and
//!   date-times as ISO strings, yes/no exactly, texts by [`texts_match`], lists as sets of texts.
//! - **Citations**: every citation of an answer to a gold `found` or `conflicting` question is
//!   counted; it overlaps when it is on the document and page of a gold evidence (of the answer or
//!   of any of its versions) and one of its boxes intersects that evidence's box.
//! - **not_found agreement**: a gold `not_found` question is agreed when the output is
//!   `not_found` or absent.
//! - **Conflict flagged**: a gold `conflicting` question is flagged when the output is
//!   `conflicting`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::gold::{Evidence, Gold, Person, Status};
use crate::taxonomy::{AnswerType, domain};

/// A citation as the scorer needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredCitation {
    pub document: String,
    pub page: usize,
    /// `[x0, y0, x1, y1]`, points, origin top-left.
    pub boxes: Vec<[f32; 4]>,
}

/// One computed answer as the scorer needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredAnswer {
    /// Question id.
    pub question: String,
    pub status: Status,
    /// The normalised value (gold shape, except persons: a name, see [`values_match`]).
    pub value: Option<serde_json::Value>,
    pub citations: Vec<ScoredCitation>,
    /// For a conflicting answer, each version's value.
    pub versions: Vec<serde_json::Value>,
}

impl From<&ap_operators::answer::Answer> for ScoredAnswer {
    fn from(a: &ap_operators::answer::Answer) -> Self {
        use ap_operators::answer::AnswerStatus;
        ScoredAnswer {
            question: a.question.clone(),
            status: match a.status {
                AnswerStatus::Found => Status::Found,
                AnswerStatus::NotFound => Status::NotFound,
                AnswerStatus::Conflicting => Status::Conflicting,
            },
            value: a.value.clone(),
            citations: a
                .citations
                .iter()
                .map(|c| ScoredCitation { document: c.document.clone(), page: c.page as usize, boxes: c.boxes.iter().map(|b| b.to_array()).collect() })
                .collect(),
            versions: a.versions.iter().map(|v| v.value.clone()).collect(),
        }
    }
}

/// Offence counts of one category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub tp: u32,
    pub fp: u32,
    pub fn_: u32,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
    /// F1 of these counts (1 when there is nothing to find and nothing found).
    pub fn f1(&self) -> f64 {
        let denom = 2 * self.tp + self.fp + self.fn_;
        if denom == 0 { 1.0 } else { f64::from(2 * self.tp) / f64::from(denom) }
    }
}

/// Answer figures, summable over questions, categories and dossiers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerCounts {
    /// Gold `found` questions, and those answered `found` with the right value.
    pub found: u32,
    pub found_correct: u32,
    /// Citations counted, and those overlapping a gold evidence box on the right page.
    pub citations: u32,
    pub citations_overlapping: u32,
    /// Gold `not_found` questions, and those answered `not_found` (or not answered).
    pub not_found: u32,
    pub not_found_agreed: u32,
    /// Gold `conflicting` questions, and those answered `conflicting`.
    pub conflicts: u32,
    pub conflicts_flagged: u32,
    /// Answers `found` or `conflicting` where the gold says `not_found` (invented answers).
    pub invented: u32,
}

impl AnswerCounts {
    pub fn add(&mut self, o: &AnswerCounts) {
        self.found += o.found;
        self.found_correct += o.found_correct;
        self.citations += o.citations;
        self.citations_overlapping += o.citations_overlapping;
        self.not_found += o.not_found;
        self.not_found_agreed += o.not_found_agreed;
        self.conflicts += o.conflicts;
        self.conflicts_flagged += o.conflicts_flagged;
        self.invented += o.invented;
    }
    /// Share of gold `found` questions answered with the right value (1 when there are none).
    pub fn correct_rate(&self) -> f64 {
        ratio(self.found_correct, self.found)
    }
    pub fn citation_rate(&self) -> f64 {
        ratio(self.citations_overlapping, self.citations)
    }
    pub fn not_found_rate(&self) -> f64 {
        ratio(self.not_found_agreed, self.not_found)
    }
    pub fn conflict_rate(&self) -> f64 {
        ratio(self.conflicts_flagged, self.conflicts)
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 { 1.0 } else { f64::from(a) / f64::from(b) }
}

/// How one question was answered, against its gold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionScore {
    pub question: String,
    /// The offence category the question serves (`None`: common).
    pub category: Option<String>,
    pub gold_status: Status,
    /// The output status (`None`: not answered at all).
    pub status: Option<Status>,
    /// For gold `found`: whether the value is right.
    pub value_correct: Option<bool>,
    pub gold_value: serde_json::Value,
    pub value: Option<serde_json::Value>,
    pub counts: AnswerCounts,
}

/// The score of one dossier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DossierScore {
    pub dossier: String,
    /// Offence counts per category id.
    pub offences: BTreeMap<String, Counts>,
    pub questions: Vec<QuestionScore>,
}

impl DossierScore {
    /// Offence counts summed over categories.
    pub fn offence_totals(&self) -> Counts {
        let mut c = Counts::default();
        self.offences.values().for_each(|o| c.add(o));
        c
    }
    /// Answer counts summed over questions.
    pub fn answer_totals(&self) -> AnswerCounts {
        let mut c = AnswerCounts::default();
        self.questions.iter().for_each(|q| c.add(&q.counts));
        c
    }
    /// Answer counts per question group: `common` or the category id.
    pub fn answers_by_category(&self) -> BTreeMap<String, AnswerCounts> {
        let mut out: BTreeMap<String, AnswerCounts> = BTreeMap::new();
        for q in &self.questions {
            out.entry(q.category.clone().unwrap_or_else(|| "common".into())).or_default().add(&q.counts);
        }
        out
    }
}

/// Figures summed over several dossiers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub dossiers: u32,
    pub offences: BTreeMap<String, Counts>,
    pub answers: BTreeMap<String, AnswerCounts>,
    /// Per question id.
    pub questions: BTreeMap<String, AnswerCounts>,
}

impl Totals {
    pub fn add(&mut self, s: &DossierScore) {
        self.dossiers += 1;
        for (k, c) in &s.offences {
            self.offences.entry(k.clone()).or_default().add(c);
        }
        for (k, c) in s.answers_by_category() {
            self.answers.entry(k).or_default().add(&c);
        }
        for q in &s.questions {
            self.questions.entry(q.question.clone()).or_default().add(&q.counts);
        }
    }
    pub fn offence_micro(&self) -> Counts {
        let mut c = Counts::default();
        self.offences.values().for_each(|o| c.add(o));
        c
    }
    pub fn answer_all(&self) -> AnswerCounts {
        let mut c = AnswerCounts::default();
        self.answers.values().for_each(|o| c.add(o));
        c
    }
    /// A plain-text table of the figures, per category then overall.
    pub fn report(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "dossiers: {}", self.dossiers);
        let m = self.offence_micro();
        let _ = writeln!(s, "offences micro-F1 {:.3} (tp {} fp {} fn {})", m.f1(), m.tp, m.fp, m.fn_);
        for (k, c) in &self.offences {
            let _ = writeln!(s, "  offence {k:<28} F1 {:.3} (tp {} fp {} fn {})", c.f1(), c.tp, c.fp, c.fn_);
        }
        let line = |s: &mut String, k: &str, c: &AnswerCounts| {
            let _ = writeln!(
                s,
                "  {k:<28} correct {}/{} citations {}/{} not_found {}/{} conflicts {}/{} invented {}",
                c.found_correct, c.found, c.citations_overlapping, c.citations, c.not_found_agreed, c.not_found,
                c.conflicts_flagged, c.conflicts, c.invented
            );
        };
        for (k, c) in &self.answers {
            line(&mut s, k, c);
        }
        let a = self.answer_all();
        line(&mut s, "ALL", &a);
        let _ = writeln!(
            s,
            "answers correct {:.3} citations {:.3} not_found {:.3} conflicts {:.3}",
            a.correct_rate(),
            a.citation_rate(),
            a.not_found_rate(),
            a.conflict_rate()
        );
        s
    }
}

/// Score one dossier's output (offence category ids and answers) against its gold.
pub fn score_dossier(gold: &Gold, offences: &[String], answers: &[ScoredAnswer]) -> DossierScore {
    let mut out = DossierScore { dossier: gold.dossier.clone(), ..Default::default() };
    for o in &gold.offences {
        let c = out.offences.entry(o.category.clone()).or_default();
        if offences.contains(&o.category) { c.tp += 1 } else { c.fn_ += 1 }
    }
    for o in offences {
        if !gold.offences.iter().any(|g| &g.category == o) {
            out.offences.entry(o.clone()).or_default().fp += 1;
        }
    }
    let d = domain();
    for qg in &gold.questions {
        let question = d.question(&qg.id);
        let category = question.filter(|q| !q.is_common()).and_then(|q| {
            q.applies_to.iter().find(|c| gold.offences.iter().any(|o| &o.category == *c)).or(q.applies_to.first()).cloned()
        });
        let answer_type = question.map_or(AnswerType::Text, |q| q.answer);
        let ans = answers.iter().find(|a| a.question == qg.id);
        let mut counts = AnswerCounts::default();
        let mut value_correct = None;
        match qg.status {
            Status::Found => {
                counts.found = 1;
                let ok = ans.is_some_and(|a| {
                    a.status == Status::Found
                        && a.value.as_ref().is_some_and(|v| values_match(answer_type, v, &qg.value, &gold.persons))
                });
                counts.found_correct = u32::from(ok);
                value_correct = Some(ok);
            }
            Status::NotFound => {
                counts.not_found = 1;
                let agreed = ans.is_none_or(|a| a.status == Status::NotFound);
                counts.not_found_agreed = u32::from(agreed);
                counts.invented = u32::from(!agreed);
            }
            Status::Conflicting => {
                counts.conflicts = 1;
                counts.conflicts_flagged = u32::from(ans.is_some_and(|a| a.status == Status::Conflicting));
            }
        }
        if qg.status != Status::NotFound
            && let Some(a) = ans
        {
            let mut evidence: Vec<&Evidence> = qg.evidence.iter().collect();
            for v in qg.versions.iter().flatten() {
                evidence.extend(v.evidence.iter());
            }
            for c in &a.citations {
                counts.citations += 1;
                counts.citations_overlapping += u32::from(citation_overlaps(c, &evidence));
            }
        }
        out.questions.push(QuestionScore {
            question: qg.id.clone(),
            category,
            gold_status: qg.status,
            status: ans.map(|a| a.status),
            value_correct,
            gold_value: qg.value.clone(),
            value: ans.and_then(|a| a.value.clone()),
            counts,
        });
    }
    out
}

/// Whether a citation lies on the page of one of the evidences with an intersecting box.
pub fn citation_overlaps(c: &ScoredCitation, evidence: &[&Evidence]) -> bool {
    evidence.iter().any(|e| {
        e.document == c.document && e.page == c.page && c.boxes.iter().any(|b| intersects(b, &e.bbox))
    })
}

fn intersects(a: &[f32; 4], b: &[f32; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// Whether an output value equals a gold value for a question of type `answer`.
///
/// - person: the gold value is a person id; the output may be that id, a name string ("Karim
///   MICHEL", "MICHEL Karim") or an object `{nom, prenom}`; names compare as folded word sets.
/// - count, amount, duration: numbers within 0.5 % (and 0.01 absolute).
/// - rate: `{value, unit}` with the value within 0.5 % and the same unit (folded).
/// - date, datetime: the same ISO string.
/// - yes_no: the same boolean.
/// - text: [`texts_match`]. list: every gold item matches a distinct output item and the output
///   has no extra item.
pub fn values_match(answer: AnswerType, output: &serde_json::Value, gold: &serde_json::Value, persons: &[Person]) -> bool {
    use serde_json::Value as J;
    match answer {
        AnswerType::Person => {
            let Some(id) = gold.as_str() else { return false };
            if output.as_str() == Some(id) {
                return true;
            }
            let Some(p) = persons.iter().find(|p| p.id == id) else { return false };
            let name = match output {
                J::String(s) => s.clone(),
                J::Object(m) => format!(
                    "{} {}",
                    m.get("nom").and_then(J::as_str).unwrap_or_default(),
                    m.get("prenom").and_then(J::as_str).unwrap_or_default()
                ),
                _ => return false,
            };
            word_set(&name) == word_set(&format!("{} {}", p.nom, p.prenom))
        }
        AnswerType::Count | AnswerType::Amount | AnswerType::Duration => match (output.as_f64(), gold.as_f64()) {
            (Some(a), Some(b)) => close(a, b),
            _ => false,
        },
        AnswerType::Rate => {
            let get = |v: &J| Some((v.get("value")?.as_f64()?, fold(v.get("unit")?.as_str()?)));
            match (get(output), get(gold)) {
                (Some((a, ua)), Some((b, ub))) => close(a, b) && ua.replace(' ', "") == ub.replace(' ', ""),
                _ => false,
            }
        }
        AnswerType::Date | AnswerType::Datetime => match (output.as_str(), gold.as_str()) {
            (Some(a), Some(b)) => a.trim() == b.trim(),
            _ => false,
        },
        AnswerType::YesNo => output.as_bool().is_some() && output.as_bool() == gold.as_bool(),
        AnswerType::Text => match (output.as_str(), gold.as_str()) {
            (Some(a), Some(b)) => texts_match(a, b),
            _ => false,
        },
        AnswerType::List => {
            let items = |v: &J| -> Option<Vec<String>> {
                v.as_array()?.iter().map(|x| x.as_str().map(str::to_string)).collect()
            };
            let (Some(out), Some(gold)) = (items(output), items(gold)) else { return false };
            if out.len() != gold.len() {
                return false;
            }
            let mut used = vec![false; out.len()];
            gold.iter().all(|g| {
                let hit = out.iter().enumerate().position(|(i, o)| !used[i] && texts_match(o, g));
                hit.map(|i| used[i] = true).is_some()
            })
        }
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.01f64.max(b.abs() * 0.005)
}

/// Lower case, accents removed, anything not a letter or digit turned into a space, spaces
/// collapsed.
pub fn fold(s: &str) -> String {
    let stripped: String = s
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| if c.is_alphanumeric() { c.to_lowercase().next().unwrap_or(c) } else { ' ' })
        .collect();
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn word_set(s: &str) -> std::collections::BTreeSet<String> {
    fold(s).split(' ').filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// Words that carry no meaning for the comparison of short texts.
const STOPWORDS: &[&str] = &[
    "le", "la", "les", "l", "de", "du", "des", "d", "un", "une", "a", "au", "aux", "et", "en", "par", "pour", "sur",
    "dans", "avec", "son", "sa", "ses",
];
/// Words that change the meaning of a phrase: they must agree exactly.
const POLARITY: &[&str] = &["ne", "n", "pas", "non", "aucun", "aucune", "jamais", "sans", "partiellement", "partie", "nie", "conteste"];

/// Whether two short texts say the same thing: after [`fold`] and dropping [`STOPWORDS`], the
/// word sets have a Jaccard index of at least 0.75 (an address with or without its postcode
/// matches), the [`POLARITY`] words are the same on both sides, and every number of the output is
/// in the gold.
pub fn texts_match(output: &str, gold: &str) -> bool {
    let content = |s: &str| -> std::collections::BTreeSet<String> {
        word_set(s).into_iter().filter(|w| !STOPWORDS.contains(&w.as_str())).collect()
    };
    let (a, b) = (content(output), content(gold));
    if a.is_empty() || b.is_empty() {
        return a == b;
    }
    let polarity = |s: &std::collections::BTreeSet<String>| -> Vec<String> {
        s.iter().filter(|w| POLARITY.contains(&w.as_str())).cloned().collect()
    };
    if polarity(&a) != polarity(&b) {
        return false;
    }
    if a.iter().any(|w| w.chars().all(|c| c.is_ascii_digit()) && !b.contains(w)) {
        return false;
    }
    let inter = a.intersection(&b).count() as f64;
    let union = a.union(&b).count() as f64;
    inter / union >= 0.75
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gold::{Offence, QuestionGold};
    use serde_json::json;

    fn person(id: &str, nom: &str, prenom: &str) -> Person {
        Person {
            id: id.into(),
            role: "mis_en_cause".into(),
            civilite: "Monsieur".into(),
            nom: nom.into(),
            prenom: prenom.into(),
            date_naissance: None,
            lieu_naissance: None,
            adresse: None,
        }
    }

    fn ev(doc: &str, page: usize, bbox: [f32; 4]) -> Evidence {
        Evidence { document: doc.into(), page, bbox, quote: "x".into() }
    }

    #[test]
    fn texts_compare_by_meaning_words() {
        assert!(texts_match("85 place de la Mairie à Montreuil", "85 place de la Mairie, 93100 Montreuil"));
        assert!(texts_match("Reconnaît les faits", "reconnaît les faits"));
        assert!(!texts_match("reconnaît partiellement les faits", "reconnaît les faits"));
        assert!(!texts_match("ne reconnaît pas les faits", "reconnaît les faits"));
        assert!(!texts_match("86 place de la Mairie à Montreuil", "85 place de la Mairie, 93100 Montreuil"));
        assert!(!texts_match("une barre de fer", "un casque de moto"));
    }

    #[test]
    fn values_compare_by_answer_type() {
        let persons = vec![person("mec1", "MICHEL", "Karim")];
        assert!(values_match(AnswerType::Person, &json!("Karim MICHEL"), &json!("mec1"), &persons));
        assert!(values_match(AnswerType::Person, &json!({"nom": "Michel", "prenom": "Karim"}), &json!("mec1"), &persons));
        assert!(!values_match(AnswerType::Person, &json!("Karim MARTIN"), &json!("mec1"), &persons));
        assert!(values_match(AnswerType::Duration, &json!(5), &json!(5.0), &persons));
        assert!(!values_match(AnswerType::Duration, &json!(6), &json!(5.0), &persons));
        assert!(values_match(AnswerType::Rate, &json!({"value": 0.62, "unit": "mg/l"}), &json!({"value": 0.62, "unit": "mg/l"}), &persons));
        assert!(!values_match(AnswerType::Rate, &json!({"value": 0.62, "unit": "g/l"}), &json!({"value": 0.62, "unit": "mg/l"}), &persons));
        assert!(values_match(AnswerType::Datetime, &json!("2024-09-09T18:05"), &json!("2024-09-09T18:05"), &persons));
        assert!(!values_match(AnswerType::Datetime, &json!("2024-09-09T18:06"), &json!("2024-09-09T18:05"), &persons));
        assert!(values_match(AnswerType::YesNo, &json!(false), &json!(false), &persons));
        assert!(!values_match(AnswerType::YesNo, &json!(null), &json!(false), &persons));
        assert!(values_match(AnswerType::List, &json!(["un téléphone", "une montre"]), &json!(["Une montre", "un téléphone"]), &persons));
        assert!(!values_match(AnswerType::List, &json!(["un téléphone"]), &json!(["une montre", "un téléphone"]), &persons));
    }

    #[test]
    fn a_dossier_is_scored_question_by_question() {
        let gold = Gold {
            schema_version: 1,
            dossier: "D1".into(),
            seed: 1,
            index: 0,
            service: "s".into(),
            documents: vec![],
            persons: vec![person("mec1", "MICHEL", "Karim")],
            pieces: vec![],
            offences: vec![Offence { category: "violences".into(), articles: vec![], aggravations: vec![] }],
            questions: vec![
                QuestionGold {
                    id: "violences_itt".into(),
                    status: Status::Found,
                    value: json!(4.0),
                    evidence: vec![ev("doc1", 3, [10.0, 10.0, 100.0, 20.0])],
                    versions: None,
                },
                QuestionGold { id: "saisies".into(), status: Status::NotFound, value: json!(null), evidence: vec![], versions: None },
                QuestionGold { id: "prejudice".into(), status: Status::NotFound, value: json!(null), evidence: vec![], versions: None },
                QuestionGold {
                    id: "date_faits".into(),
                    status: Status::Conflicting,
                    value: json!(null),
                    evidence: vec![],
                    versions: Some(vec![crate::gold::Version {
                        value: json!("2024-01-01T10:00"),
                        evidence: vec![ev("doc1", 1, [0.0, 0.0, 50.0, 10.0])],
                    }]),
                },
            ],
        };
        let cite = |doc: &str, page, b| ScoredCitation { document: String::from(doc), page, boxes: vec![b] };
        let answers = vec![
            ScoredAnswer {
                question: "violences_itt".into(),
                status: Status::Found,
                value: Some(json!(4)),
                citations: vec![cite("doc1", 3, [50.0, 12.0, 60.0, 18.0]), cite("doc1", 2, [50.0, 12.0, 60.0, 18.0])],
                versions: vec![],
            },
            ScoredAnswer { question: "saisies".into(), status: Status::Found, value: Some(json!(["x"])), citations: vec![], versions: vec![] },
            ScoredAnswer {
                question: "date_faits".into(),
                status: Status::Conflicting,
                value: None,
                citations: vec![cite("doc1", 1, [40.0, 5.0, 45.0, 8.0])],
                versions: vec![],
            },
        ];
        let s = score_dossier(&gold, &["violences".into(), "vol".into()], &answers);
        let o = s.offence_totals();
        assert_eq!((o.tp, o.fp, o.fn_), (1, 1, 0));
        let a = s.answer_totals();
        assert_eq!((a.found, a.found_correct), (1, 1));
        assert_eq!((a.citations, a.citations_overlapping), (3, 2));
        assert_eq!((a.not_found, a.not_found_agreed, a.invented), (2, 1, 1));
        assert_eq!((a.conflicts, a.conflicts_flagged), (1, 1));
        assert_eq!(s.answers_by_category()["violences"].found_correct, 1);
        let mut t = Totals::default();
        t.add(&s);
        t.add(&s);
        assert_eq!(t.answer_all().found, 2);
        assert!(t.report().contains("violences"));
    }
}
