//! The domain's single source of truth: offence taxonomy, question bank and piece kinds.
//!
//! The definitions are data files under `datasets/data/` (`taxonomy.toml`, `questions.toml`,
//! `pieces.toml`, `articles.json`), embedded here at build time and parsed once, so the corpus
//! generator and every operator share one definition and none needs the files at run time.
//! `datasets` depends on this crate, never the reverse.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

const TAXONOMY_TOML: &str = include_str!("../../datasets/data/taxonomy.toml");
const QUESTIONS_TOML: &str = include_str!("../../datasets/data/questions.toml");
const PIECES_TOML: &str = include_str!("../../datasets/data/pieces.toml");
const ARTICLES_JSON: &str = include_str!("../../datasets/data/articles.json");

/// An aggravating circumstance of an offence category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggravation {
    /// Stable snake_case id, e.g. `conjoint`.
    pub id: String,
    /// French label, as a magistrate reads it.
    pub label: String,
    /// The article (and numbered item) that provides it, e.g. `CP 222-13 6°`.
    #[serde(default)]
    pub article: Option<String>,
}

/// One offence category of the taxonomy (e.g. `violences_conjugales`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffenceCategory {
    /// Stable snake_case id.
    pub id: String,
    /// French label.
    pub label: String,
    /// Cited articles, e.g. `CP 222-13`, `C. route L234-1`, `CSP L3421-1`.
    pub articles: Vec<String>,
    /// What each article of `articles` does (same order): "définition", "répression", …
    #[serde(default)]
    pub roles: Vec<String>,
    /// Aggravating circumstances that matter for this category.
    #[serde(default)]
    pub aggravations: Vec<Aggravation>,
}

/// The expected type of a question's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerType {
    /// A calendar date (`YYYY-MM-DD`).
    Date,
    /// A date and time (`YYYY-MM-DDTHH:MM`).
    Datetime,
    /// A duration, as a number in the question's unit.
    Duration,
    /// A person of the dossier.
    Person,
    /// A whole number.
    Count,
    /// A sum of money, in the question's unit.
    Amount,
    /// A measured quantity with its unit (alcohol rate, weight).
    Rate,
    /// Yes or no.
    YesNo,
    /// Free text.
    Text,
    /// A list of short texts.
    List,
}

/// Who a question applies to.
pub const COMMON: &str = "common";

/// One question of the bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// Stable snake_case id, e.g. `itt_jours`.
    pub id: String,
    /// French wording.
    pub wording: String,
    /// Expected answer type.
    pub answer: AnswerType,
    /// Unit of a duration, amount or rate (`jours`, `EUR`, `mg/l`, `g`).
    #[serde(default)]
    pub unit: Option<String>,
    /// `["common"]` or the offence category ids the question serves.
    pub applies_to: Vec<String>,
}

impl Question {
    /// Whether the question is asked of every dossier.
    pub fn is_common(&self) -> bool {
        self.applies_to.iter().any(|a| a == COMMON)
    }
}

/// One kind of piece (bordereau, plainte, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PieceKindDef {
    /// Stable snake_case id, the same as in gold files.
    pub id: String,
    /// French label.
    pub label: String,
}

/// The text of a cited article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// Code name, e.g. "Code pénal".
    pub code: String,
    /// Article number within the code, e.g. "222-13".
    pub article: String,
    /// Divisions of the code, from "Partie législative" down.
    #[serde(default)]
    pub headings: Vec<String>,
    /// The article's text.
    pub text: String,
    /// Where the text comes from (`legi-2020-09-01` or `manual`).
    pub source: String,
}

/// The whole domain definition, parsed once.
#[derive(Debug)]
pub struct Domain {
    /// Offence categories, in file order.
    pub categories: Vec<OffenceCategory>,
    /// Question bank, in file order.
    pub questions: Vec<Question>,
    /// Piece kinds, in file order.
    pub pieces: Vec<PieceKindDef>,
    /// Article texts by reference (`CP 222-13`).
    pub articles: BTreeMap<String, Article>,
}

#[derive(Deserialize)]
struct TaxonomyFile {
    category: Vec<OffenceCategory>,
}
#[derive(Deserialize)]
struct QuestionsFile {
    question: Vec<Question>,
}
#[derive(Deserialize)]
struct PiecesFile {
    piece: Vec<PieceKindDef>,
}

impl Domain {
    /// The embedded domain definition (parsed on first use; the files are checked by tests, so a
    /// failure here is a build defect).
    pub fn get() -> &'static Domain {
        static DOMAIN: OnceLock<Domain> = OnceLock::new();
        DOMAIN.get_or_init(|| Domain::parse().expect("datasets/data files are valid (checked by tests)"))
    }

    /// Parse the embedded files.
    pub fn parse() -> Result<Domain> {
        Self::parse_from(TAXONOMY_TOML, QUESTIONS_TOML, PIECES_TOML, ARTICLES_JSON)
    }

    /// Parse definitions given as text (used by tests with broken inputs).
    pub fn parse_from(taxonomy: &str, questions: &str, pieces: &str, articles: &str) -> Result<Domain> {
        let bad = |file: &str, e: String| Error::Domain(format!("{file} : {e}"));
        let categories = toml::from_str::<TaxonomyFile>(taxonomy).map_err(|e| bad("taxonomy.toml", e.to_string()))?.category;
        let questions = toml::from_str::<QuestionsFile>(questions).map_err(|e| bad("questions.toml", e.to_string()))?.question;
        let pieces = toml::from_str::<PiecesFile>(pieces).map_err(|e| bad("pieces.toml", e.to_string()))?.piece;
        let articles: BTreeMap<String, Article> =
            serde_json::from_str(articles).map_err(|e| bad("articles.json", e.to_string()))?;
        let domain = Domain { categories, questions, pieces, articles };
        domain.validate()?;
        Ok(domain)
    }

    /// Cross-file consistency: unique ids, every cited article has a text, every question
    /// applies to real categories.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for c in &self.categories {
            if !seen.insert(c.id.as_str()) {
                problems.push(format!("catégorie en double : {}", c.id));
            }
            if !c.roles.is_empty() && c.roles.len() != c.articles.len() {
                problems.push(format!("catégorie {} : {} rôles pour {} articles", c.id, c.roles.len(), c.articles.len()));
            }
            for g in &c.aggravations {
                if let Some(a) = &g.article {
                    let cited = a.rsplit_once(' ').filter(|(_, tail)| tail.ends_with('°')).map_or(a.as_str(), |(head, _)| head);
                    if !self.articles.contains_key(cited) {
                        problems.push(format!("circonstance {} de {} : article sans texte {cited}", g.id, c.id));
                    }
                }
            }
            for a in &c.articles {
                match self.articles.get(a) {
                    Some(art) if !art.text.trim().is_empty() => {}
                    _ => problems.push(format!("article sans texte : {a} (catégorie {})", c.id)),
                }
            }
        }
        let mut qseen = std::collections::BTreeSet::new();
        for q in &self.questions {
            if !qseen.insert(q.id.as_str()) {
                problems.push(format!("question en double : {}", q.id));
            }
            if q.applies_to.is_empty() {
                problems.push(format!("question {} : applies_to vide", q.id));
            }
            for a in &q.applies_to {
                if a != COMMON && self.category(a).is_none() {
                    problems.push(format!("question {} : catégorie inconnue « {a} »", q.id));
                }
            }
        }
        let mut pseen = std::collections::BTreeSet::new();
        for p in &self.pieces {
            if !pseen.insert(p.id.as_str()) {
                problems.push(format!("type de pièce en double : {}", p.id));
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(Error::Domain(problems.join(" ; "))) }
    }

    /// The category with this id.
    pub fn category(&self, id: &str) -> Option<&OffenceCategory> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// The question with this id.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// The piece kind with this id.
    pub fn piece(&self, id: &str) -> Option<&PieceKindDef> {
        self.pieces.iter().find(|p| p.id == id)
    }

    /// Questions that apply to a dossier with these offence categories: the common ones, then
    /// those of each category, each once, in bank order.
    pub fn questions_for<'a>(&'a self, categories: &[&str]) -> Vec<&'a Question> {
        self.questions
            .iter()
            .filter(|q| q.is_common() || q.applies_to.iter().any(|a| categories.contains(&a.as_str())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_files_are_consistent() {
        let d = Domain::parse().unwrap();
        for id in [
            "vol", "violences", "violences_conjugales", "menaces", "harcelement", "agression_sexuelle",
            "stupefiants", "alcool_stupefiants_volant", "refus_obtemperer", "conduite_sans_permis",
            "outrage_rebellion", "escroquerie", "abus_de_confiance", "degradations", "recel",
        ] {
            let c = d.category(id).unwrap_or_else(|| panic!("missing category {id}"));
            assert!(!c.articles.is_empty(), "{id} cites no article");
        }
        assert!(d.questions.iter().filter(|q| q.is_common()).count() >= 10);
        assert_eq!(d.pieces.len(), 20);
        assert!(d.piece("placement_gav").is_some());
    }

    #[test]
    fn every_cited_article_has_a_text() {
        let d = Domain::get();
        for c in &d.categories {
            for a in &c.articles {
                let art = d.articles.get(a).unwrap_or_else(|| panic!("{a} has no text"));
                assert!(art.text.len() > 20, "{a}: text too short");
                assert!(a.ends_with(&art.article), "{a} stored as {}", art.article);
            }
        }
    }

    #[test]
    fn unknown_category_in_questions_is_reported() {
        let questions = "[[question]]\nid = \"x\"\nwording = \"?\"\nanswer = \"text\"\napplies_to = [\"vol_a_la_tire\"]\n";
        let err = Domain::parse_from(TAXONOMY_TOML, questions, PIECES_TOML, ARTICLES_JSON).unwrap_err();
        assert!(err.to_string().contains("vol_a_la_tire"), "{err}");
    }

    #[test]
    fn missing_article_text_is_reported() {
        let err = Domain::parse_from(TAXONOMY_TOML, QUESTIONS_TOML, PIECES_TOML, "{}").unwrap_err();
        assert!(err.to_string().contains("CP 222-13"), "{err}");
    }

    #[test]
    fn questions_for_a_dossier_include_common_and_category_questions() {
        let d = Domain::get();
        let qs = d.questions_for(&["violences_conjugales"]);
        assert!(qs.iter().any(|q| q.id == "vc_itt"));
        assert!(qs.iter().any(|q| q.id == "date_faits"));
        assert!(!qs.iter().any(|q| q.id == "alcool_taux"));
    }
}
