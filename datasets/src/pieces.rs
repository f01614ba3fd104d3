//! The pieces of a procédure, written from the scenario: plainte, PVs, auditions in
//! Question/Réponse form, garde à vue, certificat médical, éthylomètre ticket, réquisitions,
//! perquisition, casier, avis à magistrat, rapport de synthèse, and filler annexes.
//!
//! Each piece has several templates and paraphrases; every statement of a fact the question bank
//! asks about is written as a tagged span (a [`Claim`] on the [`FactBook`]), which the layout
//! places and the gold file cites.

use std::cell::RefCell;

use rand::Rng as _;
use rand::distr::uniform::{SampleRange, SampleUniform};

use crate::fonts::Family;
use crate::french::{self, DateTime, Rng, chance, pick};
use crate::gold::Value;
use crate::layout::{Align, Block, Para, Span};
use crate::scenario::{Admission, Officer, Person, Scenario};

/// One answer a passage supports.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub question: &'static str,
    pub value: Value,
}

/// Every tagged statement written so far; a span's `fact` indexes into it.
#[derive(Debug, Default)]
pub struct FactBook {
    pub facts: Vec<Vec<Claim>>,
}

impl FactBook {
    pub fn add(&mut self, claims: Vec<Claim>) -> usize {
        self.facts.push(claims);
        self.facts.len() - 1
    }
}

/// The kind of a piece; its id is what the gold file records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Bordereau,
    RapportSynthese,
    Plainte,
    Interpellation,
    Constatations,
    CertificatMedical,
    AuditionVictime,
    AuditionTemoin,
    AuditionMisEnCause,
    Confrontation,
    PlacementGav,
    ProlongationGav,
    FinGav,
    Ethylometre,
    AnalyseSanguine,
    Requisition,
    ReponseRequisition,
    PerquisitionSaisie,
    CasierB1,
    AvisMagistrat,
    AnnexePhotographique,
    ListingTelephonique,
    ReleveBancaire,
}

impl Kind {
    pub const ALL: [Kind; 23] = [
        Kind::Bordereau,
        Kind::RapportSynthese,
        Kind::Plainte,
        Kind::Interpellation,
        Kind::Constatations,
        Kind::CertificatMedical,
        Kind::AuditionVictime,
        Kind::AuditionTemoin,
        Kind::AuditionMisEnCause,
        Kind::Confrontation,
        Kind::PlacementGav,
        Kind::ProlongationGav,
        Kind::FinGav,
        Kind::Ethylometre,
        Kind::AnalyseSanguine,
        Kind::Requisition,
        Kind::ReponseRequisition,
        Kind::PerquisitionSaisie,
        Kind::CasierB1,
        Kind::AvisMagistrat,
        Kind::AnnexePhotographique,
        Kind::ListingTelephonique,
        Kind::ReleveBancaire,
    ];

    pub fn id(self) -> &'static str {
        // The contract's piece kinds (datasets/data/pieces.toml): a PV de saisine et
        // d'interpellation states the facts as found, like a PV de constatations; a blood
        // analysis is a laboratory's answer to a réquisition; listings are annexes.
        match self {
            Kind::Bordereau => "bordereau",
            Kind::RapportSynthese => "rapport_synthese",
            Kind::Plainte => "plainte",
            Kind::Interpellation => "constatations",
            Kind::Constatations => "constatations",
            Kind::CertificatMedical => "certificat_medical",
            Kind::AuditionVictime => "audition_victime",
            Kind::AuditionTemoin => "audition_temoin",
            Kind::AuditionMisEnCause => "audition_mis_en_cause",
            Kind::Confrontation => "confrontation",
            Kind::PlacementGav => "placement_gav",
            Kind::ProlongationGav => "prolongation_gav",
            Kind::FinGav => "fin_gav",
            Kind::Ethylometre => "ethylometre",
            Kind::AnalyseSanguine => "reponse_requisition",
            Kind::Requisition => "requisition",
            Kind::ReponseRequisition => "reponse_requisition",
            Kind::PerquisitionSaisie => "perquisition_saisie",
            Kind::CasierB1 => "casier",
            Kind::AvisMagistrat => "avis_magistrat",
            Kind::AnnexePhotographique | Kind::ListingTelephonique | Kind::ReleveBancaire => "annexe",
        }
    }

    /// Filler pieces: whole pages of annexes, sized to reach the dossier's page count.
    pub fn is_filler(self) -> bool {
        matches!(self, Kind::AnnexePhotographique | Kind::ListingTelephonique | Kind::ReleveBancaire)
    }
}

/// A piece before layout.
#[derive(Debug, Clone)]
pub struct Draft {
    pub kind: Kind,
    pub title: String,
    pub blocks: Vec<Block>,
    /// 0 = always kept; higher numbers are dropped first when pages are short.
    pub priority: u8,
    pub person: Option<String>,
    /// Font family when the piece has its own (tickets, casier, medical certificates).
    pub family: Option<Family>,
    /// Text size when the piece has its own.
    pub size: Option<f32>,
    /// Whether the piece carries the service's PV header.
    pub pv_header: bool,
}

/// Writes pieces for one scenario.
///
/// Every method takes `&self`: the random source and the fact book sit in cells that each helper
/// borrows only for its own duration, so that calls nest freely inside one statement.
pub struct Writer<'a> {
    pub s: &'a Scenario,
    rng: RefCell<Rng>,
    book: RefCell<&'a mut FactBook>,
    /// Probability of a typo per word in free text.
    pub typo_rate: f64,
}

fn para(spans: Vec<Span>) -> Block {
    Block::para(spans)
}

fn justified(spans: Vec<Span>) -> Block {
    Block::Para(Para { spans, align: Align::Justify, size: None, family: None, indent: 0.0, space_after: 0.5 })
}

impl<'a> Writer<'a> {
    /// A writer drawing from `rng` (a copy, handed back by [`Writer::into_rng`]).
    pub fn new(s: &'a Scenario, rng: Rng, book: &'a mut FactBook, typo_rate: f64) -> Self {
        Self { s, rng: RefCell::new(rng), book: RefCell::new(book), typo_rate }
    }

    /// The random source, advanced by everything written.
    pub fn into_rng(self) -> Rng {
        self.rng.into_inner()
    }

    pub fn pick<T: Copy>(&self, items: &[T]) -> T {
        *pick(&mut self.rng.borrow_mut(), items)
    }
    pub fn chance(&self, p: f64) -> bool {
        chance(&mut self.rng.borrow_mut(), p)
    }
    pub fn range<T: SampleUniform, R: SampleRange<T>>(&self, r: R) -> T {
        self.rng.borrow_mut().random_range(r)
    }
    fn date(&self, d: crate::french::Date) -> String {
        french::date(&mut self.rng.borrow_mut(), d)
    }
    fn date_numeric(&self, d: crate::french::Date) -> String {
        french::date_numeric(&mut self.rng.borrow_mut(), d)
    }
    fn time(&self, h: u32, m: u32) -> String {
        french::time(&mut self.rng.borrow_mut(), h, m)
    }
    fn amount(&self, euros: f64) -> String {
        french::amount(&mut self.rng.borrow_mut(), euros)
    }
    fn count(&self, n: u64) -> String {
        french::count(&mut self.rng.borrow_mut(), n)
    }
    fn written(&self, a: &crate::scenario::Address) -> String {
        a.written(&mut self.rng.borrow_mut())
    }
    fn typos(&self, text: &str, rate: f64) -> String {
        french::typos(&mut self.rng.borrow_mut(), text, rate)
    }

    /// Plain text, with typing accidents.
    fn t(&self, text: &str) -> Span {
        Span::plain(self.typos(text, self.typo_rate))
    }

    fn fact(&self, text: impl Into<String>, claims: Vec<(&'static str, Value)>) -> Span {
        let claims = claims.into_iter().map(|(question, value)| Claim { question, value }).collect();
        Span::fact(text, self.book.borrow_mut().add(claims))
    }

    fn date_value(dt: DateTime) -> Value {
        Value::Date { value: dt.iso() }
    }

    /// "le 12/03/2024 à 22h30" in one of its forms.
    fn when(&self, dt: DateTime) -> String {
        let d = self.date(dt.date);
        let t = self.time(dt.hour, dt.minute);
        match self.range(0..3) {
            0 => format!("le {d} à {t}"),
            1 => format!("le {d} vers {t}"),
            _ => format!("le {d}, à {t}"),
        }
    }

    fn person_value(p: &Person) -> Value {
        Value::Person { last_name: p.last.clone(), first_name: p.first.clone(), birth_date: Some(p.birth.iso()) }
    }

    fn officer_line(&self, o: &Officer) -> String {
        let s = self.s;
        let place = if s.service.gendarmerie { format!("en résidence à la {}", s.service.name) } else { format!("en fonction au {}", s.service.name) };
        format!("{} {}, {}, {} {},", o.first, o.last.to_uppercase(), o.grade, o.quality, place)
    }

    /// The opening formula of a PV.
    fn opening(&self, at: DateTime, officer: usize) -> Vec<Block> {
        let o = self.s.officers[officer].clone();
        let head = if self.chance(0.6) {
            format!("{} à {},", french::date_formula(at.date), french::time_words(at.hour, at.minute))
        } else {
            format!("Le {} à {},", self.date_numeric(at.date), self.time(at.hour, at.minute))
        };
        let nous = format!("Nous, {}", self.officer_line(&o));
        let frame = self.pick(&[
            "Agissant en enquête de flagrance, conformément aux articles 53 et suivants du Code de procédure pénale,",
            "Agissant en enquête préliminaire, conformément aux articles 75 et suivants du Code de procédure pénale,",
            "Poursuivant l'enquête en cours,",
            "Vu les articles 16 et suivants du Code de procédure pénale,",
        ])
        .to_string();
        vec![para(vec![Span::plain(head)]), para(vec![Span::plain(nous)]), para(vec![Span::plain(frame)])]
    }

    fn closing(&self, with_person: bool) -> Vec<Block> {
        let mut v = Vec::new();
        if with_person {
            let f = self.pick(&[
                "Lecture faite par lui-même, persiste et signe avec nous le présent procès-verbal.",
                "Après lecture faite par elle-même, l'intéressée persiste et signe avec nous.",
                "Lecture faite, persiste et signe avec nous à la suite du présent.",
                "Lecture faite par nous, l'intéressé déclare ne pas savoir lire, persiste et signe.",
            ])
            .to_string();
            v.push(para(vec![Span::plain(f)]));
            v.push(Block::Gap(1.0));
            v.push(Block::Row {
                cells: vec![(0.0, vec![Span::bold("L'intéressé(e)")]), (300.0, vec![Span::bold("L'officier de police judiciaire")])],
                size: None,
                family: None,
                rule_below: false,
            });
        } else {
            let f = self.pick(&["Dont procès-verbal.", "Dont acte.", "Dont procès-verbal que nous signons."]).to_string();
            v.push(para(vec![Span::plain(f)]));
            v.push(Block::Gap(0.5));
            v.push(Block::Row { cells: vec![(300.0, vec![Span::bold("L'officier de police judiciaire")])], size: None, family: None, rule_below: false });
        }
        v.push(Block::Gap(2.0));
        v
    }

    fn qa(&self, question: &str, answer: Vec<Span>) -> Vec<Block> {
        let q = if self.chance(0.5) { "Question :" } else { "QUESTION :" };
        let r = if self.chance(0.5) { "Réponse :" } else { "REPONSE :" };
        let mut a = vec![Span::bold(r), Span::plain(" ")];
        a.extend(answer);
        vec![
            Block::Para(Para { spans: vec![Span::bold(q), self.t(&format!(" {question}"))], align: Align::Left, size: None, family: None, indent: 0.0, space_after: 0.1 }),
            justified(a),
        ]
    }

    /// The identity block of a heard person, with the facts about the suspect tagged.
    fn identity(&self, p: &Person, suspect: bool) -> Vec<Block> {
        let p = p.clone();
        let mut blocks = Vec::new();
        let name_claims = |q: &'static str| vec![(q, Self::person_value(&p))];
        let birth = self.date(p.birth);
        let form = self.range(0..2);
        let who_q = if suspect { "mec_identite" } else if p.role == "victime" { "victime_identite" } else { "" };
        if form == 0 {
            // Form with labels.
            let name = format!("{} {}", p.last, p.first);
            let name_span = if who_q.is_empty() { Span::plain(name) } else { self.fact(name, name_claims(who_q)) };
            blocks.push(para(vec![Span::bold("Nom et prénom : "), name_span]));
            let birth_span = if suspect { self.fact(birth.clone(), vec![("mec_naissance", Value::Date { value: p.birth.iso() })]) } else { Span::plain(birth) };
            blocks.push(para(vec![Span::bold(format!("{} le : ", french::capitalize(p.ne()))), birth_span, Span::plain(format!(" à {}", p.birth_place()))]));
            let addr = self.written(&p.address);
            let addr_span = if suspect { self.fact(addr, vec![("mec_adresse", Value::text(p.address.canonical()))]) } else { Span::plain(addr) };
            blocks.push(para(vec![Span::bold("Demeurant : "), addr_span]));
            let job_span = if suspect { self.fact(p.job, vec![("mec_profession", Value::text(p.job))]) } else { Span::plain(p.job) };
            blocks.push(para(vec![Span::bold("Profession : "), job_span]));
            blocks.push(para(vec![Span::bold("Téléphone : "), Span::plain(p.phone.clone())]));
        } else {
            let name = format!("{} {}", p.first, p.last);
            let name_span = if who_q.is_empty() { Span::plain(name) } else { self.fact(name, name_claims(who_q)) };
            let birth_span = if suspect { self.fact(birth.clone(), vec![("mec_naissance", Value::Date { value: p.birth.iso() })]) } else { Span::plain(birth) };
            let addr = self.written(&p.address);
            let addr_span = if suspect { self.fact(addr, vec![("mec_adresse", Value::text(p.address.canonical()))]) } else { Span::plain(addr) };
            let job_span = if suspect { self.fact(p.job, vec![("mec_profession", Value::text(p.job))]) } else { Span::plain(p.job) };
            blocks.push(justified(vec![
                Span::plain("Je me nomme "),
                name_span,
                Span::plain(format!(". Je suis {} le ", p.ne())),
                birth_span,
                Span::plain(format!(" à {}. Je demeure ", p.birth_place())),
                addr_span,
                Span::plain(". Profession : "),
                job_span,
                Span::plain("."),
            ]));
        }
        blocks
    }

    fn facts_when_where(&self, claim_time: DateTime) -> Vec<Span> {
        let when = self.when(claim_time);
        let when_span = self.fact(when, vec![("date_faits", Self::date_value(claim_time))]);
        let addr = self.written(&self.s.place);
        let where_span = self.fact(addr, vec![("lieu_faits", Value::text(self.s.place.canonical()))]);
        vec![when_span, Span::plain(", "), Span::plain(self.s.place_kind.to_string()), Span::plain(", au "), where_span]
    }

    // ── pieces ──────────────────────────────────────────────────────────────────────────────

    pub fn plainte(&self) -> Option<Draft> {
        let s = self.s;
        let v = s.victim.clone()?;
        let mut b = self.opening(s.complaint_date, 1.min(s.officers.len() - 1));
        b.push(para(vec![self.t(&format!("Se présente devant nous la personne ci-dessous dénommée, qui nous déclare vouloir déposer plainte contre {} :", self.pick(&["X", "personne dénommée", "l'auteur des faits"])))]));
        b.extend(self.identity(&v, false));
        b.push(Block::heading("SUR LES FAITS :"));
        let mut spans = vec![Span::plain(self.pick(&["Je viens déposer plainte pour des faits survenus ", "Je dépose plainte car ", "Les faits se sont passés "]).to_string())];
        spans.extend(self.facts_when_where(s.facts));
        spans.push(Span::plain(". "));
        spans.push(self.t(&format!("J'ai été confronté{} à un individu que j'ai pu décrire aux policiers.", v.e())));
        b.push(justified(spans));
        self.category_statements_victim(&mut b);
        if let Some(d) = s.damages {
            let amount = self.amount(f64::from(d));
            let sp = self.fact(amount, vec![("prejudice", Value::euros(f64::from(d)))]);
            b.push(justified(vec![self.t(&self.pick(&["J'estime mon préjudice à ", "Mon préjudice s'élève à ", "J'évalue le montant de mon préjudice à "]).to_string()), sp, Span::plain(".")]));
        }
        if let Some(cp) = s.civil_party {
            let text = if cp {
                self.pick(&["Je souhaite me constituer partie civile", "Je me constitue partie civile", "Je désire me constituer partie civile"]).to_string()
            } else {
                self.pick(&["Je ne souhaite pas me constituer partie civile", "Je ne me constitue pas partie civile pour le moment"]).to_string()
            };
            let sp = self.fact(text, vec![("partie_civile", Value::yes_no(cp))]);
            b.push(para(vec![sp, Span::plain(".")]));
        }
        b.push(para(vec![self.t("Je suis informé(e) de mes droits en qualité de victime, un récépissé de plainte m'est remis.")]));
        b.extend(self.closing(true));
        Some(Draft { kind: Kind::Plainte, title: "PROCÈS-VERBAL DE PLAINTE".into(), blocks: b, priority: 0, person: Some(v.id.clone()), family: None, size: None, pv_header: true })
    }

    /// What the victim says that depends on the offences.
    fn category_statements_victim(&self, b: &mut Vec<Block>) {
        let s = self.s;
        let d = &s.details;
        if s.has("vol") {
            let mut spans = vec![self.t("On m'a dérobé ")];
            let items = d.stolen.clone();
            for (i, (obj, _)) in items.iter().enumerate() {
                if i > 0 {
                    spans.push(Span::plain(if i + 1 == items.len() { " et " } else { ", " }));
                }
                spans.push(self.fact(obj.to_string(), vec![("vol_objets", Value::text(*obj))]));
            }
            let total: u32 = items.iter().map(|x| x.1).sum();
            let amount = self.amount(f64::from(total));
            spans.push(Span::plain(", pour une valeur totale de "));
            spans.push(self.fact(amount, vec![("vol_valeur", Value::euros(f64::from(total)))]));
            spans.push(Span::plain("."));
            b.push(justified(spans));
            if let Some((n, _)) = d.authors {
                let txt = match n {
                    1 => "un seul individu".to_string(),
                    _ => format!("{} individus", self.count(n)),
                };
                let sp = self.fact(txt, vec![("vol_auteurs", Value::count(n))]);
                b.push(justified(vec![Span::plain("Les faits ont été commis par "), sp, self.t(", qui ont pris la fuite en courant.")]));
            }
        }
        if s.has("violences") || s.has("violences_conjugales") {
            let w = d.weapon.unwrap_or("à mains nues");
            let sp = if w == "à mains nues" {
                self.fact("il m'a frappé à mains nues", vec![("violences_arme", Value::text("aucune arme (mains nues)"))])
            } else {
                self.fact(format!("il m'a frappé avec {w}"), vec![("violences_arme", Value::text(w))])
            };
            b.push(justified(vec![self.t("Sans raison apparente, "), sp, self.t(", au visage et sur le corps. J'ai eu très peur.")]));
            if s.has("violences") {
                if let Some(rel) = d.relation {
                    let txt = match rel {
                        "inconnu" => "Je ne connaissais pas cet individu avant les faits".to_string(),
                        r => format!("Il s'agit de mon {r}"),
                    };
                    let sp = self.fact(txt, vec![("violences_lien", Value::text(rel))]);
                    b.push(para(vec![sp, Span::plain(".")]));
                }
                if let Some(m) = d.minors_present {
                    let txt = if m { "Des enfants mineurs étaient présents au moment des faits" } else { "Aucun enfant n'était présent" };
                    let sp = self.fact(txt, vec![("violences_mineurs", Value::yes_no(m))]);
                    b.push(para(vec![sp, Span::plain(".")]));
                }
            }
            if s.has("violences_conjugales") {
                if let Some(rel) = d.relation {
                    b.push(para(vec![self.t(&format!("L'auteur est mon {rel}, nous vivons ensemble depuis plusieurs années."))]));
                }
                if let Some(m) = d.minors_present {
                    let txt = if m { "Nos enfants étaient présents et ont tout vu" } else { "Les enfants n'étaient pas à la maison ce soir-là" };
                    let sp = self.fact(txt, vec![("vc_enfants", Value::yes_no(m))]);
                    b.push(para(vec![sp, Span::plain(".")]));
                }
                if let Some(n) = d.previous_complaints {
                    let txt = if n == 0 {
                        "C'est la première fois que je dépose plainte contre lui".to_string()
                    } else {
                        format!("J'ai déjà déposé {} plainte(s) ou main(s) courante(s) contre lui", self.count(n))
                    };
                    let sp = self.fact(txt, vec![("vc_antecedents", Value::count(n))]);
                    b.push(para(vec![sp, Span::plain(".")]));
                }
                if let Some((w, canon)) = d.wish {
                    let sp = self.fact(w, vec![("vc_souhait", Value::text(canon))]);
                    b.push(para(vec![sp, Span::plain(".")]));
                }
                if let Some((w, canon)) = d.protection {
                    let sp = self.fact(w, vec![("vc_protection", Value::text(canon))]);
                    b.push(para(vec![Span::plain("Par ailleurs, "), sp, Span::plain(".")]));
                }
            }
        }
        if s.has("menaces") {
            if let Some(w) = d.threat_words {
                let sp = self.fact(format!("« {w} »"), vec![("menaces_propos", Value::text(w)), ("menaces_mort", Value::yes_no(d.death_threat))]);
                b.push(justified(vec![self.t("Il m'a dit textuellement : "), sp, Span::plain(".")]));
            }
            if let Some(r) = d.threat_repeated {
                let txt = if r { "Il m'avait déjà menacé à plusieurs reprises les semaines précédentes" } else { "C'est la première fois qu'il me menace" };
                let sp = self.fact(txt, vec![("menaces_reiterees", Value::yes_no(r))]);
                b.push(para(vec![sp, Span::plain(".")]));
            }
        }
        if s.has("harcelement") {
            if let (Some(n), Some(m), Some((w, canon))) = (d.messages, d.period_months, d.harassment_means) {
                let msg = self.fact(format!("{} messages", french::grouped(n)), vec![("harcelement_messages", Value::count(n))]);
                let per = self.fact(format!("depuis {} mois", self.count(u64::from(m))), vec![("harcelement_periode", Value::Duration { value: format!("P{m}M") })]);
                let means = self.fact(w, vec![("harcelement_moyen", Value::text(canon))]);
                b.push(justified(vec![self.t("Il me harcèle "), per, Span::plain(", "), means, self.t(". J'ai reçu plus de "), msg, self.t(", je n'en dors plus.")]));
            }
        }
        if s.has("agression_sexuelle") {
            if let (Some((g, gc)), Some((c, cc))) = (d.gestures, d.constraint) {
                let g = self.fact(g, vec![("as_gestes", Value::text(gc))]);
                let c = self.fact(c, vec![("as_contrainte", Value::text(cc))]);
                b.push(justified(vec![self.t("Il s'est approché de moi et "), g, Span::plain(", "), c, self.t(". Je me suis dégagée et j'ai crié.")]));
            }
            if let Some(age) = d.victim_age {
                let sp = self.fact(format!("J'ai {age} ans"), vec![("as_victime_age", Value::count(age))]);
                b.push(para(vec![sp, Span::plain(".")]));
            }
        }
        if s.has("escroquerie") {
            if let Some((amount, w, canon)) = d.fraud {
                let how = self.fact(w, vec![("esc_procede", Value::text(canon))]);
                let a = self.amount(f64::from(amount));
                let a = self.fact(a, vec![("esc_montant", Value::euros(f64::from(amount)))]);
                b.push(justified(vec![self.t("Je vous explique : "), how, self.t(". J'ai ainsi perdu la somme de "), a, Span::plain(".")]));
            }
        }
        if s.has("abus_de_confiance") {
            if let Some((amount, w, canon)) = d.breach {
                let what = self.fact(w, vec![("adc_bien", Value::text(canon))]);
                let a = self.amount(f64::from(amount));
                let a = self.fact(a, vec![("adc_montant", Value::euros(f64::from(amount)))]);
                b.push(justified(vec![self.t("Il a détourné "), what, self.t(", soit un montant de "), a, Span::plain(".")]));
            }
        }
        if s.has("degradations") {
            if let Some((what, amount)) = d.damage {
                let w = self.fact(what, vec![("deg_bien", Value::text(what))]);
                let a = self.amount(f64::from(amount));
                let a = self.fact(a, vec![("deg_montant", Value::euros(f64::from(amount)))]);
                b.push(justified(vec![self.t("Il a volontairement dégradé "), w, self.t(". Le devis de réparation s'élève à "), a, Span::plain(".")]));
            }
        }
    }

    pub fn interpellation(&self) -> Draft {
        let s = self.s;
        let mut b = self.opening(s.facts.add_minutes(5), 1.min(s.officers.len() - 1));
        b.push(para(vec![self.t("Étant en patrouille à bord d'un véhicule sérigraphié, en tenue d'uniforme, avec nos collègues de l'équipage,")]));
        let mut spans = vec![self.t("Rapportons les faits suivants : ")];
        spans.extend(self.facts_when_where(s.facts));
        spans.push(Span::plain(", "));
        spans.push(self.t("notre attention est attirée par le comportement d'un individu."));
        b.push(justified(spans));
        let d = &s.details;
        if let Some((w, canon)) = d.flight {
            let sp = self.fact(w, vec![("ro_circonstances", Value::text(canon))]);
            b.push(justified(vec![self.t("Alors que nous lui faisons signe de s'arrêter, "), sp, Span::plain(".")]));
            if let Some(danger) = d.danger {
                let txt = if danger { "obligeant plusieurs piétons à se jeter sur le trottoir pour l'éviter" } else { "sans toutefois mettre en danger d'autres usagers" };
                let sp = self.fact(txt, vec![("ro_danger", Value::yes_no(danger))]);
                b.push(justified(vec![self.t("Le véhicule prend la fuite à vive allure, "), sp, Span::plain(".")]));
            }
        }
        if let Some(acc) = d.accident {
            let txt = if acc { "le véhicule percute un véhicule en stationnement, causant un accident matériel" } else { "aucun accident n'est à déplorer" };
            let sp = self.fact(txt, vec![("alcool_accident", Value::yes_no(acc))]);
            b.push(justified(vec![self.t("Nous constatons que "), sp, Span::plain(".")]));
        }
        if s.has("alcool_stupefiants_volant") {
            b.push(justified(vec![self.t("Le conducteur présente des signes d'imprégnation alcoolique : haleine sentant fortement l'alcool, yeux brillants, propos répétitifs.")]));
        }
        if let Some((w, canon)) = d.licence {
            let sp = self.fact(format!("l'intéressé {w}"), vec![("csp_situation", Value::text(canon))]);
            b.push(justified(vec![self.t("Interrogé sur son permis de conduire, il ne peut le présenter. Après consultation du fichier national des permis de conduire, il apparaît que "), sp, Span::plain(".")]));
        }
        if s.has("stupefiants") {
            if let (Some((w, canon)), Some((grams, estimate))) = (d.drug, d.grams) {
                let sub = self.fact(w, vec![("stup_substance", Value::text(canon))]);
                let g = estimate.unwrap_or(grams);
                let qty = if estimate.is_some() { format!("environ {} grammes", french::decimal(g, 0)) } else { format!("{} grammes", french::decimal(g, 1)) };
                let q = self.fact(qty, vec![("stup_quantite", Value::rate(g, "g"))]);
                b.push(justified(vec![self.t("La palpation de sécurité permet la découverte de "), q, self.t(" de "), sub, self.t(", conditionnés en plusieurs sachets.")]));
            }
            if let Some(c) = d.cash {
                let a = self.amount(f64::from(c));
                let a = self.fact(a, vec![("stup_numeraire", Value::euros(f64::from(c)))]);
                b.push(para(vec![self.t("Il est également porteur de la somme de "), a, self.t(" en petites coupures.")]));
            }
        }
        if s.has("outrage_rebellion") {
            if let Some(w) = d.insult {
                let sp = self.fact(format!("« {w} »"), vec![("or_propos", Value::text(w))]);
                b.push(justified(vec![self.t("Lors de son interpellation, l'individu nous adresse les propos suivants : "), sp, self.t(", puis se débat violemment.")]));
            }
            if let Some(n) = d.officers_targeted {
                let names: Vec<String> = s.officers.iter().take(n as usize).map(|o| format!("{} {}", o.grade, o.last)).collect();
                let txt = format!("{} fonctionnaire(s) visé(s)", self.count(n));
                let sp = self.fact(txt, vec![("or_agents", Value::count(n))]);
                b.push(para(vec![sp, Span::plain(format!(" : {}.", names.join(", ")))]));
            }
            if let Some(inj) = d.officer_injured {
                let txt = if inj { "Le gardien de la paix a été légèrement blessé à la main" } else { "Aucun fonctionnaire n'a été blessé" };
                let sp = self.fact(txt, vec![("or_blesses", Value::yes_no(inj))]);
                b.push(para(vec![sp, Span::plain(".")]));
            }
        }
        let sus = s.suspect.clone();
        let name = self.fact(format!("{} {}", sus.last, sus.first), vec![("mec_identite", Self::person_value(&sus))]);
        let at = self.when(s.custody.start);
        b.push(justified(vec![self.t("Procédons à l'interpellation de l'individu, identifié comme étant "), name, Span::plain(format!(", {at}."))]));
        b.extend(self.closing(false));
        Draft { kind: Kind::Interpellation, title: self.pick(&["PROCÈS-VERBAL D'INTERPELLATION", "PROCÈS-VERBAL DE SAISINE ET D'INTERPELLATION"]).to_string(), blocks: b, priority: 0, person: Some(sus.id.clone()), family: None, size: None, pv_header: true }
    }

    pub fn constatations(&self) -> Draft {
        let s = self.s;
        let mut b = self.opening(s.facts.add_minutes(40), 0);
        let mut spans = vec![self.t("Nous transportons sur les lieux des faits, ")];
        let addr = self.written(&s.place);
        spans.push(self.fact(addr, vec![("lieu_faits", Value::text(s.place.canonical()))]));
        spans.push(Span::plain(", "));
        spans.push(self.t("où nous procédons aux constatations suivantes."));
        b.push(justified(spans));
        if let Some(bi) = s.details.break_in {
            let txt = if bi { "La porte d'entrée présente des traces d'effraction au niveau de la serrure" } else { "Aucune trace d'effraction n'est relevée sur les accès" };
            let sp = self.fact(txt, vec![("vol_effraction", Value::yes_no(bi))]);
            b.push(para(vec![sp, Span::plain(".")]));
        }
        if let Some((what, _)) = s.details.damage {
            b.push(para(vec![self.t(&format!("Constatons les dégradations suivantes : {what}. Des clichés photographiques sont réalisés."))]));
        }
        for _ in 0..self.range(1..4) {
            let filler = self.pick(&[
                "Les lieux sont éclairés par l'éclairage public. La chaussée est sèche.",
                "Aucune caméra de vidéoprotection n'est visible à proximité immédiate.",
                "Le voisinage est sollicité ; les personnes rencontrées déclarent n'avoir rien vu ni entendu.",
                "Une recherche de traces et indices est effectuée par le service local de police technique.",
                "Nous procédons à une enquête de voisinage sans résultat.",
            ])
            .to_string();
            b.push(justified(vec![self.t(&filler)]));
        }
        b.extend(self.closing(false));
        Draft { kind: Kind::Constatations, title: "PROCÈS-VERBAL DE CONSTATATIONS".into(), blocks: b, priority: 2, person: None, family: None, size: None, pv_header: true }
    }

    pub fn certificat(&self, second: bool) -> Option<Draft> {
        let s = self.s;
        let v = s.victim.clone()?;
        let (itt, re) = s.details.itt?;
        let days = if second { re? } else { itt };
        let q = if s.has("violences_conjugales") { "vc_itt" } else { "violences_itt" };
        let exam = s.facts.add_minutes(if second { 60 * 24 * 5 } else { 180 });
        let doctor = format!("Dr {} {}", self.pick(&["Anne", "Pierre", "Claire", "Marc", "Isabelle", "Olivier"]), self.pick(&["LEBRUN", "FOUCAULT", "MARCHAND", "HUBERT", "COLIN"]));
        let unit = self.pick(&["Unité médico-judiciaire (UMJ)", "Service des urgences médico-judiciaires", "UMJ de l'Hôtel-Dieu"]).to_string();
        let mut b = vec![
            Block::para(vec![Span::bold(unit)]),
            Block::text(format!("{doctor}, médecin légiste")),
            Block::Gap(1.0),
            Block::title(if second { "CERTIFICAT MÉDICAL DE RÉEXAMEN" } else { "CERTIFICAT MÉDICAL INITIAL" }, 13.0),
            Block::Gap(0.5),
        ];
        let when = self.when(exam);
        b.push(justified(vec![self.t(&format!("Je soussigné(e), {doctor}, certifie avoir examiné {when}, sur réquisition de l'officier de police judiciaire, {} {}, {} le {}.", v.civility(), v.last_first(), v.ne(), self.date_numeric(v.birth)))]));
        b.push(Block::heading("Doléances :"));
        b.push(justified(vec![self.t("La personne déclare avoir été victime de violences volontaires. Elle se plaint de douleurs au visage et à l'épaule droite.")]));
        b.push(Block::heading("Examen clinique :"));
        b.push(justified(vec![self.t(self.pick(&[
            "Ecchymose de 3 cm sur la pommette gauche. Dermabrasion du coude droit. Douleur à la palpation du gril costal.",
            "Hématome péri-orbitaire droit. Plaie superficielle de la lèvre inférieure. Pas de déficit neurologique.",
            "Contusion de l'épaule droite avec limitation des amplitudes. Griffures cervicales.",
        ]))]));
        b.push(Block::heading("Conclusion :"));
        let itt_text = match self.range(0..3) {
            0 => format!("ITT de {days} jours"),
            1 => format!("incapacité totale de travail de {} ({days}) jours", french::words(u64::from(days))),
            _ => format!("ITT : {days} jour(s)"),
        };
        let itt_text = if days == 0 { "absence d'ITT".to_string() } else { itt_text };
        let sp = self.fact(itt_text, vec![(q, Value::days(days))]);
        b.push(justified(vec![self.t("Les lésions constatées sont compatibles avec les faits allégués et entraînent une "), sp, self.t(", sous réserve de complications.")]));
        b.push(Block::Gap(1.0));
        b.push(Block::Row { cells: vec![(280.0, vec![Span::plain(format!("Fait à {}, le {}", s.service.town, self.date_numeric(exam.date)))])], size: None, family: None, rule_below: false });
        b.push(Block::Row { cells: vec![(280.0, vec![Span::bold(doctor)])], size: None, family: None, rule_below: false });
        let family = if self.chance(0.5) { Family::Serif } else { Family::Sans };
        Some(Draft { kind: Kind::CertificatMedical, title: "CERTIFICAT MÉDICAL".into(), blocks: b, priority: if second { 3 } else { 1 }, person: Some(v.id.clone()), family: Some(family), size: None, pv_header: false })
    }

    fn hearing_intro(&self, p: &Person, role: &str) -> Block {
        let text = format!("Entendons {} {} en qualité de {role}, qui, après avoir été informé(e) de ses droits, déclare :", p.civility(), p.last_first());
        justified(vec![self.t(&text)])
    }

    pub fn audition_victime(&self) -> Option<Draft> {
        let s = self.s;
        let v = s.victim.clone()?;
        let mut b = self.opening(s.complaint_date.add_minutes(60 * 24 * self.range(1..6)), 0);
        b.push(self.hearing_intro(&v, "victime"));
        b.extend(self.identity(&v, false));
        let spans = vec![self.t("Je confirme les termes de ma plainte. Je souhaite apporter les précisions suivantes.")];
        let a = self.qa("Pouvez-vous revenir sur le déroulement des faits ?", spans);
        b.extend(a);
        let sus = s.suspect.clone();
        b.extend(self.qa("Connaissez-vous la personne mise en cause ?", vec![Span::plain(format!("On m'a dit qu'il s'appelait {}.", sus.first_last()))]));
        if let Some(rev) = s.damages_revised {
            let amount = self.amount(f64::from(rev));
            let sp = self.fact(amount, vec![("prejudice", Value::euros(f64::from(rev)))]);
            b.extend(self.qa("Avez-vous pu chiffrer votre préjudice ?", vec![self.t("Oui, après avoir fait faire des devis, mon préjudice total est de "), sp, Span::plain(".")]));
        }
        if let Some((w, canon)) = s.details.protection {
            let sp = self.fact(w, vec![("vc_protection", Value::text(canon))]);
            b.extend(self.qa("Souhaitez-vous une mesure de protection ?", vec![Span::plain("Oui, "), sp, Span::plain(".")]));
        }
        b.extend(self.qa("Avez-vous quelque chose à ajouter ?", vec![self.t("Non, je n'ai rien à ajouter.")]));
        b.extend(self.closing(true));
        Some(Draft { kind: Kind::AuditionVictime, title: "PROCÈS-VERBAL D'AUDITION DE VICTIME".into(), blocks: b, priority: 3, person: Some(v.id.clone()), family: None, size: None, pv_header: true })
    }

    pub fn audition_temoin(&self, i: usize) -> Draft {
        let s = self.s;
        let w = s.witnesses[i].clone();
        let mut b = self.opening(s.complaint_date.add_minutes(30 + 20 * i as i64), 1.min(s.officers.len() - 1));
        b.push(self.hearing_intro(&w, "témoin"));
        let n = s.witnesses.len() as u64;
        let heading = self.fact(format!("Audition du témoin {}", w.last_first()), vec![("temoins_nombre", Value::count(n))]);
        b.push(para(vec![heading]));
        b.extend(self.identity(&w, false));
        let t = if i == 0 { s.witness_time.unwrap_or(s.facts) } else { s.facts };
        let when = self.when(t);
        let sp = self.fact(when, vec![("date_faits", Self::date_value(t))]);
        let mut ans = vec![self.t("J'étais présent "), sp, self.t(". J'ai vu une altercation entre deux personnes. ")];
        if let Some((_, other)) = s.details.authors {
            let txt = if other == 1 { "un seul homme".to_string() } else { format!("{} hommes", self.count(other)) };
            let a = self.fact(txt, vec![("vol_auteurs", Value::count(other))]);
            ans.extend([self.t("J'ai vu "), a, self.t(" partir en courant.")]);
        }
        if let (Some(m), true) = (s.details.minors_present, s.has("violences")) {
            let txt = if m { "il y avait des enfants autour" } else { "il n'y avait pas d'enfants" };
            let sp = self.fact(txt, vec![("violences_mineurs", Value::yes_no(m))]);
            ans.extend([Span::plain(" Je précise qu'"), sp, Span::plain(".")]);
        }
        b.extend(self.qa("Que pouvez-vous nous dire sur les faits ?", ans));
        b.extend(self.qa("Pourriez-vous reconnaître l'auteur ?", vec![self.t(self.pick(&["Oui, je pense.", "Je ne suis pas sûr, il faisait sombre.", "Non, je l'ai vu de dos."]))]));
        b.extend(self.closing(true));
        Draft { kind: Kind::AuditionTemoin, title: "PROCÈS-VERBAL D'AUDITION DE TÉMOIN".into(), blocks: b, priority: 2, person: Some(w.id.clone()), family: None, size: None, pv_header: true }
    }

    fn admission_answer(&self, a: Admission) -> Span {
        let s = self.s;
        let text = match a {
            Admission::Admits => self.pick(&["Je reconnais les faits qui me sont reprochés", "Oui, je reconnais, je regrette", "Je reconnais entièrement les faits"]).to_string(),
            Admission::Denies => self.pick(&["Je conteste formellement les faits", "Je n'ai rien fait, je conteste", "Ce n'est pas moi, je nie les faits"]).to_string(),
            Admission::Partial => self.pick(&["Je reconnais une partie des faits seulement", "Je reconnais en partie mais pas tout ce qu'on me reproche"]).to_string(),
            Admission::Silent => self.pick(&["Je ne souhaite pas répondre", "J'use de mon droit de me taire", "Je n'ai rien à déclarer"]).to_string(),
        };
        let _ = s;
        self.fact(text, vec![("reconnaissance", Value::text(a.canonical()))])
    }

    pub fn audition_mec(&self, second: bool) -> Draft {
        let s = self.s;
        let sus = s.suspect.clone();
        let at = s.custody.start.add_minutes(if second { 600 } else { 120 + self.range(0..120) });
        let mut b = self.opening(at, 0);
        b.push(justified(vec![self.t(&format!("Entendons {} {}, placé{} en garde à vue, qui déclare :", sus.civility(), sus.last_first(), sus.e()))]));
        if !second {
            b.extend(self.identity(&sus, true));
            b.extend(self.qa("Quelle est votre situation familiale ?", vec![self.t(self.pick(&["Je suis célibataire, sans enfant.", "Je suis marié, j'ai deux enfants.", "Je vis en concubinage, j'ai un enfant de 3 ans.", "Je suis séparé, j'ai la garde de mes enfants un week-end sur deux."]))]));
            b.extend(self.qa("Quels sont vos revenus ?", vec![self.t(self.pick(&["Environ 1 400 euros par mois.", "Je touche le RSA.", "Je n'ai pas de revenus fixes.", "Environ 2 000 euros net."]))]));
        }
        let when = self.when(s.facts);
        b.extend(self.qa(&format!("Vous êtes mis en cause pour des faits commis {when}. Qu'avez-vous à dire ?"), {
            let a = if second { s.second_admission.unwrap_or(s.admission) } else { s.admission };
            vec![self.admission_answer(a), Span::plain(".")]
        }));
        let d = &s.details;
        if s.has("stupefiants") {
            if let Some((own, _)) = d.destination {
                let txt = if own == "revente" { "Je vendais un peu pour payer mes dettes" } else { "C'était pour ma consommation personnelle" };
                let sp = self.fact(txt, vec![("stup_destination", Value::text(own))]);
                b.extend(self.qa("À quoi était destiné le produit découvert sur vous ?", vec![sp, Span::plain(".")]));
            }
        }
        if s.has("alcool_stupefiants_volant") && !second {
            b.extend(self.qa("Combien de verres avez-vous bu ?", vec![self.t(self.pick(&["Deux bières, pas plus.", "Quelques verres de vin au repas.", "Je ne sais plus exactement."]))]));
        }
        if s.has("menaces") && self.chance(0.5) {
            b.extend(self.qa("Avez-vous menacé la victime ?", vec![self.t("J'étais énervé, j'ai pu dire des choses mais je ne pensais pas ce que je disais.")]));
        }
        if !second {
            for _ in 0..self.range(0..4) {
                let (q, a) = self.pick(&[
                    ("Consommez-vous de l'alcool ?", "De temps en temps, le week-end."),
                    ("Avez-vous déjà été condamné ?", "Je ne me souviens plus exactement."),
                    ("Étiez-vous seul ?", "Je préfère ne pas répondre à cette question."),
                    ("Pourquoi avoir agi ainsi ?", "Je ne sais pas, je n'étais pas dans mon état normal."),
                    ("Avez-vous un téléphone portable ?", "Oui, il est dans mes affaires à la fouille."),
                    ("Regrettez-vous ?", "Oui, je m'excuse auprès de la victime."),
                ]);
                b.extend(self.qa(q, vec![self.t(a)]));
            }
        }
        b.extend(self.qa("Avez-vous quelque chose à ajouter ?", vec![self.t("Non.")]));
        b.extend(self.closing(true));
        Draft {
            kind: Kind::AuditionMisEnCause,
            title: if second { "PROCÈS-VERBAL D'AUDITION (SUITE)".into() } else { self.pick(&["PROCÈS-VERBAL D'AUDITION DE PERSONNE GARDÉE À VUE", "PROCÈS-VERBAL D'AUDITION DU MIS EN CAUSE"]).to_string() },
            blocks: b,
            priority: if second { 3 } else { 0 },
            person: Some(sus.id.clone()),
            family: None,
            size: None,
            pv_header: true,
        }
    }

    pub fn confrontation(&self) -> Option<Draft> {
        let s = self.s;
        let v = s.victim.clone()?;
        let sus = s.suspect.clone();
        let mut b = self.opening(s.custody.start.add_minutes(400), 0);
        b.push(justified(vec![self.t(&format!("Procédons à la confrontation entre {} {} et {} {}.", v.civility(), v.last_first(), sus.civility(), sus.last_first()))]));
        b.extend(self.qa(&format!("{}, maintenez-vous vos déclarations ?", v.short_civility()), vec![self.t("Oui, je maintiens tout ce que j'ai dit.")]));
        let a = self.admission_answer(s.admission);
        b.extend(self.qa(&format!("{}, qu'avez-vous à répondre ?", sus.short_civility()), vec![a, Span::plain(".")]));
        b.extend(self.closing(true));
        Some(Draft { kind: Kind::Confrontation, title: "PROCÈS-VERBAL DE CONFRONTATION".into(), blocks: b, priority: 3, person: Some(sus.id.clone()), family: None, size: None, pv_header: true })
    }

    pub fn placement_gav(&self) -> Draft {
        let s = self.s;
        let sus = s.suspect.clone();
        let c = s.custody.clone();
        let mut b = self.opening(c.start.add_minutes(10), 0);
        let name = self.fact(sus.last_first(), vec![("mec_identite", Self::person_value(&sus))]);
        let start = self.when(c.start);
        let start = self.fact(start, vec![("gav_debut", Self::date_value(c.start))]);
        b.push(justified(vec![
            self.t("Vu les articles 62-2 et 63 du Code de procédure pénale, plaçons en garde à vue "),
            name,
            self.t(&format!(", {} le {}, à compter du ", sus.ne(), self.date_numeric(sus.birth))),
            start,
            self.t(", heure de son interpellation."),
        ]));
        b.push(justified(vec![self.t("Motif : il existe une ou plusieurs raisons plausibles de soupçonner qu'il a commis ou tenté de commettre un crime ou un délit puni d'emprisonnement.")]));
        let notif = self.fact(
            self.pick(&["Lui notifions les droits attachés à la mesure de garde à vue", "Lui notifions immédiatement ses droits", "Procédons à la notification de ses droits"]).to_string(),
            vec![("gav_droits_notifies", Value::yes_no(true))],
        );
        b.push(justified(vec![notif, self.t(", conformément aux articles 63-1 à 63-4 du Code de procédure pénale, dans une langue qu'il comprend.")]));
        let mut rights = vec![
            ("être examiné par un médecin", if c.doctor { "OUI" } else { "NON" }),
            ("faire prévenir un proche et son employeur", if c.notify_relative { "OUI" } else { "NON" }),
            ("être assisté par un interprète", "NON"),
        ];
        if self.chance(0.5) {
            rights.reverse();
        }
        b.push(Block::heading("Droits notifiés :"));
        for (right, ans) in rights {
            b.push(Block::Row { cells: vec![(10.0, vec![Span::plain(format!("- Droit de {right} :"))]), (330.0, vec![Span::bold(ans)])], size: None, family: None, rule_below: false });
        }
        let lawyer = if c.lawyer {
            self.pick(&["Désire être assisté par un avocat", "Demande l'assistance d'un avocat commis d'office", "Souhaite être assisté de Maître DURAND, avocat"]).to_string()
        } else {
            self.pick(&["Ne désire pas être assisté par un avocat", "Renonce à l'assistance d'un avocat"]).to_string()
        };
        let sp = self.fact(lawyer, vec![("gav_avocat", Value::yes_no(c.lawyer))]);
        b.push(para(vec![Span::plain("- "), sp, Span::plain(".")]));
        b.push(para(vec![self.t("- Est informé de son droit, lors des auditions, de faire des déclarations, de répondre aux questions ou de se taire.")]));
        b.extend(self.closing(true));
        Draft {
            kind: Kind::PlacementGav,
            title: self.pick(&["PROCÈS-VERBAL DE PLACEMENT EN GARDE À VUE ET DE NOTIFICATION DES DROITS", "PLACEMENT EN GARDE A VUE - NOTIFICATION DES DROITS"]).to_string(),
            blocks: b,
            priority: 1,
            person: Some(sus.id.clone()),
            family: None,
            size: None,
            pv_header: true,
        }
    }

    pub fn prolongation(&self) -> Option<Draft> {
        let s = self.s;
        if !s.custody.extended {
            return None;
        }
        let at = s.custody.start.add_minutes(23 * 60);
        let mut b = self.opening(at, 0);
        let sp = self.fact(
            self.pick(&["la prolongation de la garde à vue pour une durée de vingt-quatre heures", "la prolongation de la mesure pour 24 heures"]).to_string(),
            vec![("gav_prolongation", Value::yes_no(true))],
        );
        b.push(justified(vec![self.t(&format!("Vu l'autorisation écrite de Madame, Monsieur le Procureur de la République près le tribunal judiciaire de {}, notifions à {} ", s.service.tribunal, s.suspect.last_first())), sp, Span::plain(".")]));
        b.push(justified(vec![self.t("Lui rappelons qu'il peut à nouveau demander à s'entretenir avec un avocat et à être examiné par un médecin.")]));
        b.extend(self.closing(true));
        Some(Draft { kind: Kind::ProlongationGav, title: "PROCÈS-VERBAL DE NOTIFICATION DE PROLONGATION DE GARDE À VUE".into(), blocks: b, priority: 2, person: Some(s.suspect.id.clone()), family: None, size: None, pv_header: true })
    }

    pub fn fin_gav(&self) -> Draft {
        let s = self.s;
        let c = s.custody.clone();
        let mut b = self.opening(c.end, 0);
        let end = self.when(c.end);
        let end = self.fact(end, vec![("gav_fin", Self::date_value(c.end))]);
        let start = self.when(c.start);
        let start = self.fact(start, vec![("gav_debut", Self::date_value(c.start))]);
        b.push(justified(vec![self.t(&format!("Mettons fin à la garde à vue de {}, débutée ", s.suspect.last_first())), start, Span::plain(", "), end, Span::plain(".")]));
        if !c.extended && self.chance(0.6) {
            let sp = self.fact("La mesure n'a pas fait l'objet de prolongation", vec![("gav_prolongation", Value::yes_no(false))]);
            b.push(para(vec![sp, Span::plain(".")]));
        }
        let hours = c.end.minutes_since(c.start) / 60;
        b.push(justified(vec![self.t(&format!("Durée totale de la mesure : {hours} heures environ. Pendant la mesure, l'intéressé a pu s'alimenter et se reposer. Les repas lui ont été proposés aux heures habituelles."))]));
        let (w, canon) = s.orientation;
        let sp = self.fact(w, vec![("avis_magistrat", Value::text(canon))]);
        b.push(justified(vec![self.t("Sur instructions du parquet : "), sp, Span::plain(".")]));
        b.extend(self.closing(true));
        Draft { kind: Kind::FinGav, title: self.pick(&["PROCÈS-VERBAL DE FIN DE GARDE À VUE", "FIN DE GARDE A VUE"]).to_string(), blocks: b, priority: 2, person: Some(s.suspect.id.clone()), family: None, size: None, pv_header: true }
    }

    pub fn avis_magistrat(&self) -> Draft {
        let s = self.s;
        let at = s.custody.start.add_minutes(self.range(15..90));
        let mut b = self.opening(at, 0);
        b.push(justified(vec![self.t(&format!("Avisons téléphoniquement {} {}, substitut du procureur de la République près le tribunal judiciaire de {}, de la mesure de garde à vue prise à l'encontre de {}.", self.pick(&["Madame", "Monsieur"]), s.magistrate, s.service.tribunal, s.suspect.last_first()))]));
        let mut summary = vec![self.t("Lui rendons compte des faits : ")];
        summary.extend(self.facts_when_where(s.facts));
        summary.push(Span::plain("."));
        b.push(justified(summary));
        if !s.record.is_empty() || self.chance(0.5) {
            let txt = if s.recidive { "L'intéressé se trouve en état de récidive légale" } else { "L'intéressé n'est pas en état de récidive légale" };
            let sp = self.fact(txt, vec![("recidive", Value::yes_no(s.recidive))]);
            b.push(para(vec![sp, Span::plain(".")]));
        }
        let (w, canon) = s.orientation;
        let sp = self.fact(w, vec![("avis_magistrat", Value::text(canon))]);
        b.push(justified(vec![Span::bold("Instructions du magistrat : "), sp, Span::plain(".")]));
        b.extend(self.closing(false));
        Draft { kind: Kind::AvisMagistrat, title: "PROCÈS-VERBAL D'AVIS À MAGISTRAT".into(), blocks: b, priority: 1, person: None, family: None, size: None, pv_header: true }
    }

    pub fn ethylometre(&self) -> Option<Draft> {
        let s = self.s;
        let (rate, unit) = s.details.alcohol?;
        let at = s.details.measure_time?;
        if unit == "g/l" {
            let mut b = vec![Block::title("LABORATOIRE DE BIOLOGIE MÉDICALE", 12.0), Block::title("Résultat d'analyse : alcoolémie", 11.0), Block::Gap(1.0)];
            let when = format!("Prélèvement sanguin effectué {}", self.when(at));
            let sp = self.fact(when, vec![("alcool_heure", Self::date_value(at)), ("alcool_mesure", Value::text("analyse de sang"))]);
            b.push(para(vec![sp, Span::plain(".")]));
            b.push(para(vec![Span::plain(format!("Patient : {}", s.suspect.last_first()))]));
            let r = self.fact(format!("{} g/l", french::decimal(rate, 2)), vec![("alcool_taux", Value::rate(rate, "g/l"))]);
            b.push(para(vec![Span::bold("Taux d'alcool dans le sang : "), r]));
            b.push(para(vec![self.t("Méthode : chromatographie en phase gazeuse.")]));
            return Some(Draft { kind: Kind::AnalyseSanguine, title: "RÉSULTAT D'ANALYSE SANGUINE".into(), blocks: b, priority: 1, person: Some(s.suspect.id.clone()), family: Some(Family::Mono), size: Some(10.0), pv_header: false });
        }
        let first = rate + f64::from(self.range(1..5)) / 100.0;
        let mono = |t: String| Block::Para(Para { spans: vec![Span::plain(t)], align: Align::Left, size: None, family: None, indent: 0.0, space_after: 0.0 });
        let mut b = vec![Block::FrameStart { width: 250.0 }];
        b.push(mono("DRAGER ETHYLOMETRE 7110 FP".into()));
        b.push(mono(format!("N° serie : ARFA-{:04}", self.range(1000..9999))));
        b.push(mono("--------------------------".into()));
        let d = format!("{:02}/{:02}/{}", at.date.day, at.date.month, at.date.year);
        let sp = self.fact(format!("{d} {:02}:{:02}", at.hour, at.minute), vec![("alcool_heure", Self::date_value(at))]);
        b.push(Block::Para(Para { spans: vec![Span::plain("DATE/HEURE : "), sp], align: Align::Left, size: None, family: None, indent: 0.0, space_after: 0.0 }));
        b.push(mono(format!("NOM : {}", s.suspect.last)));
        b.push(mono(format!("MESURE 1 : {} mg/l", french::decimal(first, 2))));
        let r = self.fact(format!("{} mg/l", french::decimal(rate, 2)), vec![("alcool_taux", Value::rate(rate, "mg/l"))]);
        b.push(Block::Para(Para { spans: vec![Span::plain("MESURE 2 : "), r], align: Align::Left, size: None, family: None, indent: 0.0, space_after: 0.0 }));
        b.push(mono("--------------------------".into()));
        b.push(mono("SIGNATURE AGENT".into()));
        b.push(Block::FrameEnd);
        b.push(Block::Gap(1.0));
        let method = self.fact("au moyen de l'éthylomètre", vec![("alcool_mesure", Value::text("éthylomètre"))]);
        b.push(Block::Para(Para { spans: vec![self.t("Vérification de l'état alcoolique effectuée "), method, self.t(" ci-dessus, dûment vérifié. Taux retenu : le plus faible des deux.")], align: Align::Left, size: Some(10.0), family: Some(Family::Mono), indent: 0.0, space_after: 0.5 }));
        Some(Draft { kind: Kind::Ethylometre, title: "TICKET ÉTHYLOMÈTRE".into(), blocks: b, priority: 1, person: Some(s.suspect.id.clone()), family: Some(Family::Mono), size: Some(10.0), pv_header: false })
    }

    pub fn perquisition(&self) -> Option<Draft> {
        let s = self.s;
        if s.seized.is_empty() {
            return None;
        }
        let mut b = self.opening(s.custody.start.add_minutes(200), 0);
        b.push(justified(vec![self.t(&format!("En présence constante de {}, procédons à une perquisition de son domicile sis {}.", s.suspect.last_first(), self.written(&s.suspect.address)))]));
        b.push(Block::heading("Découvrons et saisissons :"));
        let d = &s.details;
        for (n, (kind, _)) in s.seized.iter().enumerate() {
            let item: (String, String) = match *kind {
                "produit stupéfiant" => {
                    let (w, canon) = d.drug.unwrap_or(("résine de cannabis", "résine de cannabis"));
                    let g = d.grams.map(|g| g.0).unwrap_or(10.0);
                    (format!("{} grammes de {w}", french::decimal(g, 1)), format!("{} g de {canon}", french::decimal(g, 1)))
                }
                "numéraire" => {
                    let c = d.cash.unwrap_or(100);
                    (format!("la somme de {} en numéraire", self.amount(f64::from(c))), format!("{c} euros en numéraire"))
                }
                "objet recelé" => {
                    let o = d.receiving.map(|r| r.0).unwrap_or("un téléphone portable");
                    (o.to_string(), o.trim_start_matches("un ").trim_start_matches("une ").to_string())
                }
                other => (format!("un {other}"), other.to_string()),
            };
            let sp = self.fact(item.0, vec![("saisies", Value::text(item.1))]);
            b.push(para(vec![Span::bold(format!("Scellé n° {} : ", n + 1)), sp, Span::plain(".")]));
        }
        if s.has("stupefiants") {
            if let (Some((grams, _)), Some((w, canon))) = (d.grams, d.drug) {
                let q = self.fact(format!("{} grammes", french::decimal(grams, 1)), vec![("stup_quantite", Value::rate(grams, "g"))]);
                let sub = self.fact(w, vec![("stup_substance", Value::text(canon))]);
                b.push(justified(vec![self.t("La pesée effectuée au service donne un poids net de "), q, self.t(". Le test rapide est positif : "), sub, Span::plain(".")]));
                if let Some((_, inv)) = d.destination {
                    let txt = if inv == "revente" { "Le conditionnement en sachets individuels et la présence d'une balance de précision laissent supposer une activité de revente" } else { "Les quantités découvertes sont compatibles avec un usage personnel" };
                    let sp = self.fact(txt, vec![("stup_destination", Value::text(inv))]);
                    b.push(justified(vec![sp, Span::plain(".")]));
                }
            }
        }
        if let Some((obj, origin, canon)) = d.receiving {
            let o = self.fact(obj, vec![("recel_objet", Value::text(obj.trim_start_matches("un ").trim_start_matches("une ")))]);
            let g = self.fact(origin, vec![("recel_origine", Value::text(canon))]);
            b.push(justified(vec![self.t("Les vérifications révèlent que "), o, self.t(" provient d'"), g, self.t(" ayant fait l'objet d'une plainte.")]));
        }
        b.extend(self.closing(true));
        Some(Draft { kind: Kind::PerquisitionSaisie, title: self.pick(&["PROCÈS-VERBAL DE PERQUISITION ET DE SAISIE", "PERQUISITION - SAISIE - PLACEMENT SOUS SCELLÉS"]).to_string(), blocks: b, priority: 2, person: Some(s.suspect.id.clone()), family: None, size: None, pv_header: true })
    }

    pub fn requisition(&self) -> (Draft, Draft) {
        let s = self.s;
        let target = self.pick(&["la société ORANGE, service des obligations légales", "la société SFR, service des réquisitions judiciaires", "la BANQUE POPULAIRE, service juridique", "le centre hospitalier intercommunal"]);
        let at = s.complaint_date.add_minutes(60 * 24 * self.range(1..10));
        let mut b = self.opening(at, 0);
        b.push(justified(vec![self.t(&format!("Vu les articles 60-1, 77-1-1 et 99-3 du Code de procédure pénale, requérons {target} de bien vouloir nous communiquer les éléments suivants :"))]));
        b.push(para(vec![self.t(&format!("- l'identité du titulaire de la ligne {} et la liste des appels entrants et sortants du {} au {} ;", s.suspect.phone, self.date_numeric(s.facts.date.add_days(-30)), self.date_numeric(s.facts.date)))]));
        b.push(para(vec![self.t("- tout document utile à la manifestation de la vérité.")]));
        b.push(para(vec![self.t("Les informations seront adressées par voie électronique à l'adresse du service.")]));
        b.extend(self.closing(false));
        let req = Draft { kind: Kind::Requisition, title: "RÉQUISITION JUDICIAIRE".into(), blocks: b, priority: 3, person: None, family: None, size: None, pv_header: true };
        let mut r = vec![Block::title("RÉPONSE À RÉQUISITION JUDICIAIRE", 12.0), Block::Gap(0.5)];
        r.push(justified(vec![self.t(&format!("En réponse à votre réquisition du {}, nous vous informons que la ligne {} est attribuée à {} {}, domicilié(e) {}.", self.date_numeric(at.date), s.suspect.phone, s.suspect.civility(), s.suspect.last_first(), self.written(&s.suspect.address)))]));
        r.push(para(vec![self.t("Vous trouverez en annexe le détail des communications demandées.")]));
        r.push(Block::Gap(1.0));
        r.push(Block::Row { cells: vec![(260.0, vec![Span::plain("Le service des obligations légales")])], size: None, family: None, rule_below: false });
        let resp = Draft { kind: Kind::ReponseRequisition, title: "RÉPONSE À RÉQUISITION".into(), blocks: r, priority: 3, person: None, family: Some(Family::Mono), size: Some(9.5), pv_header: false };
        (req, resp)
    }

    pub fn casier(&self) -> Draft {
        let s = self.s;
        let sus = s.suspect.clone();
        let mut b = vec![
            Block::title("RÉPUBLIQUE FRANÇAISE", 11.0),
            Block::title("CASIER JUDICIAIRE NATIONAL", 12.0),
            Block::title("BULLETIN N° 1", 12.0),
            Block::Gap(0.5),
        ];
        let name = self.fact(sus.last_first(), vec![("mec_identite", Self::person_value(&sus))]);
        b.push(para(vec![Span::plain("Nom Prénom : "), name]));
        let birth = self.date_numeric(sus.birth);
        let birth = self.fact(birth, vec![("mec_naissance", Value::Date { value: sus.birth.iso() })]);
        b.push(para(vec![Span::plain("Date de naissance : "), birth, Span::plain(format!(" à {}", sus.birth_place()))]));
        b.push(Block::Rule);
        let n = s.record.len() as u64;
        if n == 0 {
            let sp = self.fact("NÉANT", vec![("casier_condamnations", Value::count(0))]);
            b.push(para(vec![Span::plain("Condamnations : "), sp]));
        } else {
            let sp = self.fact(format!("{n} condamnation(s)"), vec![("casier_condamnations", Value::count(n))]);
            b.push(para(vec![Span::plain("Relevé : "), sp]));
            for (i, c) in s.record.clone().iter().enumerate() {
                b.push(Block::Gap(0.3));
                b.push(para(vec![Span::bold(format!("Condamnation n° {}", i + 1))]));
                b.push(para(vec![Span::plain(format!("Date : {}   Juridiction : {}", self.date_numeric(c.date), c.court))]));
                b.push(para(vec![Span::plain(format!("Nature de l'infraction : {}", c.offence))]));
                b.push(para(vec![Span::plain(format!("Peine prononcée : {}", c.sentence))]));
            }
        }
        Draft { kind: Kind::CasierB1, title: "BULLETIN N° 1 DU CASIER JUDICIAIRE".into(), blocks: b, priority: 2, person: Some(sus.id.clone()), family: Some(Family::Mono), size: Some(9.5), pv_header: false }
    }

    pub fn synthese(&self) -> Draft {
        let s = self.s;
        let sus = s.suspect.clone();
        let mut b = vec![Block::title("RAPPORT DE SYNTHÈSE", 14.0), Block::Gap(0.5)];
        b.push(Block::heading("1. LES FAITS"));
        let mut spans = vec![self.t("Les faits se sont déroulés ")];
        spans.extend(self.facts_when_where(s.facts));
        spans.push(Span::plain(". "));
        spans.push(self.t(&format!("Ils sont qualifiés de : {}.", s.categories.iter().map(|c| crate::taxonomy::domain().category(c).map(|c| c.label.to_lowercase()).unwrap_or_default()).collect::<Vec<_>>().join(", "))));
        b.push(justified(spans));
        b.push(Block::heading("2. LES INVESTIGATIONS"));
        if !s.witnesses.is_empty() {
            let n = s.witnesses.len() as u64;
            let sp = self.fact(format!("{} témoin(s)", self.count(n)), vec![("temoins_nombre", Value::count(n))]);
            b.push(justified(vec![self.t("Au cours de l'enquête, "), sp, self.t(" ont été entendus.")]));
        }
        b.push(justified(vec![self.t("Les réquisitions adressées aux opérateurs ont permis d'identifier la ligne utilisée par le mis en cause.")]));
        b.push(Block::heading("3. LE MIS EN CAUSE"));
        let name = self.fact(format!("{} {}", sus.last, sus.first), vec![("mec_identite", Self::person_value(&sus))]);
        let adm = self.admission_answer_synthesis(s.admission);
        b.push(justified(vec![name, self.t(&format!(", {} ans, ", sus.birth.age_on(s.facts.date))), adm, Span::plain(".")]));
        let txt = if s.recidive { "Il est en état de récidive légale" } else { "Il n'est pas en état de récidive légale" };
        if s.recidive || self.chance(0.5) {
            let sp = self.fact(txt, vec![("recidive", Value::yes_no(s.recidive))]);
            b.push(para(vec![sp, Span::plain(".")]));
        }
        b.push(Block::heading("4. SUITES"));
        let (w, canon) = s.orientation;
        let sp = self.fact(w, vec![("avis_magistrat", Value::text(canon))]);
        b.push(justified(vec![self.t(&format!("Conformément aux instructions de {}, substitut : ", s.magistrate)), sp, Span::plain(".")]));
        b.extend(self.closing(false));
        Draft { kind: Kind::RapportSynthese, title: "RAPPORT DE SYNTHÈSE".into(), blocks: b, priority: 3, person: None, family: None, size: None, pv_header: true }
    }

    fn admission_answer_synthesis(&self, a: Admission) -> Span {
        let text = match a {
            Admission::Admits => "reconnaît les faits",
            Admission::Denies => "conteste les faits",
            Admission::Partial => "reconnaît partiellement les faits",
            Admission::Silent => "a fait usage de son droit au silence",
        };
        self.fact(text, vec![("reconnaissance", Value::text(a.canonical()))])
    }

    /// A filler annex of exactly `pages` pages with `rows_per_page` rows each.
    pub fn filler(&self, kind: Kind, pages: usize, rows_per_page: usize) -> Draft {
        let s = self.s;
        let mut b = Vec::new();
        let title = match kind {
            Kind::AnnexePhotographique => "PLANCHE PHOTOGRAPHIQUE",
            Kind::ListingTelephonique => "ANNEXE : DÉTAIL DES COMMUNICATIONS (FADETTES)",
            _ => "ANNEXE : RELEVÉ DE COMPTE BANCAIRE",
        };
        let mut clock = s.facts.add_minutes(-60 * 24 * 30);
        let mut balance: i64 = self.range(-500..3000);
        for p in 0..pages {
            if p > 0 {
                b.push(Block::PageBreak);
            }
            b.push(Block::heading(format!("{title} — feuillet {}/{}", p + 1, pages)));
            match kind {
                Kind::AnnexePhotographique => {
                    for k in 0..rows_per_page.min(4) {
                        b.push(Block::FrameStart { width: 420.0 });
                        b.push(Block::Gap(5.0));
                        b.push(Block::text(format!("Cliché n° {} : {}", p * 4 + k + 1, self.pick(&["vue d'ensemble des lieux", "détail de la serrure", "vue du véhicule", "objets saisis", "traces relevées au sol", "vue de la cage d'escalier"]))));
                        b.push(Block::FrameEnd);
                    }
                }
                Kind::ListingTelephonique => {
                    b.push(Block::Row { cells: header_cells(&["Date", "Heure", "Type", "Correspondant", "Durée", "Relais"]), size: Some(8.0), family: Some(Family::Mono), rule_below: true });
                    for _ in 0..rows_per_page {
                        clock = clock.add_minutes(self.range(3..400));
                        let row = [
                            format!("{:02}/{:02}/{}", clock.date.day, clock.date.month, clock.date.year),
                            format!("{:02}:{:02}:{:02}", clock.hour, clock.minute, self.range(0..60)),
                            self.pick(&["APPEL SORTANT", "APPEL ENTRANT", "SMS SORTANT", "SMS ENTRANT", "DATA"]).to_string(),
                            format!("33{}", self.range(600_000_000u64..799_999_999)),
                            format!("{}", self.range(0..900)),
                            format!("{}-{}", s.service.dept, self.range(10_000..99_999)),
                        ];
                        b.push(Block::Row { cells: cells(&row), size: Some(8.0), family: Some(Family::Mono), rule_below: false });
                    }
                }
                _ => {
                    b.push(Block::Row { cells: header_cells(&["Date", "Libellé", "Débit", "Crédit", "Solde"]), size: Some(8.0), family: Some(Family::Mono), rule_below: true });
                    for _ in 0..rows_per_page {
                        clock = clock.add_minutes(self.range(60..3000));
                        let amount = self.range(1..400) as i64;
                        let credit = self.chance(0.2);
                        balance += if credit { amount * 5 } else { -amount };
                        let label = self.pick(&["CB CARREFOUR", "PRLV SEPA EDF", "VIR SALAIRE", "RETRAIT DAB", "CB SNCF", "PRLV FREE MOBILE", "CB PHARMACIE", "VIR INSTANTANE"]).to_string();
                        let row = [
                            format!("{:02}/{:02}/{}", clock.date.day, clock.date.month, clock.date.year),
                            label,
                            if credit { String::new() } else { french::decimal(amount as f64, 2) },
                            if credit { french::decimal((amount * 5) as f64, 2) } else { String::new() },
                            french::decimal(balance as f64, 2),
                        ];
                        b.push(Block::Row { cells: cells(&row), size: Some(8.0), family: Some(Family::Mono), rule_below: false });
                    }
                }
            }
        }
        Draft { kind, title: title.into(), blocks: b, priority: 9, person: None, family: None, size: None, pv_header: false }
    }
}

fn header_cells(labels: &[&str]) -> Vec<(f32, Vec<Span>)> {
    let offsets = offsets(labels.len());
    labels.iter().zip(offsets).map(|(l, o)| (o, vec![Span::bold(*l)])).collect()
}

fn offsets(n: usize) -> Vec<f32> {
    match n {
        6 => vec![0.0, 60.0, 115.0, 200.0, 300.0, 350.0],
        _ => vec![0.0, 60.0, 220.0, 300.0, 380.0],
    }
}

fn cells(values: &[String]) -> Vec<(f32, Vec<Span>)> {
    values.iter().zip(offsets(values.len())).filter(|(v, _)| !v.is_empty()).map(|(v, o)| (o, vec![Span::plain(v.clone())])).collect()
}

