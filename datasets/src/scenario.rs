//! The story of one dossier, drawn before any text is written: who, when, where, which
//! offences, what the investigation found. Pieces are then written from it, so that every
//! mention of a name, a date or an amount agrees with every other, except where the story says
//! two statements disagree.
//!
//! Identities are fictional: common French first and last names combined at random, addresses
//! on generic street names. Any resemblance to a real person is chance.

use rand::Rng as _;

use crate::french::{Date, DateTime, Rng, chance, pick};

const MALE: &[&str] = &[
    "Kevin", "Thomas", "Nicolas", "Julien", "Mehdi", "Karim", "Alexandre", "Maxime", "Yanis", "Lucas", "Sébastien", "Jérôme",
    "Mamadou", "Anthony", "Rayan", "Hugo", "Bilal", "Christophe", "Dylan", "Florian", "Mohamed", "Loïc", "Adrien", "Grégory",
    "François", "Cédric", "Théo", "Jordan", "Samir", "Ibrahima", "Stéphane", "Benoît",
];
const FEMALE: &[&str] = &[
    "Sarah", "Julie", "Laura", "Camille", "Inès", "Nadia", "Émilie", "Céline", "Aurélie", "Fatoumata", "Manon", "Léa",
    "Sandrine", "Chloé", "Yasmine", "Marie", "Amandine", "Sophie", "Océane", "Hélène", "Aïcha", "Noémie", "Élodie", "Justine",
    "Françoise", "Clémence", "Maëlle", "Nathalie",
];
const LAST: &[&str] = &[
    "MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY", "MOREAU", "SIMON", "LAURENT",
    "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX", "VINCENT", "FOURNIER", "MOREL", "GIRARD", "ANDRÉ", "MERCIER",
    "DUPONT", "LAMBERT", "BONNET", "FRANÇOIS", "MARTINEZ", "LEGRAND", "GARNIER", "FAURE", "ROUSSEL", "BLANC", "GUÉRIN",
    "MULLER", "HENRY", "ROUSSEAU", "NICOLAS", "PERRIN", "MORIN", "MATHIEU", "CLÉMENT", "GAUTHIER", "DUMONT", "LOPEZ",
    "FONTAINE", "CHEVALIER", "ROBIN", "MASSON", "SANCHEZ", "BENALI", "DIALLO", "TRAORÉ", "HADDAD", "NGUYEN", "KONATÉ",
    "BOUZID", "LEMAIRE", "CARPENTIER", "BRUNET", "BARBIER", "ARNAUD", "CŒUR", "BŒUF", "LESŒUR",
];
/// Towns of the Cour d'appel de Paris: (name, postal code, département).
const TOWNS: &[(&str, &str, &str)] = &[
    ("Créteil", "94000", "94"),
    ("Vitry-sur-Seine", "94400", "94"),
    ("Ivry-sur-Seine", "94200", "94"),
    ("Champigny-sur-Marne", "94500", "94"),
    ("Villejuif", "94800", "94"),
    ("Bobigny", "93000", "93"),
    ("Montreuil", "93100", "93"),
    ("Saint-Denis", "93200", "93"),
    ("Aubervilliers", "93300", "93"),
    ("Aulnay-sous-Bois", "93600", "93"),
    ("Évry-Courcouronnes", "91000", "91"),
    ("Corbeil-Essonnes", "91100", "91"),
    ("Massy", "91300", "91"),
    ("Meaux", "77100", "77"),
    ("Melun", "77000", "77"),
    ("Chelles", "77500", "77"),
    ("Fontainebleau", "77300", "77"),
    ("Auxerre", "89000", "89"),
    ("Sens", "89100", "89"),
    ("Paris 11e", "75011", "75"),
    ("Paris 18e", "75018", "75"),
    ("Paris 20e", "75020", "75"),
];
const STREETS: &[&str] = &[
    "rue de la République", "avenue du Général de Gaulle", "rue Victor Hugo", "boulevard Jean Jaurès", "rue Pasteur",
    "allée des Tilleuls", "place de la Mairie", "rue Émile Zola", "avenue Gambetta", "rue des Écoles", "chemin des Vignes",
    "rue de Paris", "rue Jean Moulin", "avenue de la Résistance", "rue du Moulin", "impasse des Lilas", "rue Paul Vaillant-Couturier",
    "cours Mirabeau", "rue de l'Église", "quai de la Marne",
];
const JOBS: &[&str] = &[
    "livreur", "sans emploi", "agent de sécurité", "étudiant", "chauffeur VTC", "intérimaire dans le bâtiment", "cuisinier",
    "vendeur", "aide-soignant", "plombier", "magasinier", "serveur", "mécanicien", "employé de mairie", "chauffeur-livreur",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    M,
    F,
}

/// A fictional person.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: String,
    pub role: &'static str,
    pub sex: Sex,
    pub first: String,
    pub last: String,
    pub birth: Date,
    pub birth_town: (&'static str, &'static str),
    pub address: Address,
    pub job: &'static str,
    pub phone: String,
}

impl Person {
    pub fn civility(&self) -> &'static str {
        if self.sex == Sex::M { "Monsieur" } else { "Madame" }
    }
    pub fn short_civility(&self) -> &'static str {
        if self.sex == Sex::M { "M." } else { "Mme" }
    }
    /// "né" / "née".
    pub fn ne(&self) -> &'static str {
        if self.sex == Sex::M { "né" } else { "née" }
    }
    pub fn e(&self) -> &'static str {
        if self.sex == Sex::M { "" } else { "e" }
    }
    /// "DUPONT Kevin".
    pub fn last_first(&self) -> String {
        format!("{} {}", self.last, self.first)
    }
    /// "Kevin DUPONT".
    pub fn first_last(&self) -> String {
        format!("{} {}", self.first, self.last)
    }
    /// "Créteil (94)".
    pub fn birth_place(&self) -> String {
        format!("{} ({})", self.birth_town.0, self.birth_town.1)
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    pub number: u32,
    pub street: &'static str,
    pub town: &'static str,
    pub postcode: &'static str,
}

impl Address {
    /// Canonical form used in gold values: "12 rue Pasteur, 94000 Créteil".
    pub fn canonical(&self) -> String {
        format!("{} {}, {} {}", self.number, self.street, self.postcode, self.town)
    }
    pub fn written(&self, rng: &mut Rng) -> String {
        match rng.random_range(0..3) {
            0 => format!("{} {} à {}", self.number, self.street, self.town),
            1 => format!("{} {}, {} {}", self.number, self.street, self.postcode, self.town),
            _ => format!("{} {} {} {}", self.number, self.street, self.postcode, self.town.to_uppercase()),
        }
    }
}

/// An investigator.
#[derive(Debug, Clone, PartialEq)]
pub struct Officer {
    pub grade: &'static str,
    pub first: String,
    pub last: String,
    /// "Officier de police judiciaire" or "Agent de police judiciaire".
    pub quality: &'static str,
    pub matricule: String,
}

/// Police or gendarmerie unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub gendarmerie: bool,
    pub name: String,
    pub town: &'static str,
    pub dept: &'static str,
    pub tribunal: &'static str,
}

/// How the suspect answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admits,
    Denies,
    Partial,
    Silent,
}

impl Admission {
    pub fn canonical(self) -> &'static str {
        match self {
            Admission::Admits => "reconnaît les faits",
            Admission::Denies => "conteste les faits",
            Admission::Partial => "reconnaît partiellement les faits",
            Admission::Silent => "garde le silence",
        }
    }
}

/// A prior conviction on the B1.
#[derive(Debug, Clone, PartialEq)]
pub struct Conviction {
    pub date: Date,
    pub court: String,
    pub offence: &'static str,
    pub sentence: String,
}

/// Custody.
#[derive(Debug, Clone, PartialEq)]
pub struct Custody {
    pub start: DateTime,
    pub end: DateTime,
    pub extended: bool,
    pub lawyer: bool,
    pub doctor: bool,
    pub notify_relative: bool,
}

/// Facts specific to the categories of the dossier; only those of its categories are set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Details {
    /// vol: (object, value) stolen; break-in; number of authors as told by victim and witness.
    pub stolen: Vec<(&'static str, u32)>,
    pub break_in: Option<bool>,
    pub authors: Option<(u64, u64)>,
    /// violences: ITT days (first certificate, and an expert re-examination when it differs).
    pub itt: Option<(u32, Option<u32>)>,
    pub weapon: Option<&'static str>,
    pub relation: Option<&'static str>,
    pub minors_present: Option<bool>,
    /// violences conjugales.
    pub previous_complaints: Option<u64>,
    pub wish: Option<(&'static str, &'static str)>,
    pub protection: Option<(&'static str, &'static str)>,
    /// menaces: words, repeated, death threat.
    pub threat_words: Option<&'static str>,
    pub threat_repeated: Option<bool>,
    pub death_threat: bool,
    /// harcèlement.
    pub messages: Option<u64>,
    pub period_months: Option<u32>,
    pub harassment_means: Option<(&'static str, &'static str)>,
    /// agression sexuelle.
    pub victim_age: Option<u64>,
    pub gestures: Option<(&'static str, &'static str)>,
    pub constraint: Option<(&'static str, &'static str)>,
    /// stupéfiants: substance (written, canonical), grams weighed, grams estimated at arrest,
    /// cash, destination (suspect's, investigator's).
    pub drug: Option<(&'static str, &'static str)>,
    pub grams: Option<(f64, Option<f64>)>,
    pub cash: Option<u32>,
    pub destination: Option<(&'static str, &'static str)>,
    /// alcool: rate and unit, measure method, time, accident.
    pub alcohol: Option<(f64, &'static str)>,
    pub measure: Option<&'static str>,
    pub measure_time: Option<DateTime>,
    pub accident: Option<bool>,
    /// refus d'obtempérer.
    pub flight: Option<(&'static str, &'static str)>,
    pub danger: Option<bool>,
    /// conduite sans permis: (written, canonical).
    pub licence: Option<(&'static str, &'static str)>,
    /// outrage: words, officers targeted, injured.
    pub insult: Option<&'static str>,
    pub officers_targeted: Option<u64>,
    pub officer_injured: Option<bool>,
    /// escroquerie: amount, method (written, canonical).
    pub fraud: Option<(u32, &'static str, &'static str)>,
    /// abus de confiance.
    pub breach: Option<(u32, &'static str, &'static str)>,
    /// dégradations.
    pub damage: Option<(&'static str, u32)>,
    /// recel.
    pub receiving: Option<(&'static str, &'static str, &'static str)>,
}

/// Orientation given by the parquet at the end of custody (written, canonical).
pub const ORIENTATIONS: &[(&str, &str)] = &[
    ("remise en liberté et convocation par OPJ devant le tribunal correctionnel", "convocation par OPJ"),
    ("déferrement au parquet en vue d'une comparution immédiate", "comparution immédiate"),
    ("déferrement en vue d'une comparution sur reconnaissance préalable de culpabilité", "CRPC"),
    ("remise en liberté, la procédure étant orientée vers une ordonnance pénale", "ordonnance pénale"),
    ("remise en liberté et convocation devant le délégué du procureur pour une composition pénale", "composition pénale"),
    ("remise en liberté, classement sans suite après rappel à la loi", "classement sans suite"),
    ("prolongation de la garde à vue et poursuite des investigations", "poursuite de l'enquête"),
];

/// The whole story of a dossier.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub id: String,
    pub service: Service,
    pub officers: Vec<Officer>,
    pub suspect: Person,
    pub victim: Option<Person>,
    pub witnesses: Vec<Person>,
    pub facts: DateTime,
    /// A witness who remembers another time for the facts.
    pub witness_time: Option<DateTime>,
    pub place: Address,
    pub place_kind: &'static str,
    pub categories: Vec<String>,
    pub aggravating: Vec<(String, String)>,
    pub details: Details,
    pub custody: Custody,
    pub admission: Admission,
    /// A second hearing where the suspect changes his account.
    pub second_admission: Option<Admission>,
    pub record: Vec<Conviction>,
    pub recidive: bool,
    pub seized: Vec<(&'static str, &'static str)>,
    pub damages: Option<u32>,
    /// A later statement of the victim with another amount.
    pub damages_revised: Option<u32>,
    pub civil_party: Option<bool>,
    pub orientation: (&'static str, &'static str),
    pub magistrate: String,
    pub complaint_date: DateTime,
    pub procedure_number: String,
}

/// Categories a dossier can combine with its main one (mass litigation comes in clusters).
fn companions(main: &str) -> &'static [&'static str] {
    match main {
        "alcool_stupefiants_volant" => &["conduite_sans_permis", "refus_obtemperer", "outrage_rebellion"],
        "conduite_sans_permis" => &["alcool_stupefiants_volant", "refus_obtemperer"],
        "refus_obtemperer" => &["conduite_sans_permis", "alcool_stupefiants_volant", "stupefiants", "outrage_rebellion"],
        "vol" => &["degradations", "violences", "recel"],
        "violences" => &["menaces", "outrage_rebellion", "degradations"],
        "violences_conjugales" => &["menaces", "harcelement", "degradations"],
        "menaces" => &["harcelement", "violences"],
        "harcelement" => &["menaces"],
        "agression_sexuelle" => &["harcelement"],
        "stupefiants" => &["outrage_rebellion", "refus_obtemperer"],
        "outrage_rebellion" => &["violences", "menaces"],
        "escroquerie" => &["abus_de_confiance"],
        "abus_de_confiance" => &["escroquerie"],
        "degradations" => &["menaces", "vol"],
        "recel" => &["vol", "conduite_sans_permis"],
        _ => &[],
    }
}

pub const CATEGORIES: &[&str] = &[
    "vol",
    "violences",
    "violences_conjugales",
    "menaces",
    "harcelement",
    "agression_sexuelle",
    "stupefiants",
    "alcool_stupefiants_volant",
    "refus_obtemperer",
    "conduite_sans_permis",
    "outrage_rebellion",
    "escroquerie",
    "abus_de_confiance",
    "degradations",
    "recel",
];

/// Categories where there is no individual victim to hear.
pub fn victimless(categories: &[String]) -> bool {
    categories.iter().all(|c| {
        matches!(
            c.as_str(),
            "stupefiants" | "alcool_stupefiants_volant" | "refus_obtemperer" | "conduite_sans_permis" | "outrage_rebellion" | "recel"
        )
    })
}

fn person(rng: &mut Rng, id: &str, role: &'static str, sex: Sex, age: std::ops::Range<i32>, on: Date) -> Person {
    let first = pick(rng, if sex == Sex::M { MALE } else { FEMALE }).to_string();
    let last = pick(rng, LAST).to_string();
    let years = rng.random_range(age);
    let birth = Date::new(on.year - years, rng.random_range(1..=12), rng.random_range(1..=28));
    let birth_town = *pick(rng, TOWNS);
    let home = *pick(rng, TOWNS);
    Person {
        id: id.into(),
        role,
        sex,
        first,
        last,
        birth,
        birth_town: (birth_town.0, birth_town.2),
        address: Address { number: rng.random_range(1..140), street: *pick(rng, STREETS), town: home.0, postcode: home.1 },
        job: *pick(rng, JOBS),
        phone: format!("06 {:02} {:02} {:02} {:02}", rng.random_range(0..100), rng.random_range(0..100), rng.random_range(0..100), rng.random_range(0..100)),
    }
}

fn officer(rng: &mut Rng, gendarmerie: bool, opj: bool) -> Officer {
    let sex = if chance(rng, 0.3) { Sex::F } else { Sex::M };
    let grade = match (gendarmerie, opj) {
        (false, true) => *pick(rng, &["Brigadier-chef de police", "Lieutenant de police", "Capitaine de police", "Brigadier de police"]),
        (false, false) => *pick(rng, &["Gardien de la paix", "Gardien de la paix stagiaire", "Sous-brigadier de police"]),
        (true, true) => *pick(rng, &["Adjudant", "Maréchal des logis-chef", "Adjudant-chef", "Lieutenant"]),
        (true, false) => *pick(rng, &["Gendarme", "Maréchal des logis", "Gendarme adjoint volontaire"]),
    };
    Officer {
        grade,
        first: pick(rng, if sex == Sex::M { MALE } else { FEMALE }).to_string(),
        last: pick(rng, LAST).to_string(),
        quality: if opj { "Officier de police judiciaire" } else { "Agent de police judiciaire" },
        matricule: format!("{}", rng.random_range(100_000..999_999)),
    }
}

/// Draw the story of dossier `id`.
pub fn draw(rng: &mut Rng, id: &str) -> Scenario {
    let main = *pick(rng, CATEGORIES);
    let mut categories = vec![main.to_string()];
    let extra = rng.random_range(0..=2usize);
    for _ in 0..extra {
        let options = companions(main);
        if options.is_empty() || chance(rng, 0.35) {
            continue;
        }
        let c = pick(rng, options).to_string();
        if !categories.contains(&c) {
            categories.push(c);
        }
    }
    let has = |c: &str| categories.iter().any(|x| x == c);

    let year = rng.random_range(2021..=2025);
    let date = Date::new(year, rng.random_range(1..=12), rng.random_range(1..=28));
    let facts = DateTime { date, hour: *pick(rng, &[1, 2, 3, 8, 11, 14, 16, 17, 18, 19, 20, 21, 22, 23]), minute: *pick(rng, &[0, 5, 10, 15, 20, 30, 40, 45, 50]) };
    let town = *pick(rng, TOWNS);
    let gendarmerie = town.2 == "77" || town.2 == "89" || (town.2 == "91" && chance(rng, 0.4));
    let tribunal = match town.2 {
        "94" => "Créteil",
        "93" => "Bobigny",
        "91" => "Évry",
        "77" => *pick(rng, &["Meaux", "Melun", "Fontainebleau"]),
        "89" => *pick(rng, &["Auxerre", "Sens"]),
        _ => "Paris",
    };
    let service = if gendarmerie {
        Service {
            gendarmerie,
            name: format!("Brigade territoriale autonome de {}", town.0),
            town: town.0,
            dept: town.2,
            tribunal,
        }
    } else {
        Service {
            gendarmerie,
            name: format!("Commissariat de police de {}", town.0),
            town: town.0,
            dept: town.2,
            tribunal,
        }
    };
    let officers = vec![officer(rng, gendarmerie, true), officer(rng, gendarmerie, false), { let c = chance(rng, 0.5); officer(rng, gendarmerie, c) }];

    let conjugal = has("violences_conjugales");
    let suspect_sex = if conjugal || has("agression_sexuelle") || chance(rng, 0.8) { Sex::M } else { Sex::F };
    let mut suspect = person(rng, "mec1", "mis_en_cause", suspect_sex, 18..55, date);
    suspect.address.town = town.0;
    suspect.address.postcode = town.1;
    let victim = if victimless(&categories) {
        None
    } else {
        let sex = if conjugal || has("agression_sexuelle") { Sex::F } else if chance(rng, 0.5) { Sex::M } else { Sex::F };
        let age = if has("agression_sexuelle") && chance(rng, 0.4) { 14..18 } else { 19..75 };
        let mut v = person(rng, "vic1", "victime", sex, age, date);
        if conjugal {
            v.last = suspect.last.clone();
            v.address = suspect.address.clone();
        }
        Some(v)
    };
    let n_witnesses = if chance(rng, 0.3) { 0 } else { rng.random_range(1..=3) };
    let witnesses: Vec<Person> = (0..n_witnesses)
        .map(|i| {
            let sex = if chance(rng, 0.5) { Sex::M } else { Sex::F };
            person(rng, &format!("tem{}", i + 1), "temoin", sex, 18..80, date)
        })
        .collect();
    let witness_time = (!witnesses.is_empty() && chance(rng, 0.25)).then(|| facts.add_minutes(*pick(rng, &[-45, -30, 20, 30, 60])));

    let place_kind = if conjugal {
        "au domicile conjugal"
    } else if has("alcool_stupefiants_volant") || has("refus_obtemperer") || has("conduite_sans_permis") {
        "sur la voie publique, au volant d'un véhicule"
    } else {
        *pick(rng, &["sur la voie publique", "dans un commerce", "dans le hall d'un immeuble", "à la gare", "devant un bar", "au domicile de la victime"])
    };
    let place = Address { number: rng.random_range(1..200), street: *pick(rng, STREETS), town: town.0, postcode: town.1 };

    let mut details = Details::default();
    let mut aggravating = Vec::new();
    let mut seized: Vec<(&'static str, &'static str)> = Vec::new();
    let mut damages = None;
    for c in &categories {
        match c.as_str() {
            "vol" => {
                let pool: &[(&str, u32)] = &[
                    ("un téléphone portable Samsung Galaxy", 650),
                    ("un téléphone portable iPhone 13", 890),
                    ("un sac à main en cuir", 180),
                    ("un portefeuille contenant 60 euros", 90),
                    ("une montre Festina", 240),
                    ("un ordinateur portable Lenovo", 720),
                    ("une paire d'écouteurs sans fil", 150),
                    ("une trottinette électrique", 430),
                    ("des bijoux en or", 1_200),
                    ("une console de jeux", 480),
                    ("un vélo à assistance électrique", 1_650),
                    ("des outils de chantier", 980),
                ];
                let n = rng.random_range(1..=3);
                let mut stolen = Vec::new();
                while stolen.len() < n {
                    let it = *pick(rng, pool);
                    if !stolen.contains(&it) {
                        stolen.push(it);
                    }
                }
                details.stolen = stolen;
                details.break_in = Some(chance(rng, 0.4));
                let a = rng.random_range(1..=3);
                details.authors = Some((a, if chance(rng, 0.25) { a + 1 } else { a }));
                if a > 1 {
                    aggravating.push(("vol".into(), "reunion".into()));
                }
                if details.break_in == Some(true) {
                    aggravating.push(("vol".into(), "local_habitation".into()));
                }
                damages = Some(details.stolen.iter().map(|s| s.1).sum());
            }
            "violences" | "violences_conjugales" => {
                let itt = *pick(rng, &[0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 21]);
                let second = chance(rng, 0.2).then(|| itt + *pick(rng, &[2, 3, 5]));
                details.itt = Some((itt, second));
                details.weapon = Some(*pick(rng, &["à mains nues", "une bouteille en verre", "un couteau de cuisine", "une ceinture", "un casque de moto", "une barre de fer"]));
                if details.weapon != Some("à mains nues") {
                    aggravating.push((c.clone(), "arme".into()));
                }
                details.minors_present = Some(chance(rng, 0.4));
                if c == "violences" {
                    details.relation = Some(*pick(rng, &["inconnu", "voisin", "collègue de travail", "ancien ami", "client"]));
                    if chance(rng, 0.3) {
                        aggravating.push((c.clone(), "ivresse".into()));
                    }
                } else {
                    aggravating.push((c.clone(), "conjoint".into()));
                    details.relation = Some(*pick(rng, &["conjoint", "concubin", "partenaire de PACS"]));
                    details.previous_complaints = Some(*pick(rng, &[0, 0, 1, 2, 3]));
                    details.wish = Some(*pick(rng, &[
                        ("Je veux qu'il quitte le domicile", "éviction du conjoint du domicile"),
                        ("Je veux simplement qu'il se soigne", "soins pour le conjoint"),
                        ("Je souhaite que la justice le punisse", "poursuites pénales"),
                        ("Je ne veux pas qu'il aille en prison", "pas d'incarcération"),
                    ]));
                    details.protection = Some(*pick(rng, &[
                        ("je sollicite une ordonnance de protection", "ordonnance de protection"),
                        ("je demande à bénéficier d'un téléphone grave danger", "téléphone grave danger"),
                        ("je souhaite être relogée en urgence", "relogement d'urgence"),
                        ("je demande une interdiction de contact", "interdiction de contact"),
                    ]));
                }
                damages = damages.or(chance(rng, 0.5).then(|| rng.random_range(2..40) * 50));
            }
            "menaces" => {
                let (words, death) = *pick(rng, &[
                    ("Je vais te crever", true),
                    ("Je vais te tuer, tu es mort", true),
                    ("Je vais brûler ta voiture", false),
                    ("Tu vas le regretter, je sais où tu habites", false),
                    ("Je vais te planter", true),
                    ("Je vais m'occuper de ta famille", false),
                ]);
                details.threat_words = Some(words);
                details.death_threat = death;
                details.threat_repeated = Some(chance(rng, 0.5));
                if death {
                    aggravating.push(("menaces".into(), "menace_de_mort".into()));
                }
            }
            "harcelement" => {
                details.messages = Some(rng.random_range(15..400));
                details.period_months = Some(rng.random_range(1..=12));
                details.harassment_means = Some(*pick(rng, &[
                    ("par SMS et par appels téléphoniques", "SMS et appels téléphoniques"),
                    ("sur Instagram et Snapchat", "réseaux sociaux"),
                    ("par courriels et messages vocaux", "courriels et messages vocaux"),
                    ("par des messages sur WhatsApp", "messagerie WhatsApp"),
                ]));
                if details.harassment_means.is_some_and(|m| m.1 == "réseaux sociaux") {
                    aggravating.push(("harcelement".into(), "en_ligne".into()));
                }
            }
            "agression_sexuelle" => {
                details.victim_age = victim.as_ref().map(|v| v.birth.age_on(date) as u64);
                details.gestures = Some(*pick(rng, &[
                    ("il m'a touché les fesses", "attouchement des fesses"),
                    ("il a posé sa main sur ma poitrine", "attouchement de la poitrine"),
                    ("il m'a embrassée de force", "baiser imposé"),
                    ("il s'est frotté contre moi", "frottements"),
                ]));
                details.constraint = Some(*pick(rng, &[
                    ("par surprise, dans la foule", "surprise"),
                    ("en me tenant fermement les poignets", "violence"),
                    ("en me disant que personne ne me croirait", "contrainte morale"),
                    ("en me menaçant de publier des photos", "menace"),
                ]));
            }
            "stupefiants" => {
                let drug = *pick(rng, &[
                    ("résine de cannabis", "résine de cannabis"),
                    ("herbe de cannabis", "herbe de cannabis"),
                    ("cocaïne", "cocaïne"),
                    ("héroïne", "héroïne"),
                    ("comprimés d'ecstasy (MDMA)", "MDMA"),
                ]);
                details.drug = Some(drug);
                let grams = (rng.random_range(20..4_000) as f64) / 10.0;
                let estimate = chance(rng, 0.3).then(|| (grams / 5.0).round() * 5.0 + 5.0);
                details.grams = Some((grams, estimate));
                details.cash = chance(rng, 0.6).then(|| rng.random_range(2..120) * 10);
                let resale = grams > 30.0 || details.cash.is_some_and(|c| c > 300);
                details.destination = Some(if resale && chance(rng, 0.6) {
                    ("revente", "usage personnel")
                } else if resale {
                    ("revente", "revente")
                } else {
                    ("usage personnel", "usage personnel")
                });
                seized.push(("produit stupéfiant", "produit stupéfiant"));
                if let Some(c) = details.cash {
                    let _ = c;
                    seized.push(("numéraire", "numéraire"));
                }
            }
            "alcool_stupefiants_volant" => {
                let blood = chance(rng, 0.2);
                details.alcohol = Some(if blood {
                    (rng.random_range(50..260) as f64 / 100.0, "g/l")
                } else {
                    (rng.random_range(26..130) as f64 / 100.0, "mg/l")
                });
                details.measure = Some(if blood { "analyse de sang" } else { "éthylomètre" });
                details.measure_time = Some(facts.add_minutes(rng.random_range(25..110)));
                details.accident = Some(chance(rng, 0.35));
            }
            "refus_obtemperer" => {
                details.flight = Some(*pick(rng, &[
                    ("lors d'un contrôle routier, le conducteur a accéléré malgré nos injonctions", "accélération lors d'un contrôle routier"),
                    ("le conducteur a ignoré les avertisseurs sonores et lumineux du véhicule sérigraphié", "fuite malgré les avertisseurs du véhicule de police"),
                    ("le conducteur a forcé le barrage de police en direction de l'agent", "forçage d'un barrage"),
                ]));
                details.danger = Some(chance(rng, 0.5));
                if details.danger == Some(true) {
                    aggravating.push(("refus_obtemperer".into(), "mise_en_danger".into()));
                }
            }
            "conduite_sans_permis" => {
                details.licence = Some(*pick(rng, &[
                    ("n'a jamais été titulaire du permis de conduire", "jamais titulaire"),
                    ("fait l'objet d'une suspension administrative du permis de conduire", "permis suspendu"),
                    ("a vu son permis de conduire annulé par décision judiciaire", "permis annulé"),
                    ("a un permis invalidé pour solde de points nul", "permis invalidé (solde de points nul)"),
                ]));
            }
            "outrage_rebellion" => {
                details.insult = Some(*pick(rng, &["Bande de bâtards", "Sales flics, je vais vous retrouver", "Vous êtes des moins que rien", "Je vous emmerde, bande de clowns"]));
                details.officers_targeted = Some(rng.random_range(1..=3));
                details.officer_injured = Some(chance(rng, 0.35));
            }
            "escroquerie" => {
                let (w, canon) = *pick(rng, &[
                    ("un individu se présentant comme conseiller bancaire m'a fait valider des opérations", "faux conseiller bancaire"),
                    ("j'ai payé un véhicule sur un site de petites annonces qui n'a jamais été livré", "vente fictive sur un site de petites annonces"),
                    ("un prétendu technicien informatique m'a demandé un paiement pour débloquer mon ordinateur", "faux support technique"),
                    ("un faux neveu m'a demandé de l'argent en urgence", "usurpation de l'identité d'un proche"),
                ]);
                let amount = rng.random_range(3..900) * 10;
                details.fraud = Some((amount, w, canon));
                damages = Some(amount);
            }
            "abus_de_confiance" => {
                let (w, canon) = *pick(rng, &[
                    ("les recettes de la caisse du magasin", "recettes de caisse"),
                    ("le véhicule que je lui avais prêté", "véhicule prêté"),
                    ("les fonds de l'association", "fonds de l'association"),
                    ("l'argent que je lui avais confié pour payer le loyer", "somme confiée pour le loyer"),
                ]);
                let amount = rng.random_range(30..2_000) * 10;
                details.breach = Some((amount, w, canon));
                damages = damages.or(Some(amount));
            }
            "degradations" => {
                let it = *pick(rng, &[
                    ("le rétroviseur et la portière du véhicule", 480),
                    ("la vitrine du commerce", 1_350),
                    ("la porte d'entrée de l'appartement", 760),
                    ("le digicode de l'immeuble", 320),
                    ("le scooter de la victime", 890),
                ]);
                details.damage = Some(it);
                damages = damages.or(Some(it.1));
            }
            "recel" => {
                details.receiving = Some(*pick(rng, &[
                    ("un téléphone portable iPhone 14", "un vol avec violence", "vol avec violence"),
                    ("un vélo électrique", "un vol commis sur la voie publique", "vol"),
                    ("une carte bancaire au nom d'un tiers", "un vol à la tire", "vol à la tire"),
                    ("un ordinateur portable", "un cambriolage", "cambriolage"),
                ]));
                seized.push(("objet recelé", "objet recelé"));
            }
            _ => {}
        }
    }
    if seized.is_empty() && chance(rng, 0.5) {
        seized.push(("téléphone portable", "téléphone portable"));
    }

    let arrest = facts.add_minutes(rng.random_range(10..240));
    let extended = chance(rng, 0.25);
    let end = arrest.add_minutes(if extended { rng.random_range(26 * 60..46 * 60) } else { rng.random_range(5 * 60..23 * 60) });
    let custody = Custody { start: arrest, end, extended, lawyer: chance(rng, 0.55), doctor: chance(rng, 0.3), notify_relative: chance(rng, 0.5) };

    let admission = *pick(rng, &[Admission::Admits, Admission::Admits, Admission::Denies, Admission::Partial, Admission::Silent]);
    let second_admission = (admission != Admission::Admits && chance(rng, 0.3)).then_some(Admission::Admits);

    let n_convictions = *pick(rng, &[0, 0, 0, 1, 1, 2, 3, 5]);
    let offences: &[&str] = &["Vol", "Conduite sous l'empire d'un état alcoolique", "Usage de stupéfiants", "Violences volontaires", "Outrage", "Conduite sans permis", "Recel"];
    let mut record: Vec<Conviction> = (0..n_convictions)
        .map(|_| {
            let d = date.add_days(-rng.random_range(200..3000));
            Conviction {
                date: d,
                court: format!("Tribunal correctionnel de {}", tribunal),
                offence: *pick(rng, offences),
                sentence: pick(rng, &["3 mois d'emprisonnement avec sursis", "amende de 500 euros", "6 mois d'emprisonnement", "travail d'intérêt général de 70 heures", "amende de 300 euros et suspension du permis de conduire pour 4 mois", "stage de citoyenneté"]).to_string(),
            }
        })
        .collect();
    record.sort_by_key(|c| c.date);
    let recidive = record.iter().any(|c| (date.days() - c.date.days()) < 5 * 365) && chance(rng, 0.6) && !record.is_empty();

    let civil_party = victim.as_ref().and_then(|_| chance(rng, 0.8).then(|| chance(rng, 0.6)));
    let damages = if victim.is_some() { damages } else { None };
    let damages_revised = damages.and_then(|d| chance(rng, 0.15).then(|| d + rng.random_range(1..10) * 50));
    let orientation = *pick(rng, ORIENTATIONS);
    let magistrate_first = pick(rng, FEMALE).to_string();
    let magistrate = format!("{} {}", if chance(rng, 0.5) { magistrate_first } else { pick(rng, MALE).to_string() }, pick(rng, LAST));
    let complaint_date = facts.add_minutes(rng.random_range(30..180));
    let procedure_number = format!("{}/{:05}", date.year, rng.random_range(100..99_999));

    Scenario {
        id: id.into(),
        service,
        officers,
        suspect,
        victim,
        witnesses,
        facts,
        witness_time,
        place,
        place_kind,
        categories,
        aggravating,
        details,
        custody,
        admission,
        second_admission,
        record,
        recidive,
        seized,
        damages,
        damages_revised,
        civil_party,
        orientation,
        magistrate,
        complaint_date,
        procedure_number,
    }
}

impl Scenario {
    pub fn has(&self, category: &str) -> bool {
        self.categories.iter().any(|c| c == category)
    }
}
