//! Pieces: cutting a procédure into its procès-verbaux and other documents.
//!
//! Every piece of a procédure starts on a new page with a heading ("PROCÈS-VERBAL D'AUDITION
//! DE TÉMOIN", "CERTIFICAT MÉDICAL", …). A page whose first body lines hold such a heading
//! opens a new piece, whose kind is read from the heading (and, for a bare "audition", from
//! how the person heard is introduced); other pages continue the piece before them. For each
//! piece the persons it is about are read from the civil forms that introduce them
//! ("Monsieur DUPONT Kevin"), leaving out the investigators ("Nous, Jean MARTIN, OPJ").

use serde::{Deserialize, Serialize};

use crate::document::{Document, LineRole, Page};

/// Kinds of piece, with the snake_case ids of the gold files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PieceKind {
    /// Bordereau / cote de procédure.
    Bordereau,
    /// Rapport de synthèse of the investigator.
    RapportSynthese,
    /// PV de plainte.
    Plainte,
    /// PV de constatations, de saisine, d'interpellation.
    Constatations,
    /// Audition of the victim.
    AuditionVictime,
    /// Audition of a witness.
    AuditionTemoin,
    /// Audition of the suspect.
    AuditionMisEnCause,
    /// Placement en garde à vue and notification des droits.
    PlacementGav,
    /// Prolongation de garde à vue.
    ProlongationGav,
    /// Fin de garde à vue.
    FinGav,
    /// Certificat médical (UMJ).
    CertificatMedical,
    /// Éthylomètre ticket, breath test.
    Ethylometre,
    /// Réquisition.
    Requisition,
    /// Réponse à réquisition.
    ReponseRequisition,
    /// Perquisition, saisie, scellés.
    PerquisitionSaisie,
    /// Casier judiciaire.
    Casier,
    /// Avis à magistrat.
    AvisMagistrat,
    /// Confrontation.
    Confrontation,
    /// Annexe.
    Annexe,
    /// Anything else.
    Autre,
}

impl PieceKind {
    /// The snake_case id, as in gold files.
    pub fn id(self) -> &'static str {
        match self {
            PieceKind::Bordereau => "bordereau",
            PieceKind::RapportSynthese => "rapport_synthese",
            PieceKind::Plainte => "plainte",
            PieceKind::Constatations => "constatations",
            PieceKind::AuditionVictime => "audition_victime",
            PieceKind::AuditionTemoin => "audition_temoin",
            PieceKind::AuditionMisEnCause => "audition_mis_en_cause",
            PieceKind::PlacementGav => "placement_gav",
            PieceKind::ProlongationGav => "prolongation_gav",
            PieceKind::FinGav => "fin_gav",
            PieceKind::CertificatMedical => "certificat_medical",
            PieceKind::Ethylometre => "ethylometre",
            PieceKind::Requisition => "requisition",
            PieceKind::ReponseRequisition => "reponse_requisition",
            PieceKind::PerquisitionSaisie => "perquisition_saisie",
            PieceKind::Casier => "casier",
            PieceKind::AvisMagistrat => "avis_magistrat",
            PieceKind::Confrontation => "confrontation",
            PieceKind::Annexe => "annexe",
            PieceKind::Autre => "autre",
        }
    }

    /// Whether the piece is an audition (it is about one person heard).
    pub fn is_audition(self) -> bool {
        matches!(self, PieceKind::AuditionVictime | PieceKind::AuditionTemoin | PieceKind::AuditionMisEnCause)
    }
}

/// A person named in a piece.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonName {
    /// Surname, as printed (usually in capitals).
    pub nom: String,
    /// First name, when printed after the surname.
    pub prenom: Option<String>,
}

/// A piece of the procédure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Piece {
    /// Kind.
    pub kind: PieceKind,
    /// Id of the document.
    pub document: String,
    /// First page (1-based).
    pub first_page: u32,
    /// Last page (1-based, inclusive).
    pub last_page: u32,
    /// The heading as printed.
    pub title: String,
    /// Persons the piece is about: for an audition, the person heard first.
    pub persons: Vec<PersonName>,
}

/// Lower case without accents, for matching headings.
fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == '\u{2019}' { '\'' } else { c })
        .collect()
}

/// The kind a heading announces, `None` when it announces none.
pub fn kind_of_heading(heading: &str) -> Option<PieceKind> {
    let h = fold(heading);
    let has = |w: &str| h.contains(w);
    let kind = if has("bordereau") || has("cote de procedure") || has("inventaire des pieces") {
        PieceKind::Bordereau
    } else if has("rapport de synthese") || has("compte rendu d'enquete") {
        PieceKind::RapportSynthese
    } else if has("confrontation") {
        PieceKind::Confrontation
    } else if has("audition") {
        if has("victime") || has("plaignant") || has("partie civile") {
            PieceKind::AuditionVictime
        } else if has("temoin") {
            PieceKind::AuditionTemoin
        } else if has("mis en cause") || has("garde a vue") || has("gardee a vue") || has("suspect") || has("soupconnee") || has("gav") {
            PieceKind::AuditionMisEnCause
        } else {
            // Decided from the content by the caller.
            PieceKind::Autre
        }
    } else if has("plainte") {
        PieceKind::Plainte
    } else if has("prolongation") {
        PieceKind::ProlongationGav
    } else if has("fin de garde a vue") || has("fin de la garde a vue") || has("levee de garde a vue") || has("fin de gav") {
        PieceKind::FinGav
    } else if has("garde a vue") || has("notification des droits") || has("placement en gav") {
        PieceKind::PlacementGav
    } else if has("certificat medical") || has("examen medical") || has("medico-judiciaire") || has("medico judiciaire") {
        PieceKind::CertificatMedical
    } else if has("ethylometre") || has("depistage") || has("ethylotest") {
        PieceKind::Ethylometre
    } else if (has("reponse") && has("requisition")) || has("laboratoire") || has("resultat d'analyse") {
        // Laboratory results answer a réquisition of the investigators.
        PieceKind::ReponseRequisition
    } else if has("requisition") {
        PieceKind::Requisition
    } else if has("perquisition") || has("saisie") || has("scelle") {
        PieceKind::PerquisitionSaisie
    } else if has("casier judiciaire") || has("bulletin n") {
        PieceKind::Casier
    } else if has("avis a magistrat") || has("avis au magistrat") || has("avis au parquet") || has("compte rendu au parquet") {
        PieceKind::AvisMagistrat
    } else if has("constatations") || has("saisine") || has("interpellation") || has("transport sur les lieux") {
        PieceKind::Constatations
    } else if has("annexe") {
        PieceKind::Annexe
    } else if has("proces-verbal") || has("proces verbal") {
        PieceKind::Autre
    } else {
        return None;
    };
    Some(kind)
}

fn is_heading_line(text: &str) -> bool {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() < 4 {
        return false;
    }
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    upper as f32 >= 0.8 * letters.len() as f32
}

/// The heading of a page: the capitalised lines among its first body lines (in reading order),
/// when they announce a piece.
pub fn page_heading(page: &Page) -> Option<(PieceKind, String)> {
    let body: Vec<&str> = page
        .lines
        .iter()
        // By reading order, not position: on a scan read upside down the first lines are
        // drawn at the bottom of the page as displayed.
        .filter(|l| l.role == LineRole::Body)
        .take(10)
        .map(|l| &page.text[l.range.clone()])
        .collect();
    // Consecutive heading lines may split one title over two lines.
    let mut i = 0;
    while i < body.len() {
        if is_heading_line(body[i]) {
            let mut title = body[i].trim().to_string();
            let mut j = i + 1;
            while j < body.len() && is_heading_line(body[j]) && kind_of_heading(&title).is_none_or(|k| k == PieceKind::Autre) {
                title.push(' ');
                title.push_str(body[j].trim());
                j += 1;
            }
            if let Some(kind) = kind_of_heading(&title) {
                return Some((kind, title));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    None
}

/// Persons introduced by a civil form in `text`, investigators and magistrates left out, in
/// order of first mention.
pub fn persons_named(text: &str) -> Vec<PersonName> {
    let re = person_regex();
    let mut out: Vec<PersonName> = Vec::new();
    for caps in re.captures_iter(text) {
        let whole = caps.get(0).expect("match");
        let before = &text[..whole.start()];
        let after = &text[whole.end()..text.floor_char_boundary(whole.end() + 80)];
        let after_f = fold(after);
        let before_f = fold(&before[before.len().saturating_sub(30)..].chars().collect::<String>());
        let official = [
            "officier", "agent de police", "brigadier", "gardien de la paix", "capitaine", "lieutenant", "commandant",
            "substitut", "procureur", "magistrat", "docteur", "medecin", "avocat", "interprete", "juge", "gendarme",
            "adjudant", "marechal",
        ]
        .iter()
        .any(|w| after_f.trim_start_matches([',', ' ']).starts_with(w));
        if official || before_f.trim_end().ends_with("nous,") || before_f.contains("le procureur") {
            continue;
        }
        let nom = caps["nom"].trim().to_string();
        let prenom = caps.name("prenom").map(|m| m.as_str().to_string());
        if !out.iter().any(|p| p.nom == nom) {
            out.push(PersonName { nom, prenom });
        }
    }
    out
}

fn person_regex() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"(?:Monsieur|Madame|Mademoiselle|M\.|Mme|Mlle)\s+(?P<nom>\p{Lu}[\p{Lu}'\-]+(?:\s+\p{Lu}[\p{Lu}'\-]+)*)(?:\s+(?P<prenom>\p{Lu}\p{Ll}[\p{L}\-]*))?",
        )
        .expect("valid person regex")
    })
}

/// Text of the body of a page range, for content rules and persons.
fn body_text(doc: &Document, first: u32, last: u32, max_chars: usize) -> String {
    let mut s = String::new();
    for page in doc.pages.iter().filter(|p| p.number >= first && p.number <= last) {
        s.push_str(&page.body_text());
        s.push('\n');
        if s.len() > max_chars {
            break;
        }
    }
    s
}

/// Audition whose heading does not say who is heard: decided from how the person is introduced.
fn audition_kind_from_content(text: &str) -> PieceKind {
    let t = fold(text);
    if t.contains("garde a vue") || t.contains("mis en cause") || t.contains("personne soupconnee") || t.contains("suspect")
    {
        PieceKind::AuditionMisEnCause
    } else if t.contains("victime") || t.contains("plaignant") {
        PieceKind::AuditionVictime
    } else if t.contains("temoin") {
        PieceKind::AuditionTemoin
    } else {
        PieceKind::Autre
    }
}

/// Cut a document into pieces. The pages before the first heading form an `autre` piece.
pub fn pieces(doc: &Document) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    for page in &doc.pages {
        match page_heading(page) {
            Some((kind, title)) => out.push(Piece {
                kind,
                document: doc.id.clone(),
                first_page: page.number,
                last_page: page.number,
                title,
                persons: Vec::new(),
            }),
            None => match out.last_mut() {
                Some(last) => last.last_page = page.number,
                None => out.push(Piece {
                    kind: PieceKind::Autre,
                    document: doc.id.clone(),
                    first_page: page.number,
                    last_page: page.number,
                    title: String::new(),
                    persons: Vec::new(),
                }),
            },
        }
    }
    for piece in &mut out {
        let text = body_text(doc, piece.first_page, piece.last_page, 6000);
        if piece.kind == PieceKind::Autre && fold(&piece.title).contains("audition") {
            let head: String = text.chars().take(1500).collect();
            piece.kind = audition_kind_from_content(&head);
        }
        let mut persons = persons_named(&text);
        if piece.kind.is_audition() {
            persons.truncate(1);
        }
        piece.persons = persons;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_give_kinds() {
        let cases = [
            ("PROCÈS-VERBAL D'AUDITION DE TÉMOIN", PieceKind::AuditionTemoin),
            ("PROCÈS-VERBAL D'AUDITION DE PERSONNE GARDÉE À VUE", PieceKind::AuditionMisEnCause),
            ("PROCÈS-VERBAL DE PLACEMENT EN GARDE À VUE ET DE NOTIFICATION DES DROITS", PieceKind::PlacementGav),
            ("PROCÈS-VERBAL DE NOTIFICATION DE PROLONGATION DE GARDE À VUE", PieceKind::ProlongationGav),
            ("FIN DE GARDE A VUE", PieceKind::FinGav),
            ("RÉPONSE À RÉQUISITION", PieceKind::ReponseRequisition),
            ("RÉQUISITION JUDICIAIRE", PieceKind::Requisition),
            ("BULLETIN N° 1 DU CASIER JUDICIAIRE", PieceKind::Casier),
            ("PERQUISITION - SAISIE - PLACEMENT SOUS SCELLÉS", PieceKind::PerquisitionSaisie),
            ("PROCÈS-VERBAL D'AVIS À MAGISTRAT", PieceKind::AvisMagistrat),
            ("CERTIFICAT MÉDICAL", PieceKind::CertificatMedical),
            ("LABORATOIRE DE BIOLOGIE MÉDICALE", PieceKind::ReponseRequisition),
            ("TICKET ÉTHYLOMÈTRE", PieceKind::Ethylometre),
            ("PROCÈS-VERBAL DE PLAINTE", PieceKind::Plainte),
        ];
        for (heading, kind) in cases {
            assert_eq!(kind_of_heading(heading), Some(kind), "{heading}");
        }
        assert_eq!(kind_of_heading("Le requérant déclare"), None);
        assert_eq!(serde_json::to_string(&PieceKind::AuditionMisEnCause).unwrap(), "\"audition_mis_en_cause\"");
    }

    #[test]
    fn persons_are_read_from_civil_forms_but_not_officers() {
        let text = "Nous, Jean MARTIN, Officier de police judiciaire, entendons Monsieur DUPONT Kevin, né le \
                    03/05/1998, en présence de Madame LEROY Claire, avocate. Avisons Madame BERNARD, substitut \
                    du procureur. Mme N'DIAYE Awa est présente.";
        let persons = persons_named(text);
        let noms: Vec<&str> = persons.iter().map(|p| p.nom.as_str()).collect();
        assert_eq!(noms, ["DUPONT", "N'DIAYE"]);
        assert_eq!(persons[0].prenom.as_deref(), Some("Kevin"));
    }
}
