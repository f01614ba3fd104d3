//! Offence detection: what a dossier is about, with the passages that say so.
//!
//! A magistrate opening a dossier first wants its qualifications. Procédures state them in three
//! ways, none reliable alone: articles cited in any written form ("art. 222-13 du CP",
//! "L.234-1 du code de la route", "prévus et réprimés par les articles 222-11 et 222-12"),
//! qualifications written by the investigators ("faits de violences volontaires sur conjoint"),
//! and the narrative itself (blows, an ITT, a breath test in mg/l, grams of cannabis, a
//! relationship between the persons). [`detect`] reads every sentence of the dossier (prior
//! convictions left out: a casier or "déjà condamné pour vol" is not this dossier's offence),
//! matches a lexicon of signals on an accent-free lower-case form of the text, combines the
//! signals of each category into a confidence (independent evidence: `1 - Π(1 - w)`), and
//! keeps the categories above one half, each with word-precise citations of its signals.
//!
//! Categories overlap in their words, and the hierarchy is decided here: violences become
//! violences conjugales when the victim is the author's partner; the word "vol" in a sentence
//! saying where a receiver's object comes from is the recel's origin, not a theft; threats
//! shouted at police officers are an outrage; drugs found on a driver's test are driving after
//! drug use, not possession.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use regex::Regex;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::domain::Domain;
use crate::dossier::{Citation, DossierText};
use crate::passage::Passage;
use crate::piece::PieceKind;

/// An article of law that applies to a detected offence, with its text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OffenceArticle {
    /// Reference as in the taxonomy: `CP 222-13`, `C. route L234-1`, `CSP L3421-1`.
    pub id: String,
    /// The article's text (empty when the legal data has none).
    pub text: String,
}

/// An offence the dossier is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offence {
    /// Taxonomy category id (`violences_conjugales`).
    pub category: String,
    /// French label of the category.
    pub label: String,
    /// Articles that apply, with their text: those the dossier cites, else those its facts call for.
    pub articles: Vec<OffenceArticle>,
    /// Aggravating circumstances found (taxonomy ids of the category's aggravations).
    pub aggravations: Vec<String>,
    /// Confidence between 0 and 1.
    pub confidence: f32,
    /// The passages that support it, strongest first, word-precise.
    pub evidence: Vec<Citation>,
    /// The pieces that support it: (document id, first page of the piece).
    pub pieces: Vec<(String, u32)>,
}

/// Confidence above which a category is reported.
pub const THRESHOLD: f32 = 0.5;
/// At most this many citations per offence.
const MAX_EVIDENCE: usize = 8;

// ── folding ─────────────────────────────────────────────────────────────────────────────────

/// Lower case, no accents, one apostrophe, with the byte of the source each byte comes from.
struct Folded {
    text: String,
    /// For each byte of `text`: start of the source char.
    start: Vec<usize>,
    /// For each byte of `text`: end of the source char.
    end: Vec<usize>,
}

impl Folded {
    fn new(s: &str) -> Folded {
        let mut text = String::with_capacity(s.len());
        let (mut start, mut end) = (Vec::with_capacity(s.len()), Vec::with_capacity(s.len()));
        for (b, c) in s.char_indices() {
            let e = b + c.len_utf8();
            let mut push = |t: &str| {
                text.push_str(t);
                for _ in 0..t.len() {
                    start.push(b);
                    end.push(e);
                }
            };
            match c {
                _ if c.is_ascii() && c != '`' => {
                    let mut buf = [0_u8; 1];
                    push(c.to_ascii_lowercase().encode_utf8(&mut buf));
                }
                '\u{2019}' | '\u{2018}' | '`' | '\u{b4}' => push("'"),
                'œ' | 'Œ' => push("oe"),
                'æ' | 'Æ' => push("ae"),
                '\u{a0}' | '\u{202f}' => push(" "),
                _ => {
                    let folded: String = std::iter::once(c)
                        .nfd()
                        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
                        .flat_map(char::to_lowercase)
                        .collect();
                    push(&folded);
                }
            }
        }
        Folded { text, start, end }
    }

    /// The source range of a folded range.
    fn source(&self, r: &Range<usize>) -> Range<usize> {
        if r.is_empty() || r.end > self.text.len() {
            return 0..0;
        }
        self.start[r.start]..self.end[r.end - 1]
    }
}

// ── the lexicon ─────────────────────────────────────────────────────────────────────────────

/// What a signal says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// An article of law.
    Article,
    /// A qualification written by the investigators.
    Qualification,
    /// A fact of the narrative.
    Narrative,
}

/// Pseudo-category of the signals that the victim is the author's partner.
const CONJUGAL: &str = "conjugal";
/// Pseudo-category of violence signals, resolved into `violences` or `violences_conjugales`.
const VIOLENCE: &str = "violences";

/// Sentence contexts a rule may require or be cancelled by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Always applies.
    Any,
    /// Only in a sentence about driving.
    Driving,
}

struct Rule {
    id: &'static str,
    category: &'static str,
    kind: Kind,
    weight: f32,
    /// A negation just before the match ("aucune", "pas", "sans") cancels it.
    negatable: bool,
    /// The matched text is consumed: later rules do not see it.
    mask: bool,
    ctx: Ctx,
    re: Regex,
}

/// (id, category, kind, weight, negatable, mask, context, pattern on folded text). Order matters:
/// masking rules (long qualifications) come before the words they contain.
#[allow(clippy::type_complexity)]
const RULES: &[(&str, &str, Kind, f32, bool, bool, Ctx, &str)] = {
    use Ctx::*;
    use Kind::*;
    &[
        // Driving after drugs or alcohol, before "stupéfiants" alone.
        ("q_conduite_alcool", "alcool_stupefiants_volant", Qualification, 0.85, false, true, Any,
         r"conduite (?:d'un vehicule )?(?:sous l'empire d'un etat alcoolique|en etat (?:d'ivresse|alcoolique)|(?:apres|sous) (?:avoir fait )?(?:usage|l'emprise|l'empire) (?:de |d')(?:produits? |substances? |plantes? )*(?:stupefiants?|classees?)(?: comme stupefiants)?)(?: ou (?:apres|sous) usage de (?:produits? |substances? )?stupefiants)?"),
        ("q_refus_verif", "alcool_stupefiants_volant", Qualification, 0.8, false, true, Any,
         r"refus(?:e)? de (?:se soumettre aux )?(?:verifications?|depistage|souffler|prise de sang)"),
        ("n_salivaire", "alcool_stupefiants_volant", Narrative, 0.7, true, true, Any,
         r"(?:depistage|test|prelevement) salivaire(?: (?:est |s'avere |se revele )?positif)?"),
        ("q_cea", "alcool_stupefiants_volant", Qualification, 0.6, false, true, Any, r"\bc\.?e\.?e?\.?a\b"),
        ("n_ethylometre", "alcool_stupefiants_volant", Narrative, 0.7, false, false, Any,
         r"\b(?:ethylometre|ethylotest|alcootest|alcoolemie|impregnation alcoolique|taux d'alcool)"),
        ("n_taux_mgl", "alcool_stupefiants_volant", Narrative, 0.7, false, false, Any,
         r"\d+[,.]\d+ ?(?:mg ?/ ?l|mg par litre|milligrammes? par litre)"),
        ("n_taux_gl", "alcool_stupefiants_volant", Narrative, 0.6, false, false, Any,
         r"\d+[,.]\d+ ?(?:g ?/ ?l|grammes? par litre)"),
        ("n_ta_positif", "alcool_stupefiants_volant", Narrative, 0.7, true, false, Any,
         r"\b(?:t\.?a\.?|test d'alcoolemie|depistage d'alcoolemie|depistage alcool\w*|dea) (?:est |s'avere |se revele |s'est revele )?positif"),
        ("n_sang", "alcool_stupefiants_volant", Narrative, 0.5, false, false, Any,
         r"\b(?:prelevement sanguin|analyse de sang|prise de sang)"),
        ("n_haleine", "alcool_stupefiants_volant", Narrative, 0.4, false, false, Any,
         r"\b(?:haleine (?:sentant|chargee)|sentant (?:fortement )?l'alcool|odeur d'alcool)"),
        ("n_ivresse_volant", "alcool_stupefiants_volant", Narrative, 0.5, false, false, Driving,
         r"\b(?:etat d'ivresse|ivre|alcoolise\w*|en etat d'ebriete)\b"),
        // "Après usage de stupéfiants" is the wording of driving after drug use (L235-1).
        ("n_apres_usage", "alcool_stupefiants_volant", Narrative, 0.6, false, true, Any,
         r"\bapres (?:avoir fait )?usage de (?:produits? |substances? )?stupefiants"),
        // Stupéfiants.
        ("q_stup", "stupefiants", Qualification, 0.85, false, true, Any,
         r"infractions? a la legislation sur les stupefiants|(?:detention|usage|trafic|transport|cession|offre|acquisition|vente|revente|importation)(?: illicite)?(?:,? (?:detention|usage|transport|cession|offre|acquisition|emploi))*(?: et (?:detention|usage|transport|cession|offre|acquisition|emploi))? (?:de |d')(?:produits? |substances? )?stupefiants?"),
        ("n_quantite_stup", "stupefiants", Narrative, 0.75, true, false, Any,
         r"\d+(?:[,.]\d+)? ?(?:g|gr|grammes?|kg|kilos?|kilogrammes?) (?:de |d')(?:resine|herbe|cocaine|heroine|cannabis|mdma|ecstasy|crack|shit|produit stupefiant|stupefiant)"),
        ("n_substance", "stupefiants", Narrative, 0.6, true, false, Any,
         r"\b(?:cannabis|resine|cocaine|heroine|ecstasy|mdma|crack|shit|haschi?sch|hashish|beuh|amphetamines?|ketamine|stupefiants?|barrettes?|pochons?|savonnettes?)\b"),
        // Refus d'obtempérer.
        ("q_refus_obtemperer", "refus_obtemperer", Qualification, 0.85, false, true, Any,
         r"refus\w* d'obtemp\w*|n'a pas obtempere|sans obtemperer|refuse d'obtemperer"),
        ("n_malgre_injonctions", "refus_obtemperer", Narrative, 0.7, false, false, Any,
         r"(?:malgre|ignor\w*) (?:nos|les|des|leurs) (?:injonctions|sommations|signaux|avertisseurs|gyrophares|ordres|signes)"),
        ("n_barrage", "refus_obtemperer", Narrative, 0.7, false, false, Any, r"\bforce\w* (?:le|un|notre) barrage"),
        ("n_fuite_vehicule", "refus_obtemperer", Narrative, 0.55, false, false, Driving,
         r"\b(?:prend|prenant|a pris|prennent|pris) la fuite|\bs'enfui\w*|\bdemarre\w* en trombe|\baccelere\w*"),
        ("n_sans_arret", "refus_obtemperer", Narrative, 0.6, false, false, Any,
         r"\b(?:ne s'arrete pas|refuse de s'arreter|sans s'arreter|refus de s'arreter|ne pas s'arreter)"),
        ("n_signe_arret", "refus_obtemperer", Narrative, 0.35, false, false, Any,
         r"\b(?:signe|ordre|injonction|sommation|intimons)s? (?:de |l'ordre de )?s'arreter"),
        // Conduite sans permis.
        ("q_sans_permis", "conduite_sans_permis", Qualification, 0.85, false, true, Any,
         r"conduite (?:d'un vehicule )?(?:sans permis|malgre (?:une |la )?(?:suspension|annulation|invalidation|retrait)|sans etre titulaire)|defaut de permis(?: de conduire)?"),
        ("n_titulaire", "conduite_sans_permis", Narrative, 0.7, false, false, Any,
         r"(?:jamais ete|n'est pas|n'etait pas|pas|plus|non) titulaire (?:du|d'un|d'aucun) permis"),
        ("n_permis_invalide", "conduite_sans_permis", Narrative, 0.7, true, false, Any,
         r"permis (?:de conduire )?(?:a ete |est |etait |avait ete )?(?:suspendu|annule|invalide|retire)|(?:suspension|annulation|invalidation|retrait) (?:administrative |judiciaire )?(?:du|de son) permis|solde de points (?:nul|a zero)|\bsans permis\b"),
        // Sexual assault, before "agression".
        ("q_agression_sexuelle", "agression_sexuelle", Qualification, 0.85, false, true, Any,
         r"\bagressions? sexuelles?|atteintes? sexuelles?|\battouchements?(?: sexuels?)?"),
        ("n_gestes_sexuels", "agression_sexuelle", Narrative, 0.75, true, false, Any,
         r"touch\w* (?:les |mes |ses |la |ma |sa )?(?:fesses|seins|poitrine|sexe|parties intimes|cuisses|entrejambe)|mains? (?:sur|entre|dans|sous) (?:ma |mes |sa |ses |les |la )(?:poitrine|seins|fesses|cuisses|sexe|parties intimes|culotte|jupe|entrejambe)|embrass\w* de force|(?:baiser|bisou)s? (?:force|impose)|frott\w* contre (?:moi|elle|lui)"),
        // Recel, before "vol".
        ("q_recel", "recel", Qualification, 0.85, false, true, Any, r"\brecel\w*"),
        ("n_provenance", "recel", Narrative, 0.7, false, false, Any,
         r"(?:provient|provenait|provenant|proviennent|provenaient|issue?s?) (?:d'un|du|de la|d'une|d'un autre) (?:vol|cambriolage|escroquerie|delit)|(?:origine|provenance) (?:frauduleuse|delictueuse)|sachant qu'(?:il|elle|ils) (?:provenai|etai)\w*"),
        // Vol.
        ("q_vol", "vol", Qualification, 0.8, false, true, Any,
         r"\bvols? (?:simple|aggrave|en reunion|avec violences?|a la tire|a l'etalage|a l'arrache|par effraction|a la roulotte|de vehicule|de telephone|commis)\w*(?: ou aggrave)?|(?:faits|plainte|infraction|chef|qualification|tentative)s? (?:de |du |pour |d')(?:\w+ ){0,2}vols?\b"),
        ("n_derobe", "vol", Narrative, 0.7, true, false, Any, r"\b(?:derob\w*|subtilis\w*|cambriol\w*|s'(?:est|sont) empare\w*|fait les poches)"),
        ("n_vole", "vol", Narrative, 0.6, true, false, Any, r"\b(?:vole|volee|voles|volees|volait|volaient|voler|volent)\b|\ba l'etalage\b"),
        ("n_vol", "vol", Narrative, 0.45, true, false, Any, r"\bvols?\b"),
        ("n_arrache", "vol", Narrative, 0.45, true, false, Any, r"\barrach\w* (?:mon|ma|mes|son|sa|ses|le|la|les)\b"),
        // Conjugal relationship.
        ("q_conjugal", CONJUGAL, Qualification, 0.9, false, true, Any,
         r"violences? conjugales?|(?:sur|par) (?:son |sa |un |une |le |la )?(?:ex[- ]?)?(?:conjoint|conjointe|concubin|concubine|compagne|compagnon|epouse|mari|partenaire (?:lie|de pacs))\b"),
        ("n_partenaire", CONJUGAL, Narrative, 0.75, false, false, Any,
         r"\b(?:mon|ma|son|sa|votre|notre|leur)\s+(?:ex[- ]?|ancien |ancienne )?(?:conjoint|conjointe|concubin|concubine|compagnon|compagne|mari|epouse|femme|partenaire de pacs|petit ami|petite amie|copain|copine)\b"),
        ("n_domicile_conjugal", CONJUGAL, Narrative, 0.6, false, false, Any,
         r"\b(?:domicile conjugal|foyer conjugal|vivons ensemble|vivions ensemble|vie commune|pacse\w*)"),
        // Violences.
        ("q_violences", VIOLENCE, Qualification, 0.8, false, true, Any,
         r"violences? (?:volontaires?|aggravees?|en reunion|avec (?:usage d'une )?arme)|coups et blessures|victime de violences?"),
        ("n_frappe", VIOLENCE, Narrative, 0.7, true, false, Any,
         r"\b(?:frapp\w*|tabass\w*|roue\w* de coups|gifl\w*|passe\w* a tabac)|\bcoups? de (?:poing|pied|tete|couteau|genou|coude|ceinture|bouteille|casque|barre|batte|boule)s?|\b(?:porte|assene|donne|recu|reçu|asseno)\w* (?:des|plusieurs|un|de nombreux) coups?"),
        ("n_itt", VIOLENCE, Narrative, 0.6, false, false, Any, r"\bi\.? ?t\.? ?t\b|incapacite totale de travail"),
        ("n_agression", VIOLENCE, Narrative, 0.45, true, false, Any, r"\bagress\w*|\betrangl\w*|\bbouscul\w*|\bpouss\w* violemment|\bmordu\b|\bcoups?\b"),
        ("n_lesions", VIOLENCE, Narrative, 0.25, false, false, Any, r"\b(?:lesions?|ecchymoses?|hematomes?|contusions?|plaies?|dermabrasions?)\b"),
        // Menaces (threats at police officers are an outrage: see the sentence contexts).
        ("q_menaces", "menaces", Qualification, 0.8, false, true, Any,
         r"menaces? (?:de mort|reiterees?|sous condition|de crimes?|de delits?|materialisees?)|(?:faits|plainte)s? (?:de |pour )menaces?"),
        ("n_menacant_de", "menaces", Narrative, 0.3, false, true, Any, r"\ben (?:me |la |le |les |nous )?menacant\b"),
        ("n_menace", "menaces", Narrative, 0.6, true, false, Any, r"\bmenac\w*"),
        ("n_propos_menacants", "menaces", Narrative, 0.7, false, false, Any,
         r"\bje (?:vais|va|vai) (?:te |t')(?:tuer|crever|planter|buter|egorger|defoncer|massacrer|retrouver|faire la peau|casser la|niquer|fumer|bruler)|\btu (?:es|vas etre|seras) (?:mort|morte)\b|\bt'es (?:mort|morte)\b|\btu vas (?:le )?regretter|\bje sais ou tu (?:habites|vis|dors)|\bje (?:vais|va) (?:bruler|incendier|casser|defoncer|cramer) (?:ta|ton|tes)\b|\bm'occuper de (?:ta|ton|tes)\b"),
        // Harcèlement.
        ("n_harcele", "harcelement", Qualification, 0.8, true, false, Any, r"\bharcel\w*|\bharcel"),
        ("n_messages_repetes", "harcelement", Narrative, 0.6, false, false, Any,
         r"(?:appels|messages|sms|textos|courriels|mails)(?: telephoniques)? (?:malveillants|incessants|repetes|reiteres|injurieux|menacants|quotidiens)"),
        ("n_nombre_messages", "harcelement", Narrative, 0.4, false, false, Any, r"\b(?:plus de )?\d[\d ]* (?:messages|sms|appels|textos)\b"),
        // Outrage, rébellion.
        ("q_outrage", "outrage_rebellion", Qualification, 0.8, false, false, Any, r"\boutrag\w*|\brebellion\b"),
        ("n_propos_agents", "outrage_rebellion", Narrative, 0.6, false, false, Any,
         r"\bnous (?:adresse|insulte|traite|injurie)\w*|(?:insult|injuri)\w* (?:les|des|nos) (?:policiers|agents|gendarmes|fonctionnaires|forces de l'ordre)|fonctionnaires?(?:\(s\))? vises?"),
        ("n_debat", "outrage_rebellion", Narrative, 0.55, false, false, Any,
         r"\bse (?:debat|debattant|rebelle|rebiffe|cabre)\b|\bresist\w* (?:violemment |a l'interpellation|au menottage)|refuse de se laisser (?:menotter|interpeller)"),
        // Escroquerie.
        ("q_escroquerie", "escroquerie", Qualification, 0.8, false, false, Any, r"\bescroq\w*|\barnaqu\w*|manoeuvres? frauduleuses?"),
        ("n_faux_tiers", "escroquerie", Narrative, 0.7, false, false, Any,
         r"(?:se presentant comme|se faisant passer pour|pretendu|pretendue|faux|fausse) (?:\w+ ){0,2}?(?:conseiller|conseillere|technicien|banquier|neveu|niece|policier|support|fils|fille|petit-fils|proche)"),
        ("n_jamais_livre", "escroquerie", Narrative, 0.55, false, false, Any, r"jamais (?:ete )?(?:livre|livree|recu|reçu|expedie)"),
        ("n_usurpation", "escroquerie", Narrative, 0.45, false, false, Any, r"\busurp\w*"),
        // Abus de confiance.
        ("q_abus_confiance", "abus_de_confiance", Qualification, 0.85, false, true, Any, r"abus de confiance"),
        ("n_detourne", "abus_de_confiance", Narrative, 0.7, true, false, Any, r"\bdetourn\w*"),
        ("n_confie", "abus_de_confiance", Narrative, 0.45, false, false, Any,
         r"(?:que je lui avais|qui lui (?:avait|avaient) ete|que nous lui avions) (?:confie|prete|remis)"),
        // Dégradations.
        ("q_degradations", "degradations", Qualification, 0.75, false, true, Any,
         r"destructions?,? (?:et )?degradations?|degradations? (?:volontaires?|de biens?)|(?:destruction|degradation|deterioration)s? (?:du|de la|d'un|d'une|des|de biens?)\b"),
        ("n_degrade", "degradations", Narrative, 0.6, true, false, Any,
         r"\b(?:degrad\w*|deteriore\w*|vandalis\w*|tague\w*|saccag\w*|incendi[ea]\w*)"),
        ("n_casse", "degradations", Narrative, 0.4, true, false, Any, r"\b(?:casse|cassee|casses|brise|brisee|brises|raye|rayee|fracture|fracturee)\b (?:la|le|les|sa|son|ses|ma|mon|mes)\b"),
    ]
};

fn rules() -> &'static [Rule] {
    static RULES_RE: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES_RE.get_or_init(|| {
        RULES
            .iter()
            .map(|&(id, category, kind, weight, negatable, mask, ctx, pattern)| Rule {
                id,
                category,
                kind,
                weight,
                negatable,
                mask,
                ctx,
                re: Regex::new(pattern).unwrap_or_else(|e| panic!("rule {id}: {e}")),
            })
            .collect()
    })
}

fn re(pattern: &'static str, cell: &'static OnceLock<Regex>) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid pattern"))
}

/// Prior convictions and criminal records: about the past, not this dossier.
fn antecedent_re() -> &'static Regex {
    static C: OnceLock<Regex> = OnceLock::new();
    re(
        r"condamn\w*|\bcasier\b|antecedents?|\bdeja ete (?:entendu|interpelle|mis en cause|poursuivi)|nature de l'infraction|peine prononcee|connu (?:des|de nos) services|signalisation|\bb1\b|bulletin n",
        &C,
    )
}
/// A sentence saying where an object comes from: its "vol" is a receiver's origin.
fn provenance_re() -> &'static Regex {
    static C: OnceLock<Regex> = OnceLock::new();
    re(r"provien|provenan|provenai|\bissue?s? d|recel|origine (?:frauduleuse|delictueuse)|signale\w* vole|ayant fait l'objet d'une plainte", &C)
}
/// Words addressed to police officers.
fn police_re() -> &'static Regex {
    static C: OnceLock<Regex> = OnceLock::new();
    re(r"\bnous adress\w*|fonctionnaires?|policiers?|gendarmes?|\bflics?\b|forces de l'ordre|\bagents?\b|equipage|\bvous\b", &C)
}
/// A sentence about driving.
fn driving_re() -> &'static Regex {
    static C: OnceLock<Regex> = OnceLock::new();
    re(r"conduct\w*|\bconduite\b|\bconduis\w*|\bvolant\b|vehicule|voiture|scooter|\bmoto\b|automobil\w*|a vive allure|circulation|controle routier|salivaire", &C)
}
/// A negation just before a match (same clause).
fn negation_re() -> &'static Regex {
    static C: OnceLock<Regex> = OnceLock::new();
    re(r"\b(?:aucun|aucune|pas|sans|ni|non|jamais|absence|nie|conteste)\b", &C)
}

// ── signals ─────────────────────────────────────────────────────────────────────────────────

/// One signal found in one sentence (`passage` is filled in when the sentence's scan joins the
/// dossier's).
#[derive(Debug, Clone)]
struct Hit {
    rule: &'static str,
    category: &'static str,
    kind: Kind,
    weight: f32,
    /// Index of the passage in `DossierText::passages`.
    passage: usize,
    /// Byte range in the passage text.
    range: Range<usize>,
}

/// What the sentences of a dossier say, beyond categories: numbers and circumstances used to
/// choose articles and aggravations.
#[derive(Debug, Default, Clone)]
struct Facts {
    itt_days: Option<u32>,
    alcohol_mgl: Option<f64>,
    alcohol_gl: Option<f64>,
    aggravations: BTreeMap<&'static str, BTreeSet<&'static str>>,
    /// Article references cited, by category.
    cited: BTreeMap<&'static str, BTreeSet<String>>,
    victim_age: Option<u32>,
    resale: bool,
    conditional_threat: bool,
    repeated_threat: bool,
    outrage: bool,
    rebellion: bool,
}

fn parse_decimal(s: &str) -> Option<f64> {
    s.replace(',', ".").parse().ok()
}

/// Article references in a folded sentence that cites articles: (taxonomy reference, folded range).
fn articles_in(folded: &str, domain: &Domain) -> Vec<(String, Range<usize>, bool)> {
    static ART: OnceLock<Regex> = OnceLock::new();
    static NUM: OnceLock<Regex> = OnceLock::new();
    let art = re(r"\bart(?:icle)?s?\b|\bart\.", &ART);
    let Some(first) = art.find(folded) else { return Vec::new() };
    let num = re(r"\b(?:([lrd])\s?\.?\s?)?(\d{2,4}(?:-\d+){1,3})(?:,?\s*(?:al(?:inea)?\.?\s*\d+,?\s*)?(\d{1,2})\s*°)?", &NUM);
    let cpp = folded.contains("procedure penale") || folded.contains("cpp");
    let route = folded.contains("route");
    let sante = folded.contains("sante publique") || folded.contains("csp");
    let mut out = Vec::new();
    for caps in num.captures_iter(&folded[first.start()..]) {
        let whole = caps.get(0).expect("match");
        let range = first.start() + whole.start()..first.start() + whole.end();
        let prefix = caps.get(1).map_or(String::new(), |m| m.as_str().to_uppercase());
        let number = &caps[2];
        let item = caps.get(3).map(|m| m.as_str().to_string());
        let key = format!("{prefix}{number}");
        let mut candidates: Vec<String> = ["CP", "C. route", "CSP"]
            .iter()
            .map(|code| format!("{code} {key}"))
            .filter(|id| domain.articles.contains_key(id) || extra_article(id).is_some())
            .collect();
        if candidates.len() > 1 {
            let wanted = if route { "C. route" } else if sante { "CSP" } else { "CP" };
            candidates.retain(|c| c.starts_with(wanted));
        }
        let Some(id) = candidates.into_iter().next() else { continue };
        if cpp && id.starts_with("CP ") && !folded.contains("code penal") && !folded.contains(" cp") {
            // "articles 63-1 à 63-4 du CPP": procedure, not an offence.
            continue;
        }
        out.push((id, range, item.as_deref() == Some("6")));
    }
    out
}

/// Articles outside the taxonomy that still name an offence category.
fn extra_article(id: &str) -> Option<&'static str> {
    Some(match id {
        "CP 222-7" | "CP 222-8" | "CP 222-9" | "CP 222-10" | "CP 222-14" => VIOLENCE,
        "CP 222-33-2-1" => CONJUGAL,
        "CP 311-2" | "CP 311-5" | "CP 311-6" => "vol",
        "CP 222-34" | "CP 222-35" | "CP 222-36" | "CP 222-38" => "stupefiants",
        "CP 322-2" | "CP 322-4" | "CP 322-6" => "degradations",
        "CP 321-2" => "recel",
        "CP 433-7" => "outrage_rebellion",
        "CP 222-28" | "CP 222-29" => "agression_sexuelle",
        "C. route L224-16" => "conduite_sans_permis",
        _ => return None,
    })
}

/// The categories an article reference names.
fn categories_of_article(id: &str, domain: &Domain) -> Vec<&'static str> {
    if let Some(c) = extra_article(id) {
        return vec![c];
    }
    let mut out = Vec::new();
    for c in &domain.categories {
        if c.articles.iter().any(|a| a == id) {
            let cat: &'static str = static_category(&c.id);
            // 222-11/12/13 name violences in general; the conjugal link is read elsewhere.
            let cat = if cat == "violences_conjugales" { VIOLENCE } else { cat };
            if !out.contains(&cat) {
                out.push(cat);
            }
        }
    }
    out
}

/// The taxonomy ids as `'static` strings (the domain lives for the whole program).
fn static_category(id: &str) -> &'static str {
    Domain::get().categories.iter().find(|c| c.id == id).map_or("", |c| c.id.as_str())
}

/// Read the signals of one sentence.
impl Facts {
    /// Add what a later sentence says, as if its sentence had been read after ours: the first ITT
    /// stated counts, the lowest alcohol rate, the last age, and every circumstance.
    fn merge(&mut self, later: &Facts) {
        if self.itt_days.is_none() {
            self.itt_days = later.itt_days;
        }
        let min = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        self.alcohol_mgl = min(self.alcohol_mgl, later.alcohol_mgl);
        self.alcohol_gl = min(self.alcohol_gl, later.alcohol_gl);
        for (cat, ids) in &later.aggravations {
            self.aggravations.entry(cat).or_default().extend(ids.iter().copied());
        }
        for (cat, ids) in &later.cited {
            self.cited.entry(cat).or_default().extend(ids.iter().cloned());
        }
        if later.victim_age.is_some() {
            self.victim_age = later.victim_age;
        }
        self.resale |= later.resale;
        self.conditional_threat |= later.conditional_threat;
        self.repeated_threat |= later.repeated_threat;
        self.outrage |= later.outrage;
        self.rebellion |= later.rebellion;
    }
}

/// What one sentence says: its signals (with `passage` 0) and its facts. A pure function of the
/// sentence's text, so [`Detector`] keeps it from one run to the next.
#[derive(Debug, Default)]
struct Scan {
    hits: Vec<Hit>,
    facts: Facts,
}

/// Offence detection that remembers each sentence's scan between runs.
///
/// The engine detects a dossier's offences again after every change of its text; with a
/// `Detector` kept per dossier, a run after an OCR fix scans only the sentences whose text
/// changed and combines the others' remembered signals. The memo holds the sentences of the
/// last run only, so it never outgrows the dossier. The result is the same as [`detect`]'s.
#[derive(Debug, Default)]
pub struct Detector {
    /// Scans by sentence text.
    memo: HashMap<Box<str>, Arc<Scan>>,
    /// Sentences scanned (memo misses) since this detector was made.
    scanned: u64,
}

impl Detector {
    /// A detector with an empty memo.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sentences actually scanned (not found in the memo) since this detector was made.
    pub fn scanned(&self) -> u64 {
        self.scanned
    }

    /// Detect the offences of a dossier.
    pub fn detect(&mut self, dossier: &DossierText, domain: &Domain) -> Vec<Offence> {
        let mut previous = std::mem::take(&mut self.memo);
        let mut hits = Vec::new();
        let mut facts = Facts::default();
        for (i, p) in dossier.passages.iter().enumerate() {
            if p.kind != crate::passage::PassageKind::Sentence {
                continue;
            }
            // The casier and the bordereau list other cases: nothing in them is this dossier's.
            let kind = dossier.piece_of(p).map(|piece| piece.kind);
            if kind == Some(PieceKind::Casier) || kind == Some(PieceKind::Bordereau) {
                continue;
            }
            let scan = match previous.remove_entry(p.text.as_str()) {
                Some((text, scan)) => self.memo.entry(text).or_insert(scan).clone(),
                None => match self.memo.get(p.text.as_str()) {
                    Some(scan) => scan.clone(),
                    None => {
                        self.scanned += 1;
                        let scan = Arc::new(scan_sentence(p, domain));
                        self.memo.insert(p.text.as_str().into(), scan.clone());
                        scan
                    }
                },
            };
            hits.extend(scan.hits.iter().map(|h| Hit { passage: i, ..h.clone() }));
            facts.merge(&scan.facts);
        }
        offences_of(dossier, domain, &hits, &facts)
    }
}

fn scan_sentence(passage: &Passage, domain: &Domain) -> Scan {
    let mut scan = Scan::default();
    let Scan { hits, facts } = &mut scan;
    let f = Folded::new(&passage.text);
    let text = f.text.as_str();
    if antecedent_re().is_match(text) {
        return scan;
    }
    let question = text.trim_end().ends_with('?');
    let provenance = provenance_re().is_match(text);
    let police = police_re().is_match(text);
    let driving = driving_re().is_match(text);
    let mut masked: Vec<Range<usize>> = Vec::new();
    let mut push = |rule: &'static str, category: &'static str, kind: Kind, weight: f32, r: Range<usize>| {
        let range = f.source(&r);
        if !range.is_empty() {
            hits.push(Hit { rule, category, kind, weight, passage: 0, range });
        }
    };

    for (id, range, item6) in articles_in(text, domain) {
        for cat in categories_of_article(&id, domain) {
            facts.cited.entry(cat).or_default().insert(id.clone());
            push("article", cat, Kind::Article, 0.9, range.clone());
        }
        if item6 && (id == "CP 222-13" || id == "CP 222-12") || id == "CP 222-33-2-1" {
            push("article_6", CONJUGAL, Kind::Article, 0.9, range.clone());
        }
    }

    for rule in rules() {
        if rule.ctx == Ctx::Driving && !driving {
            continue;
        }
        if question && rule.kind == Kind::Narrative {
            continue;
        }
        let mut category = rule.category;
        let mut weight = rule.weight;
        match category {
            "vol" if provenance => continue,
            "menaces" if police && rule.kind == Kind::Narrative => continue,
            // Drugs found on a driver's test: driving after drug use.
            "stupefiants" if rule.id == "n_substance" && text.contains("salivaire") => {
                category = "alcool_stupefiants_volant";
                weight = 0.6;
            }
            _ => {}
        }
        for m in rule.re.find_iter(text) {
            let r = m.range();
            if masked.iter().any(|x| x.start < r.end && r.start < x.end) {
                continue;
            }
            if rule.negatable && negated(text, r.start) {
                continue;
            }
            if rule.mask {
                masked.push(r.clone());
            }
            push(rule.id, category, rule.kind, weight, r);
        }
    }

    read_facts(text, facts, police);
    scan
}

/// Whether a negation opens the clause before `at`.
fn negated(text: &str, at: usize) -> bool {
    let mut from = at.saturating_sub(40);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let before = &text[from..at];
    let clause = before.rsplit([',', ';', ':', '.', '«', '»']).next().unwrap_or(before);
    negation_re().is_match(clause)
}

/// Numbers and circumstances of one folded sentence.
fn read_facts(text: &str, facts: &mut Facts, police: bool) {
    static ITT: OnceLock<Regex> = OnceLock::new();
    static NO_ITT: OnceLock<Regex> = OnceLock::new();
    static MGL: OnceLock<Regex> = OnceLock::new();
    static GL: OnceLock<Regex> = OnceLock::new();
    static AGE: OnceLock<Regex> = OnceLock::new();
    if facts.itt_days.is_none() {
        if re(r"(?:absence|pas|sans) d'(?:i\.? ?t\.? ?t|incapacite)", &NO_ITT).is_match(text) {
            facts.itt_days = Some(0);
        } else if let Some(c) =
            re(r"(?:\bi\.? ?t\.? ?t\b|incapacite totale de travail)\D{0,40}?\(?(\d{1,3})\)?\s*(?:j\b|jours?|jour\(s\))", &ITT).captures(text)
        {
            facts.itt_days = c[1].parse().ok();
        }
    }
    for c in re(r"(\d+[,.]\d+) ?(?:mg ?/ ?l|mg par litre|milligrammes? par litre)", &MGL).captures_iter(text) {
        if let Some(v) = parse_decimal(&c[1]) {
            facts.alcohol_mgl = Some(facts.alcohol_mgl.map_or(v, |x| x.min(v)));
        }
    }
    for c in re(r"(\d+[,.]\d+) ?(?:g ?/ ?l|grammes? par litre)", &GL).captures_iter(text) {
        if let Some(v) = parse_decimal(&c[1]) {
            facts.alcohol_gl = Some(facts.alcohol_gl.map_or(v, |x| x.min(v)));
        }
    }
    if let Some(c) = re(r"\b(?:j'ai|agee? de|age de|ans?) (\d{1,2}) ans\b", &AGE).captures(text) {
        facts.victim_age = c[1].parse().ok();
    }
    let has = |p: &str| text.contains(p);
    let mut agg = |cat: &'static str, id: &'static str| {
        facts.aggravations.entry(cat).or_default().insert(id);
    };
    // Weapons, in any violence.
    static WEAPON: OnceLock<Regex> = OnceLock::new();
    if re(r"\b(?:avec|au moyen d'|a l'aide d'|arme d'|muni d')\s*(?:un |une |sa |son )?(?:couteau|bouteille|ceinture|casque|barre de fer|batte|arme|cutter|marteau|pistolet|revolver|tournevis|machette|barre|baton|matraque)", &WEAPON).is_match(text) {
        agg(VIOLENCE, "arme");
    }
    if has("ivresse manifeste") || has("etat d'ebriete") {
        agg(VIOLENCE, "ivresse");
    }
    static SEVERAL: OnceLock<Regex> = OnceLock::new();
    if re(r"\b(?:deux|trois|quatre|cinq|plusieurs|[2-9]) (?:individus|hommes|auteurs|personnes|jeunes)|\ben reunion\b", &SEVERAL).is_match(text) && !police {
        agg("vol", "reunion");
    }
    static BREAK_IN: OnceLock<Regex> = OnceLock::new();
    if re(r"\beffraction|\bcambriol", &BREAK_IN).find(text).is_some_and(|m| !negated(text, m.start())) {
        agg("vol", "local_habitation");
    }
    static TRANSPORT: OnceLock<Regex> = OnceLock::new();
    if re(r"\b(?:dans|a bord d'?)\s*(?:le|un|une|la)?\s*(?:bus|autobus|metro|rer|tramway|tram|train)\b", &TRANSPORT).is_match(text) {
        agg("vol", "transport_collectif");
        agg(VIOLENCE, "transport_collectif");
    }
    static DEATH: OnceLock<Regex> = OnceLock::new();
    if re(r"menaces? de mort|menace\w* de (?:le |la |me |te )?tuer|\bje (?:vais|va) (?:te |t')(?:tuer|crever|planter|buter|egorger|faire la peau)|\btu (?:es|vas etre) (?:mort|morte)", &DEATH).is_match(text) && !police {
        agg("menaces", "menace_de_mort");
    }
    static CONDITION: OnceLock<Regex> = OnceLock::new();
    if re(r"«[^»]*\bsi tu\b[^»]*»|sous condition|\bsinon\b[^.]*\b(?:tuer|crever|mort)", &CONDITION).is_match(text) {
        facts.conditional_threat = true;
    }
    static REPEATED: OnceLock<Regex> = OnceLock::new();
    if re(r"\b(?:deja|a plusieurs reprises|regulierement|plusieurs fois|encore) (?:\w+ ){0,3}menac\w*|menac\w* (?:\w+ ){0,3}(?:a plusieurs reprises|plusieurs fois|regulierement)|menaces? reiterees?", &REPEATED).find(text).is_some_and(|m| !negated(text, m.start())) {
        facts.repeated_threat = true;
    }
    static ONLINE: OnceLock<Regex> = OnceLock::new();
    if re(r"instagram|snapchat|facebook|tiktok|twitter|reseaux? sociaux|\ben ligne\b", &ONLINE).is_match(text) {
        agg("harcelement", "en_ligne");
    }
    static DANGER: OnceLock<Regex> = OnceLock::new();
    if re(r"se jeter|mett\w* en danger|mis en danger|exposant (?:autrui|les|des)|manquant de (?:percuter|renverser|faucher)|failli (?:percuter|renverser|faucher)|en direction de l'agent|risque de (?:mort|blessures)|fonce\w* sur", &DANGER).find(text).is_some_and(|m| !negated(text, m.start())) {
        agg("refus_obtemperer", "mise_en_danger");
    }
    static RESALE: OnceLock<Regex> = OnceLock::new();
    if re(r"\b(?:revente|revendre|trafic|deal\w*|cession|vendais|vendait|point de vente|balance de precision)", &RESALE).find(text).is_some_and(|m| !negated(text, m.start())) {
        facts.resale = true;
    }
    if has("outrag") || (police && re(r"\bnous (?:adresse|insulte|traite|injurie)\w*", &OUTRAGE_WORDS).is_match(text)) {
        facts.outrage = true;
    }
    if has("rebellion") || has("se debat") || has("se rebelle") {
        facts.rebellion = true;
    }
}
static OUTRAGE_WORDS: OnceLock<Regex> = OnceLock::new();

/// Confidence of independent signals: each rule counts once, with its strongest weight.
fn combine<'a>(hits: impl Iterator<Item = &'a Hit>) -> f32 {
    let mut best: BTreeMap<&str, f32> = BTreeMap::new();
    for h in hits {
        let w = best.entry(h.rule).or_insert(0.0);
        *w = w.max(h.weight);
    }
    1.0 - best.values().fold(1.0, |acc, w| acc * (1.0 - w))
}

/// Detect the offences of a dossier (from scratch; [`Detector`] remembers sentences between runs).
pub fn detect(dossier: &DossierText, domain: &Domain) -> Vec<Offence> {
    Detector::new().detect(dossier, domain)
}

/// The offences that the signals of a dossier's sentences add up to.
fn offences_of(dossier: &DossierText, domain: &Domain, hits: &[Hit], facts: &Facts) -> Vec<Offence> {
    let mut by_category: BTreeMap<&'static str, Vec<&Hit>> = BTreeMap::new();
    for h in hits {
        by_category.entry(h.category).or_default().push(h);
    }
    // Violences: with the partner as victim, violences conjugales.
    let conjugal_hits: Vec<&Hit> = by_category.remove(CONJUGAL).unwrap_or_default();
    if let Some(violence) = by_category.remove(VIOLENCE) {
        let conjugal = combine(conjugal_hits.iter().copied()) >= THRESHOLD;
        let target = if conjugal { "violences_conjugales" } else { "violences" };
        let mut all = violence;
        if conjugal {
            all.extend(conjugal_hits.iter().copied());
        }
        by_category.entry(target).or_default().extend(all);
    }

    let mut out = Vec::new();
    for cat in &domain.categories {
        let Some(cat_hits) = by_category.get(cat.id.as_str()) else { continue };
        let confidence = combine(cat_hits.iter().copied());
        if confidence < THRESHOLD {
            continue;
        }
        out.push(offence(dossier, domain, cat, cat_hits, confidence, facts));
    }
    out
}

fn offence(
    dossier: &DossierText,
    domain: &Domain,
    cat: &crate::domain::OffenceCategory,
    hits: &[&Hit],
    confidence: f32,
    facts: &Facts,
) -> Offence {
    let id = cat.id.as_str();
    let key = if id == "violences_conjugales" { VIOLENCE } else { static_category(id) };
    let mut aggravations: BTreeSet<&str> = facts.aggravations.get(key).cloned().unwrap_or_default();
    match id {
        "violences_conjugales" => {
            aggravations.insert("conjoint");
        }
        "menaces" if facts.conditional_threat => {
            aggravations.insert("sous_condition");
        }
        "agression_sexuelle" if facts.victim_age.is_some_and(|a| a < 15) => {
            aggravations.insert("mineur_15");
        }
        _ => {}
    }
    aggravations.retain(|a| cat.aggravations.iter().any(|g| g.id == *a));
    let aggravations: Vec<String> = cat.aggravations.iter().filter(|g| aggravations.contains(g.id.as_str())).map(|g| g.id.clone()).collect();

    let cited: Vec<String> = facts
        .cited
        .get(key)
        .map(|c| cat.articles.iter().filter(|a| c.contains(*a)).cloned().collect())
        .unwrap_or_default();
    let refs = if cited.is_empty() { inferred_articles(id, !aggravations.is_empty(), &aggravations, facts) } else { cited };
    let articles = refs
        .into_iter()
        .filter(|a| cat.articles.contains(a))
        .map(|a| OffenceArticle { text: domain.articles.get(&a).map(|t| t.text.clone()).unwrap_or_default(), id: a })
        .collect();

    // Evidence: strongest signals first, one citation per (passage, range), each once.
    let mut sorted: Vec<&Hit> = hits.to_vec();
    sorted.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.kind.cmp(&b.kind)).then(a.passage.cmp(&b.passage)));
    let mut evidence: Vec<Citation> = Vec::new();
    let mut pieces: Vec<(String, u32)> = Vec::new();
    for h in &sorted {
        let passage = &dossier.passages[h.passage];
        if let Some(piece) = dossier.piece_of(passage) {
            let k = (piece.document.clone(), piece.first_page);
            if !pieces.contains(&k) {
                pieces.push(k);
            }
        }
        if evidence.len() >= MAX_EVIDENCE {
            continue;
        }
        for c in dossier.cite(passage, h.range.clone()) {
            if !evidence.iter().any(|e| e.passage == c.passage && e.quote == c.quote && e.page == c.page) {
                evidence.push(c);
            }
        }
    }
    pieces.sort();
    Offence { category: cat.id.clone(), label: cat.label.clone(), articles, aggravations, confidence, evidence, pieces }
}

/// The articles the facts call for when the dossier cites none.
fn inferred_articles(category: &str, aggravated: bool, aggravations: &[String], facts: &Facts) -> Vec<String> {
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let itt = facts.itt_days.unwrap_or(0);
    match category {
        "vol" => {
            if aggravated { v(&["CP 311-1", "CP 311-4"]) } else { v(&["CP 311-1", "CP 311-3"]) }
        }
        "violences" => match (itt > 8, aggravated, itt > 0) {
            (true, false, _) => v(&["CP 222-11"]),
            (true, true, _) => v(&["CP 222-12"]),
            (false, true, _) => v(&["CP 222-13"]),
            (false, false, true) => v(&["CP R625-1"]),
            (false, false, false) => v(&["CP R624-1"]),
        },
        "violences_conjugales" => {
            if itt > 8 { v(&["CP 222-12"]) } else { v(&["CP 222-13"]) }
        }
        "menaces" => {
            let death = aggravations.iter().any(|a| a == "menace_de_mort");
            if facts.conditional_threat {
                v(&["CP 222-18"])
            } else if death || facts.repeated_threat {
                v(&["CP 222-17"])
            } else {
                v(&["CP 222-18"])
            }
        }
        "alcool_stupefiants_volant" => {
            let delict = facts.alcohol_mgl.is_some_and(|r| r >= 0.40) || facts.alcohol_gl.is_some_and(|r| r >= 0.80);
            let measured = facts.alcohol_mgl.is_some() || facts.alcohol_gl.is_some();
            if delict || !measured { v(&["C. route L234-1"]) } else { v(&["C. route R234-1"]) }
        }
        "refus_obtemperer" => {
            if aggravated { v(&["C. route L233-1", "C. route L233-1-1"]) } else { v(&["C. route L233-1"]) }
        }
        "stupefiants" => {
            if facts.resale { v(&["CP 222-37"]) } else { v(&["CSP L3421-1"]) }
        }
        "harcelement" => v(&["CP 222-33-2-2"]),
        "agression_sexuelle" => {
            if facts.victim_age.is_some_and(|a| a < 15) { v(&["CP 222-22", "CP 222-29-1"]) } else { v(&["CP 222-22", "CP 222-27"]) }
        }
        "outrage_rebellion" => match (facts.outrage, facts.rebellion) {
            (true, false) => v(&["CP 433-5"]),
            (false, true) => v(&["CP 433-6"]),
            _ => v(&["CP 433-5", "CP 433-6"]),
        },
        "escroquerie" => {
            if aggravated { v(&["CP 313-1", "CP 313-2"]) } else { v(&["CP 313-1"]) }
        }
        "abus_de_confiance" => v(&["CP 314-1"]),
        "degradations" => {
            if aggravated { v(&["CP 322-1", "CP 322-3"]) } else { v(&["CP 322-1"]) }
        }
        "recel" => v(&["CP 321-1"]),
        "conduite_sans_permis" => v(&["C. route L221-2"]),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::dossier_of_lines as dossier;

    fn categories(pages: &[&[&str]]) -> Vec<String> {
        let mut c: Vec<String> = detect(&dossier(pages), Domain::get()).into_iter().map(|o| o.category).collect();
        c.sort();
        c
    }

    fn one(page: &[&str]) -> Vec<String> {
        categories(&[page])
    }

    #[test]
    fn a_detector_rescans_only_changed_sentences_and_agrees_with_a_fresh_run() {
        let before: &[&[&str]] = &[
            &["PLAINTE", "Il a donné des coups de poing à sa compagne devant les enfants.", "Le médecin retient une ITT de 5j."],
            &["PROCÈS-VERBAL", "Le mis en cause reconnaît les faits.", "Il dit regretter son geste."],
            &["CONSTATATIONS", "Aucune dégradation n'est constatée sur place."],
        ];
        let after: &[&[&str]] = &[
            before[0],
            &["PROCÈS-VERBAL", "Le mis en cause reconnaît les faits.", "Il a aussi dérobé le téléphone de sa compagne."],
            before[2],
        ];
        let domain = Domain::get();
        let mut detector = Detector::new();
        assert_eq!(detector.detect(&dossier(before), domain), detect(&dossier(before), domain));
        let first = detector.scanned();
        assert!(first >= 4, "every sentence is scanned once: {first}");
        let offences = detector.detect(&dossier(after), domain);
        assert_eq!(offences, detect(&dossier(after), domain));
        assert!(offences.iter().any(|o| o.category == "vol"), "the changed sentence is read: {offences:?}");
        let rescanned = detector.scanned() - first;
        assert!((1..=2).contains(&rescanned), "only the changed sentence is scanned again: {rescanned}");
        // Back to the first text: the memo holds the last run only, so the old sentence is scanned again.
        assert_eq!(detector.detect(&dossier(before), domain), detect(&dossier(before), domain));
    }

    #[test]
    fn articles_in_any_written_form() {
        assert_eq!(one(&["PROCÈS-VERBAL DE SAISINE", "Faits prévus et réprimés par les articles 222-11 et 222-12 du Code pénal."]), ["violences"]);
        assert_eq!(one(&["PROCÈS-VERBAL", "Infraction à l'art. L.234-1 du code de la route."]), ["alcool_stupefiants_volant"]);
        assert_eq!(one(&["PROCÈS-VERBAL", "Faits réprimés par l'article 311-1 du Code pénal."]), ["vol"]);
        assert_eq!(one(&["PROCÈS-VERBAL", "Vu l'art. 222-13 6° du CP, faits commis le 3 mars."]), ["violences_conjugales"]);
        assert_eq!(one(&["PROCÈS-VERBAL", "Usage illicite, art. L3421-1 du code de la santé publique."]), ["stupefiants"]);
        // Procedure articles name no offence.
        assert!(one(&["PROCÈS-VERBAL", "Vu les articles 63-1 à 63-4 du Code de procédure pénale, notifions ses droits."]).is_empty());
    }

    #[test]
    fn qualifications_written_by_investigators() {
        assert_eq!(one(&["RAPPORT DE SYNTHÈSE", "Faits de violences volontaires sur conjoint commis à Créteil."]), ["violences_conjugales"]);
        assert_eq!(one(&["PROCÈS-VERBAL", "Interpellé pour vol à l'étalage au magasin Carrefour."]), ["vol"]);
        assert_eq!(one(&["PROCÈS-VERBAL", "Il est mis en cause pour refus d'obtempérer et conduite sans permis."]), ["conduite_sans_permis", "refus_obtemperer"]);
        assert_eq!(
            one(&["PROCÈS-VERBAL", "Faits qualifiés de conduite sous l'empire d'un état alcoolique ou après usage de stupéfiants."]),
            ["alcool_stupefiants_volant"]
        );
    }

    #[test]
    fn narratives_with_typos_and_abbreviations() {
        assert_eq!(
            one(&["PLAINTE", "Il a donné des coups de poing à sa compagne devant les enfants.", "Le médecin retient une ITT de 5j."]),
            ["violences_conjugales"]
        );
        assert_eq!(one(&["CONSTATATIONS", "Le dépistage est positif. TA positif, éthylomètre : 0,62 mg/l à 23h10."]), ["alcool_stupefiants_volant"]);
        assert_eq!(one(&["PLAINTE", "Mon voisin m'a frappé au visage, je suis tombé.", "ITT de 2 jours."]), ["violences"]);
        assert_eq!(one(&["PLAINTE", "Deux individus m'ont dérobé mon portable dans le métro."]), ["vol"]);
        assert_eq!(one(&["PV", "La fouille permet la découverte de 12,5 g de résine de canabis et de 3 barrettes."]), ["stupefiants"]);
        assert_eq!(one(&["PLAINTE", "Il m'a dit : « je vais te crever », il me menace tous les jours."]), ["menaces"]);
        assert_eq!(one(&["PLAINTE", "Mon ex me harcèle par SMS depuis trois mois, plus de 200 messages."]), ["harcelement"]);
    }

    #[test]
    fn hierarchy_between_close_categories() {
        // The origin of a receiver's object is not a theft.
        assert_eq!(one(&["PERQUISITION", "Le téléphone saisi provient d'un vol avec violence commis le 2 mai."]), ["recel"]);
        // Words thrown at officers are an outrage, not threats.
        assert_eq!(
            one(&["INTERPELLATION", "L'individu nous adresse les propos suivants : « Sales flics, je vais vous retrouver », puis se débat."]),
            ["outrage_rebellion"]
        );
        // A driver's saliva test positive to cannabis: driving after drug use.
        assert_eq!(one(&["CONSTATATIONS", "Le dépistage salivaire est positif au cannabis."]), ["alcool_stupefiants_volant"]);
        assert_eq!(one(&["SYNTHÈSE", "Conduite d'un véhicule en état alcoolique.", "Et après usage de stupéfiants."]), ["alcool_stupefiants_volant"]);
    }

    #[test]
    fn the_past_and_negations_are_not_offences() {
        assert!(one(&["BULLETIN N° 1 DU CASIER JUDICIAIRE", "Nature de l'infraction : Vol", "Nature de l'infraction : Violences volontaires"]).is_empty());
        assert!(one(&["AUDITION", "Il a déjà été condamné pour vol et recel en 2019."]).is_empty());
        assert!(one(&["AUDITION", "Il ne m'a pas frappé, il m'a juste parlé."]).is_empty());
        assert!(one(&["AUDITION", "Consommez-vous de l'alcool ? De temps en temps, le week-end."]).is_empty());
    }

    #[test]
    fn offences_carry_articles_aggravations_and_cited_evidence() {
        let d = dossier(&[
            &["PROCÈS-VERBAL DE PLAINTE", "Mon concubin m'a frappée avec une ceinture.", "Nous vivons ensemble depuis 2019."],
            &["CERTIFICAT MÉDICAL", "Les lésions entraînent une ITT de 10 jours."],
        ]);
        let found = detect(&d, Domain::get());
        assert_eq!(found.len(), 1, "{found:?}");
        let o = &found[0];
        assert_eq!(o.category, "violences_conjugales");
        assert_eq!(o.articles.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["CP 222-12"]);
        assert!(o.articles[0].text.contains("222-11"), "{}", o.articles[0].text);
        assert!(o.aggravations.contains(&"conjoint".to_string()) && o.aggravations.contains(&"arme".to_string()), "{:?}", o.aggravations);
        assert!(o.confidence > THRESHOLD && o.confidence <= 1.0);
        assert!(o.evidence.iter().any(|c| c.quote == "frappée" && c.page == 1), "{:?}", o.evidence);
        assert!(o.evidence.iter().any(|c| c.quote.contains("ITT") && c.page == 2), "{:?}", o.evidence);
        for c in &o.evidence {
            let page = d.page(&c.document, c.page).unwrap();
            assert!(page.text.contains(&c.quote), "{c:?}");
            assert!(!c.boxes.is_empty());
        }
        assert_eq!(o.pieces, [("doc1".to_string(), 1), ("doc1".to_string(), 2)]);
    }

    #[test]
    fn alcohol_rate_chooses_delict_or_contravention() {
        let art = |line: &str| {
            let d = dossier(&[&["ÉTHYLOMÈTRE", line]]);
            detect(&d, Domain::get()).into_iter().next().map(|o| o.articles[0].id.clone())
        };
        assert_eq!(art("Éthylomètre, mesure retenue : 0,62 mg/l.").as_deref(), Some("C. route L234-1"));
        assert_eq!(art("Éthylomètre, mesure retenue : 0,31 mg/l.").as_deref(), Some("C. route R234-1"));
        assert_eq!(art("Alcoolémie par prise de sang : 1,20 g/l.").as_deref(), Some("C. route L234-1"));
    }
}
