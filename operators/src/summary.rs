//! The draft "résumé des faits": a structured French synthesis where every sentence is cited.
//!
//! Writing the résumé des faits for a JLD, a réquisitoire or hearing notes is slow and adds
//! little; the magistrate wants a first draft to correct, never a text to trust blindly. So the
//! draft only says what the procédure says: each sentence is either an answer to a question of
//! the bank (its text and citations come from [`crate::answer`]) or a key sentence of a piece
//! quoted verbatim with its source (plainte, constatations, auditions, certificat médical,
//! casier, garde à vue, avis à magistrat, rapport de synthèse). Sections follow the order
//! magistrates use: the parties, the qualifications, the facts in the order of the procédure,
//! what each party says, medical findings, antecedents, the garde à vue, the follow-up.
//! Boilerplate (openings "L'an deux mille…", signatures, rights formulas) is left out.

use std::collections::BTreeSet;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::answer::{Answer, AnswerStatus};
use crate::dossier::{Citation, DossierText};
use crate::offence::Offence;
use crate::passage::{Passage, PassageKind};
use crate::piece::{Piece, PieceKind};

/// One sentence of the draft with its sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummarySentence {
    /// French text; a quotation of the procédure is between « ».
    pub text: String,
    /// Where the procédure says it (never empty).
    pub citations: Vec<Citation>,
}

/// A titled section of the draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummarySection {
    /// French title ("Les parties", "Les faits", …).
    pub title: String,
    /// Its sentences, in order.
    pub sentences: Vec<SummarySentence>,
}

/// The draft résumé des faits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Non-empty sections, in reading order.
    pub sections: Vec<SummarySection>,
}

impl Summary {
    /// The draft as plain text: a title, then each section's title and sentences, each sentence
    /// followed by its sources ("[doc1 p. 3]"), for the workspace synthesis and the DOCX export.
    pub fn to_plain_text(&self) -> String {
        let mut out = String::from("RÉSUMÉ DES FAITS (projet généré, à relire)\n");
        for section in &self.sections {
            out.push('\n');
            out.push_str(&section.title);
            out.push('\n');
            for s in &section.sentences {
                let mut sources: Vec<String> = Vec::new();
                for c in &s.citations {
                    let r = format!("{} p. {}", c.document, c.page);
                    if !sources.contains(&r) {
                        sources.push(r);
                    }
                }
                out.push_str(&format!("- {} [{}]\n", s.text, sources.join(", ")));
            }
        }
        out
    }
}

/// Sentences per piece quoted at most.
const PER_PIECE: usize = 3;
/// Characters of a quoted sentence at most (longer ones are left to the reader).
const MAX_QUOTE: usize = 320;

fn boilerplate() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?i)^(?:l'an |nous,|agissant |vu l|poursuivant |lecture faite|dont proc[eè]s|se pr[ée]sente devant|je suis inform|l'int[ée]ress[ée]\(?e?\)? l'officier|fait à |suite sur|feuillet|question ?:|mentions? |signature|l'officier|[ée]tant en patrouille|entendons |avisons |proc[ée]dons à la notification|lui notifions|audition d|-\s*(?:droit|est inform))",
        )
        .expect("valid boilerplate regex")
    })
}

/// Whether a sentence is worth quoting: not a formula, not a heading, not a question, long enough.
fn quotable(text: &str) -> bool {
    let t = text.trim();
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    let upper = t.chars().filter(|c| c.is_uppercase()).count();
    letters >= 20
        && t.len() <= MAX_QUOTE
        && upper * 10 < letters * 6
        && !t.ends_with('?')
        && !t.ends_with(':')
        && !boilerplate().is_match(t)
}

/// Key facts a sentence may state: a better quote than one that states none.
fn salience(text: &str) -> u32 {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"(?i)\b(?:frapp|coup|bless|ITT|incapacit|vol|dérob|menac|harc|touché|touchée|touchait|stupéfiant|cannabis|cocaïne|héroïne|gramm|mg/l|g/l|alcool|éthylom|fuite|permis|insult|propos|escroq|détourn|dégrad|provien|reconna|contest|nie |regrett|silence|taire|préjudice|partie civile|euros|condamn|récidive|garde à vue|prolongation|avocat|instruction|comparution|convocation|classement|ordonnance|déferrement|lésion|ecchymose|hématome|plaie|contusion|enfant|conjoint|concubin|compagne|mari\b|saisi|scellé)",
        )
        .expect("valid salience regex")
    });
    re.find_iter(text).count() as u32
}

/// How a piece introduces its speaker, for the sentence that quotes it.
fn speaker(piece: &Piece) -> String {
    let who = piece.persons.first().map(|p| match &p.prenom {
        Some(first) => format!("{first} {}", p.nom),
        None => p.nom.clone(),
    });
    match (piece.kind, who) {
        (PieceKind::Plainte, Some(w)) => format!("Dans sa plainte, {w} déclare"),
        (PieceKind::Plainte, None) => "Selon la plainte".into(),
        (PieceKind::AuditionVictime, Some(w)) => format!("Entendu(e) comme victime, {w} déclare"),
        (PieceKind::AuditionTemoin, Some(w)) => format!("Entendu(e) comme témoin, {w} déclare"),
        (PieceKind::AuditionMisEnCause, Some(w)) => format!("Entendu(e) comme mis en cause, {w} déclare"),
        (PieceKind::Confrontation, _) => "Lors de la confrontation".into(),
        (k, _) if k.is_audition() => "Lors de son audition, la personne entendue déclare".into(),
        (PieceKind::CertificatMedical, _) => "Le certificat médical indique".into(),
        (PieceKind::Casier, _) => "Le bulletin n° 1 du casier judiciaire mentionne".into(),
        (PieceKind::RapportSynthese, _) => "Selon le rapport de synthèse".into(),
        (PieceKind::AvisMagistrat, _) => "Selon l'avis à magistrat".into(),
        (PieceKind::PlacementGav | PieceKind::ProlongationGav | PieceKind::FinGav, _) => "Selon le procès-verbal de garde à vue".into(),
        (PieceKind::Ethylometre, _) => "Le ticket de mesure indique".into(),
        (PieceKind::PerquisitionSaisie, _) => "Selon le procès-verbal de perquisition".into(),
        _ => "Selon les enquêteurs".into(),
    }
}

/// A quotation of a whole sentence with its citations; `None` when it cannot be cited.
fn quote(dossier: &DossierText, piece: &Piece, passage: &Passage) -> Option<SummarySentence> {
    // "Réponse : …" is the form of the PV, not what the person says.
    static ANSWER_MARK: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let mark = ANSWER_MARK.get_or_init(|| Regex::new(r"(?i)^\s*r[ée]ponse\s*:\s*").expect("valid answer-mark regex"));
    let start = mark.find(&passage.text).map_or(0, |m| m.end());
    let body = passage.text[start..].trim_end();
    let body = body.strip_suffix('.').unwrap_or(body).trim_end();
    if body.is_empty() {
        return None;
    }
    let citations = dossier.cite(passage, start..start + body.len());
    if citations.is_empty() {
        return None;
    }
    Some(SummarySentence { text: format!("{} : « {body} ».", speaker(piece)), citations })
}

/// What an answer is about, as the draft introduces it: a short label for the questions every
/// draft uses, the question's wording otherwise.
fn label(a: &Answer) -> String {
    let short = match a.question.as_str() {
        "mec_identite" => "Mis en cause",
        "mec_naissance" => "Date de naissance du mis en cause",
        "mec_adresse" => "Domicile du mis en cause",
        "mec_profession" => "Situation professionnelle du mis en cause",
        "victime_identite" => "Victime",
        "temoins_nombre" => "Témoins entendus",
        "date_faits" => "Date des faits",
        "lieu_faits" => "Lieu des faits",
        "reconnaissance" => "Position du mis en cause",
        "casier_condamnations" => "Condamnations inscrites au casier",
        "recidive" => "Récidive légale",
        "gav_debut" => "Début de la garde à vue",
        "gav_fin" => "Fin de la garde à vue",
        "gav_prolongation" => "Prolongation de la garde à vue",
        "gav_droits_notifies" => "Droits notifiés",
        "gav_avocat" => "Assistance d'un avocat",
        "saisies" => "Objets saisis",
        "prejudice" => "Préjudice",
        "partie_civile" => "Constitution de partie civile",
        "avis_magistrat" => "Instructions du parquet",
        _ => return a.wording.trim().trim_end_matches('?').trim_end().to_string(),
    };
    short.to_string()
}

/// The answer's sentence (each version's when conflicting), when it is found and cited.
fn answer_sentences(answers: &[Answer], ids: &[&str]) -> Vec<SummarySentence> {
    let mut out = Vec::new();
    for id in ids {
        let Some(a) = answers.iter().find(|a| a.question == *id) else { continue };
        match a.status {
            AnswerStatus::Found if !a.citations.is_empty() && !a.text.trim().is_empty() => {
                out.push(SummarySentence { text: format!("{} : {}", label(a), a.text.trim()), citations: a.citations.clone() });
            }
            AnswerStatus::Conflicting => {
                for v in a.versions.iter().filter(|v| !v.citations.is_empty()) {
                    out.push(SummarySentence {
                        text: format!("{} (version divergente) : {}", label(a), v.text.trim()),
                        citations: v.citations.clone(),
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// Quotations of the key sentences of the pieces of `kinds`, in the order of the procédure:
/// the sentences offences rest on first, then the most informative, at most [`PER_PIECE`] per piece.
fn key_sentences(dossier: &DossierText, kinds: &[PieceKind], evidence: &BTreeSet<&str>, used: &mut BTreeSet<String>) -> Vec<SummarySentence> {
    let mut out = Vec::new();
    for piece in dossier.pieces.iter().filter(|p| kinds.contains(&p.kind)) {
        let mut candidates: Vec<(u32, usize, &Passage)> = dossier
            .passages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kind == PassageKind::Sentence && p.document == piece.document)
            .filter(|(_, p)| (piece.first_page..=piece.last_page).contains(&p.first_page()))
            .filter(|(_, p)| quotable(&p.text) && !used.contains(&p.id))
            .map(|(i, p)| {
                let score = salience(&p.text) + if evidence.contains(p.id.as_str()) { 3 } else { 0 };
                (score, i, &**p)
            })
            .filter(|(score, _, _)| *score > 0)
            .collect();
        candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        candidates.truncate(PER_PIECE);
        candidates.sort_by_key(|c| c.1);
        for (_, _, passage) in candidates {
            if let Some(s) = quote(dossier, piece, passage) {
                used.insert(passage.id.clone());
                out.push(s);
            }
        }
    }
    out
}

/// Draft the résumé des faits of a dossier from its offences, its answers and its pieces.
pub fn draft(dossier: &DossierText, offences: &[Offence], answers: &[Answer]) -> Summary {
    let evidence: BTreeSet<&str> = offences.iter().flat_map(|o| o.evidence.iter().map(|c| c.passage.as_str())).collect();
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut sections = Vec::new();
    let mut section = |title: &str, sentences: Vec<SummarySentence>| {
        if !sentences.is_empty() {
            sections.push(SummarySection { title: title.to_string(), sentences });
        }
    };

    // The parties.
    let mut parties = answer_sentences(answers, &["mec_identite", "mec_naissance", "mec_adresse", "mec_profession", "victime_identite", "temoins_nombre"]);
    if parties.is_empty() {
        parties = persons_heard(dossier);
    }
    section("Les parties", parties);

    // The qualifications.
    let qualifications = offences
        .iter()
        .filter(|o| !o.evidence.is_empty())
        .map(|o| {
            let articles = o.articles.iter().map(|a| a.id.as_str()).collect::<Vec<_>>().join(", ");
            let articles = if articles.is_empty() { String::new() } else { format!(" ({articles})") };
            SummarySentence {
                text: format!("Les faits sont susceptibles de recevoir la qualification : {}{articles}.", o.label.to_lowercase()),
                citations: o.evidence.iter().take(3).cloned().collect(),
            }
        })
        .collect();
    section("Qualifications envisagées", qualifications);

    // The facts, in the order of the procédure.
    let mut facts = answer_sentences(answers, &["date_faits", "lieu_faits"]);
    let category_questions: Vec<&str> = answers.iter().filter(|a| a.category.is_some()).map(|a| a.question.as_str()).collect();
    facts.extend(answer_sentences(answers, &category_questions));
    facts.extend(key_sentences(
        dossier,
        &[PieceKind::Plainte, PieceKind::Constatations, PieceKind::RapportSynthese, PieceKind::PerquisitionSaisie, PieceKind::Ethylometre],
        &evidence,
        &mut used,
    ));
    section("Les faits", facts);

    // What each party says.
    let mut statements = answer_sentences(answers, &["reconnaissance"]);
    statements.extend(key_sentences(
        dossier,
        &[PieceKind::AuditionVictime, PieceKind::AuditionTemoin, PieceKind::AuditionMisEnCause, PieceKind::Confrontation],
        &evidence,
        &mut used,
    ));
    section("Les déclarations", statements);

    section("Constatations médicales", key_sentences(dossier, &[PieceKind::CertificatMedical], &evidence, &mut used));

    let mut antecedents = answer_sentences(answers, &["casier_condamnations", "recidive"]);
    antecedents.extend(key_sentences(dossier, &[PieceKind::Casier], &evidence, &mut used));
    section("Antécédents", antecedents);

    let mut gav = answer_sentences(answers, &["gav_debut", "gav_fin", "gav_prolongation", "gav_droits_notifies", "gav_avocat"]);
    if gav.is_empty() {
        gav = key_sentences(dossier, &[PieceKind::PlacementGav, PieceKind::ProlongationGav, PieceKind::FinGav], &evidence, &mut used);
    }
    section("La garde à vue", gav);

    let mut follow_up = answer_sentences(answers, &["saisies", "prejudice", "partie_civile", "avis_magistrat"]);
    if !follow_up.iter().any(|s| s.text.contains("parquet") || s.text.contains("magistrat")) {
        follow_up.extend(key_sentences(dossier, &[PieceKind::AvisMagistrat], &evidence, &mut used));
    }
    section("Suites", follow_up);

    Summary { sections }
}

/// Without answers: the persons each audition hears, cited where the piece names them.
fn persons_heard(dossier: &DossierText) -> Vec<SummarySentence> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for piece in dossier.pieces.iter().filter(|p| p.kind.is_audition() || p.kind == PieceKind::Plainte) {
        let Some(person) = piece.persons.first() else { continue };
        if !seen.insert(person.nom.clone()) {
            continue;
        }
        let role = match piece.kind {
            PieceKind::AuditionMisEnCause => "mis en cause",
            PieceKind::AuditionTemoin => "témoin",
            _ => "victime",
        };
        let name = match &person.prenom {
            Some(p) => format!("{} {p}", person.nom),
            None => person.nom.clone(),
        };
        let cited = dossier
            .passages
            .iter()
            .filter(|p| p.kind == PassageKind::Sentence && p.document == piece.document)
            .filter(|p| (piece.first_page..=piece.last_page).contains(&p.first_page()))
            .find_map(|p| {
                let c = dossier.cite_quote(p, &name);
                (!c.is_empty()).then_some(c).or_else(|| {
                    let c = dossier.cite_quote(p, &person.nom);
                    (!c.is_empty()).then_some(c)
                })
            });
        if let Some(citations) = cited {
            out.push(SummarySentence { text: format!("{name} : {role}."), citations });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Domain;
    use crate::offence::detect;
    use crate::fixtures::dossier_of_lines as dossier;

    fn sample() -> DossierText {
        dossier(&[
            &[
                "PROCÈS-VERBAL DE PLAINTE",
                "L'an deux mille vingt-quatre, le neuf mars à dix heures,",
                "Se présente devant nous Madame DURAND Léa, qui déclare :",
                "Le 8 mars 2024 vers 22h, mon compagnon m'a donné des coups de poing au visage.",
                "Il m'a dit : « je vais te tuer » devant nos enfants.",
                "Lecture faite, persiste et signe.",
            ],
            &["CERTIFICAT MÉDICAL", "Hématome de l'œil gauche, ITT de 5j sous réserve de complications."],
            &[
                "PROCÈS-VERBAL D'AUDITION DE PERSONNE GARDÉE À VUE",
                "Entendons Monsieur DURAND Marc, placé en garde à vue, qui déclare :",
                "Question : Reconnaissez-vous les faits ?",
                "Réponse : Je reconnais l'avoir giflée mais je conteste les menaces.",
                "Audition du témoin MARTIN Paul",
            ],
        ])
    }

    #[test]
    fn every_sentence_is_cited_and_quotes_are_on_their_page() {
        let d = sample();
        let offences = detect(&d, Domain::get());
        let s = draft(&d, &offences, &[]);
        let titles: Vec<&str> = s.sections.iter().map(|x| x.title.as_str()).collect();
        assert!(titles.contains(&"Les faits") && titles.contains(&"Les déclarations") && titles.contains(&"Constatations médicales"), "{titles:?}");
        for sentence in s.sections.iter().flat_map(|x| &x.sentences) {
            assert!(!sentence.citations.is_empty(), "{}", sentence.text);
            for c in &sentence.citations {
                assert!(d.page(&c.document, c.page).unwrap().text.replace('\n', " ").contains(&c.quote), "{c:?}");
            }
            // A quotation is verbatim: what is between « » is in a cited quote.
            if let Some(start) = sentence.text.find(": « ") {
                let inner = sentence.text[start + ": « ".len()..].trim_end_matches(" ».").trim();
                assert!(sentence.citations.iter().any(|c| c.quote.contains(inner.trim_end_matches('.'))), "{}", sentence.text);
            }
        }
        let plain = s.to_plain_text();
        assert!(plain.contains("coups de poing") && plain.contains("ITT de 5j") && plain.contains("[doc1 p. 1]"), "{plain}");
        assert!(!plain.contains("Lecture faite") && !plain.contains("Audition du témoin"), "{plain}");
        assert!(plain.contains("déclare : « Je reconnais l'avoir giflée mais je conteste les menaces »"), "{plain}");
        assert!(plain.contains("violences conjugales"), "{plain}");
    }

    #[test]
    fn answers_come_first_and_versions_are_kept_apart() {
        let d = sample();
        let passage = d.sentences().find(|p| p.text.contains("coups de poing")).unwrap();
        let cited = d.cite_quote(passage, "Le 8 mars 2024 vers 22h");
        let answer = |question: &str, status: AnswerStatus, text: &str, versions: Vec<crate::answer::AnswerVersion>| Answer {
            question: question.into(),
            wording: String::new(),
            category: None,
            status,
            value: None,
            text: text.into(),
            confidence: 0.9,
            citations: if versions.is_empty() { cited.clone() } else { Vec::new() },
            versions,
        };
        let version = |text: &str| crate::answer::AnswerVersion { value: serde_json::Value::Null, text: text.into(), citations: cited.clone() };
        let answers = vec![
            answer("date_faits", AnswerStatus::Found, "Les faits ont été commis le 8 mars 2024 vers 22 h 00.", vec![]),
            answer("reconnaissance", AnswerStatus::Conflicting, "Versions divergentes", vec![version("reconnaît les faits"), version("conteste les faits")]),
            answer("gav_avocat", AnswerStatus::NotFound, "Non trouvé dans la procédure", vec![]),
        ];
        let s = draft(&d, &[], &answers);
        let facts = s.sections.iter().find(|x| x.title == "Les faits").unwrap();
        assert_eq!(facts.sentences[0].text, "Date des faits : Les faits ont été commis le 8 mars 2024 vers 22 h 00.");
        let statements = s.sections.iter().find(|x| x.title == "Les déclarations").unwrap();
        assert_eq!(statements.sentences.iter().filter(|x| x.text.starts_with("Position du mis en cause (version divergente)")).count(), 2);
        assert!(!s.to_plain_text().contains("Non trouvé"));
    }
}
