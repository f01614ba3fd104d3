//! French as police and gendarmerie write it: dates, hours, numbers and amounts in their
//! several written forms, and the small accidents of typing (typos, missing accents).
//!
//! Every form is chosen at random per mention, so that a reader of the corpus cannot learn one
//! phrasing; the gold value stays normalised whatever the form.

use rand::Rng as _;
use rand::seq::IndexedRandom;
use serde::{Deserialize, Serialize};

/// The generator's random source: ChaCha8, seeded per dossier, so output depends on the seed only.
pub type Rng = rand_chacha::ChaCha8Rng;

/// One element of `items`, uniformly.
pub fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    items.choose(rng).expect("non-empty choice")
}

/// True with probability `p`.
pub fn chance(rng: &mut Rng, p: f64) -> bool {
    rng.random_bool(p.clamp(0.0, 1.0))
}

const UNITS: [&str; 17] = [
    "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze", "treize",
    "quatorze", "quinze", "seize",
];
const TENS: [&str; 7] = ["", "dix", "vingt", "trente", "quarante", "cinquante", "soixante"];

/// A non-negative integer in French words (traditional spelling: "quatre-vingts", "soixante et onze").
pub fn words(n: u64) -> String {
    match n {
        0..=16 => UNITS[n as usize].to_string(),
        17..=19 => format!("dix-{}", UNITS[(n - 10) as usize]),
        20..=69 => {
            let (t, u) = (n / 10, n % 10);
            match u {
                0 => TENS[t as usize].to_string(),
                1 => format!("{} et un", TENS[t as usize]),
                _ => format!("{}-{}", TENS[t as usize], UNITS[u as usize]),
            }
        }
        70..=79 => {
            if n == 71 {
                "soixante et onze".into()
            } else {
                format!("soixante-{}", words(n - 60))
            }
        }
        80 => "quatre-vingts".into(),
        81..=99 => format!("quatre-vingt-{}", words(n - 80)),
        100..=999 => {
            let (h, rest) = (n / 100, n % 100);
            let head = if h == 1 { "cent".to_string() } else { format!("{} cent", words(h)) };
            match rest {
                0 if h > 1 => format!("{head}s"),
                0 => head,
                _ => format!("{head} {}", words(rest)),
            }
        }
        1000..=999_999 => {
            let (th, rest) = (n / 1000, n % 1000);
            let head = if th == 1 {
                "mille".to_string()
            } else {
                // "deux cents" loses its s before "mille": "deux cent mille".
                words(th).trim_end_matches("cents").to_string()
                    + if th % 100 == 0 && th >= 200 { "cent mille" } else { " mille" }
            };
            let head = head.replace("  ", " ");
            if rest == 0 { head } else { format!("{head} {}", words(rest)) }
        }
        _ => {
            let (m, rest) = (n / 1_000_000, n % 1_000_000);
            let head = if m == 1 { "un million".to_string() } else { format!("{} millions", words(m)) };
            if rest == 0 { head } else { format!("{head} {}", words(rest)) }
        }
    }
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

/// A date and a time of day, to the minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DateTime {
    pub date: Date,
    pub hour: u32,
    pub minute: u32,
}

const MONTHS: [&str; 12] =
    ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"];
const WEEKDAYS: [&str; 7] = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];

impl Date {
    pub fn new(year: i32, month: u32, day: u32) -> Self {
        Self { year, month, day }
    }

    /// Days since 1970-01-01 (proleptic Gregorian).
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days(z: i64) -> Self {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Self { year, month, day }
    }

    pub fn add_days(self, n: i64) -> Self {
        Self::from_days(self.days() + n)
    }

    /// 0 = Monday.
    pub fn weekday(self) -> usize {
        (self.days() + 3).rem_euclid(7) as usize
    }

    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    pub fn month_name(self) -> &'static str {
        MONTHS[(self.month - 1) as usize]
    }

    /// Whole years from `self` (a birth date) to `on`.
    pub fn age_on(self, on: Date) -> i32 {
        let mut age = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) {
            age -= 1;
        }
        age
    }
}

impl DateTime {
    pub fn iso(self) -> String {
        format!("{}T{:02}:{:02}", self.date.iso(), self.hour, self.minute)
    }

    pub fn add_minutes(self, minutes: i64) -> Self {
        let total = self.date.days() * 1440 + i64::from(self.hour) * 60 + i64::from(self.minute) + minutes;
        let days = total.div_euclid(1440);
        let rest = total.rem_euclid(1440);
        Self { date: Date::from_days(days), hour: (rest / 60) as u32, minute: (rest % 60) as u32 }
    }

    pub fn minutes_since(self, earlier: DateTime) -> i64 {
        let m = |d: DateTime| d.date.days() * 1440 + i64::from(d.hour) * 60 + i64::from(d.minute);
        m(self) - m(earlier)
    }
}

/// A date in one of the forms found in procédures.
pub fn date(rng: &mut Rng, d: Date) -> String {
    match rng.random_range(0..7) {
        0 | 1 => format!("{:02}/{:02}/{}", d.day, d.month, d.year),
        2 | 3 => format!("{} {} {}", day_number(d.day), d.month_name(), d.year),
        4 => format!("{} {} {} {}", WEEKDAYS[d.weekday()], day_number(d.day), d.month_name(), d.year),
        5 => format!("{:02}.{:02}.{}", d.day, d.month, d.year),
        _ => format!("{} {} {}", day_words(d.day), d.month_name(), words(d.year as u64)),
    }
}

/// A date as numbers only (forms, identity lines).
pub fn date_numeric(rng: &mut Rng, d: Date) -> String {
    if chance(rng, 0.85) { format!("{:02}/{:02}/{}", d.day, d.month, d.year) } else { format!("{:02}.{:02}.{}", d.day, d.month, d.year) }
}

/// The opening formula of a PV: "L'an deux mille vingt-quatre, le douze mars".
pub fn date_formula(d: Date) -> String {
    format!("L'an {}, le {} {}", words(d.year as u64), day_words(d.day), d.month_name())
}

fn day_number(day: u32) -> String {
    if day == 1 { "1er".into() } else { day.to_string() }
}

fn day_words(day: u32) -> String {
    if day == 1 { "premier".into() } else { words(u64::from(day)) }
}

/// A time of day in one of the usual forms ("14h30", "14 heures 30", "quatorze heures trente").
pub fn time(rng: &mut Rng, hour: u32, minute: u32) -> String {
    match rng.random_range(0..6) {
        0 | 1 => format!("{hour:02}h{minute:02}"),
        2 => format!("{hour}h{minute:02}"),
        3 => format!("{hour:02}:{minute:02}"),
        4 => {
            if minute == 0 {
                format!("{hour} heures")
            } else {
                format!("{hour} heures {minute:02}")
            }
        }
        _ => time_words(hour, minute),
    }
}

/// "quatorze heures trente", "une heure cinq", "zéro heure quinze".
pub fn time_words(hour: u32, minute: u32) -> String {
    let h = match hour {
        0 => "zéro heure".to_string(),
        1 => "une heure".to_string(),
        21 => "vingt et une heures".to_string(),
        _ => format!("{} heures", words(u64::from(hour))),
    };
    if minute == 0 { h } else { format!("{h} {}", words(u64::from(minute))) }
}

/// A whole number with French thousands separators ("1 250").
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A decimal with a French comma and `decimals` digits.
pub fn decimal(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}").replace('.', ",")
}

/// An amount in euros in one of the usual forms.
pub fn amount(rng: &mut Rng, euros: f64) -> String {
    let whole = euros.round() as u64;
    let exact = (euros - euros.round()).abs() < 0.005;
    if !exact {
        return match rng.random_range(0..3) {
            0 => format!("{} €", decimal(euros, 2)),
            1 => format!("{} euros", decimal(euros, 2)),
            _ => format!("{} EUR", decimal(euros, 2)),
        };
    }
    match rng.random_range(0..6) {
        0 | 1 => format!("{} euros", grouped(whole)),
        2 => format!("{} €", grouped(whole)),
        3 => format!("{},00 €", grouped(whole)),
        4 if whole < 100_000 => format!("{} euros", words(whole)),
        _ => format!("{whole} euros"),
    }
}

/// A small count, in digits or words.
pub fn count(rng: &mut Rng, n: u64) -> String {
    if n <= 20 && chance(rng, 0.5) { words(n) } else { n.to_string() }
}

/// Strip French accents from a word (typing on a keyboard without them).
pub fn strip_accents(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'É' | 'È' | 'Ê' => 'E',
            'À' | 'Â' => 'A',
            _ => c,
        })
        .collect()
}

/// Add typing accidents to `text` with probability `rate` per word: swapped letters, a doubled
/// or dropped letter, a missing accent. Words with digits or capitals only are left alone.
pub fn typos(rng: &mut Rng, text: &str, rate: f64) -> String {
    if rate <= 0.0 {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let letters: Vec<char> = word.chars().collect();
        let alphabetic = letters.len() >= 4 && letters.iter().all(|c| c.is_alphabetic() && c.is_lowercase());
        if !alphabetic || !chance(rng, rate) {
            out.push_str(word);
            continue;
        }
        let mut w = letters;
        let k = rng.random_range(1..w.len() - 1);
        match rng.random_range(0..4) {
            0 => w.swap(k, k + 1),
            1 => w.insert(k, w[k]),
            2 => {
                w.remove(k);
            }
            _ => w = strip_accents(&w.iter().collect::<String>()).chars().collect(),
        }
        out.extend(w);
    }
    out
}

/// Capitalise the first letter.
pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn numbers_in_words() {
        let cases = [
            (0, "zéro"),
            (17, "dix-sept"),
            (21, "vingt et un"),
            (71, "soixante et onze"),
            (72, "soixante-douze"),
            (80, "quatre-vingts"),
            (91, "quatre-vingt-onze"),
            (200, "deux cents"),
            (250, "deux cent cinquante"),
            (1000, "mille"),
            (2024, "deux mille vingt-quatre"),
            (850, "huit cent cinquante"),
            (200_000, "deux cent mille"),
            (1_500, "mille cinq cents"),
        ];
        for (n, w) in cases {
            assert_eq!(words(n), w, "{n}");
        }
    }

    #[test]
    fn calendar_arithmetic() {
        let d = Date::new(2024, 3, 12);
        assert_eq!(Date::from_days(d.days()), d);
        assert_eq!(d.weekday(), 1, "12 March 2024 was a Tuesday");
        assert_eq!(d.add_days(20).iso(), "2024-04-01");
        assert_eq!(Date::new(2024, 2, 28).add_days(1).iso(), "2024-02-29");
        let t = DateTime { date: d, hour: 23, minute: 50 };
        assert_eq!(t.add_minutes(20).iso(), "2024-03-13T00:10");
        assert_eq!(t.add_minutes(20).minutes_since(t), 20);
        assert_eq!(Date::new(1998, 5, 3).age_on(d), 25);
        assert_eq!(date_formula(d), "L'an deux mille vingt-quatre, le douze mars");
    }

    #[test]
    fn forms_vary_and_typos_spare_numbers() {
        let mut rng = Rng::seed_from_u64(7);
        let forms: std::collections::BTreeSet<String> = (0..200).map(|_| date(&mut rng, Date::new(2024, 3, 12))).collect();
        assert!(forms.len() >= 5, "{forms:?}");
        assert_eq!(grouped(1250), "1 250");
        let t = typos(&mut rng, "le 12/03/2024 DUPONT", 1.0);
        assert_eq!(t, "le 12/03/2024 DUPONT");
    }
}
