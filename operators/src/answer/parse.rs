//! Reading typed values out of French text: numbers written in digits or in words, dates and
//! times in all their written forms, amounts, rates, durations.
//!
//! Procédures write the same fact many ways ("le 09.09.2024 à 18h05", "le neuf septembre deux
//! mille vingt-quatre à dix-huit heures cinq", "ITT de 5j", "0,62 mg/l"). [`Norm`] rewrites a
//! sentence with its number words as digits (through `text2num`) while remembering where each
//! byte came from, so every value found in the rewritten text maps back to the exact words of
//! the original, which is what a citation quotes.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

/// A sentence with number words written as digits, and the way back to the original bytes.
#[derive(Debug, Clone)]
pub struct Norm {
    /// The rewritten text.
    pub text: String,
    /// For each byte of `text`, the original byte range it comes from.
    src: Vec<(usize, usize)>,
}

static NUMBER_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    let w = "(?:z[ée]ro|une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|vingts?|trente|quarante|cinquante|soixante|cents?|mille)";
    Regex::new(&deaccent(&format!(r"(?i)\b{w}(?:(?:[- ]et[- ]|[- ]){w})*\b"))).expect("valid regex")
});

impl Norm {
    /// Rewrite `text`: accents dropped and typographic apostrophes made straight (so cue words
    /// match however they were typed), and every run of French number words that `text2num`
    /// reads becomes digits (a lone "un"/"une" stays: it is most often an article).
    pub fn new(text: &str) -> Norm {
        // Step 1: accents off, one source range per output byte.
        let mut plain = String::with_capacity(text.len());
        let mut plain_src: Vec<(usize, usize)> = Vec::with_capacity(text.len());
        for (a, c) in text.char_indices() {
            let b = a + c.len_utf8();
            let mut push = |ch: char| {
                plain.push(ch);
                plain_src.extend(std::iter::repeat_n((a, b), ch.len_utf8()));
            };
            match c {
                _ if c.is_ascii() => push(c),
                '\u{2019}' | '\u{2018}' => push('\''),
                _ => {
                    for d in std::iter::once(c).nfd().filter(|d| !unicode_normalization::char::is_combining_mark(*d)) {
                        push(d);
                    }
                }
            }
        }
        // Step 2: number words as digits.
        let fr = text2num::Language::french();
        let mut out = String::with_capacity(plain.len());
        let mut src = Vec::with_capacity(plain.len());
        let mut last = 0;
        for m in NUMBER_WORDS.find_iter(&plain) {
            let lower = m.as_str().to_lowercase();
            // A lone "un" is an article, except as the minutes of a time ("vingt heures un").
            if (lower == "un" || lower == "une") && !plain[..m.start()].to_lowercase().trim_end().ends_with("heures") {
                continue;
            }
            let Ok(digits) = text2num::text2digits(&lower, &fr) else { continue };
            out.push_str(&plain[last..m.start()]);
            src.extend_from_slice(&plain_src[last..m.start()]);
            out.push_str(&digits);
            let span = (plain_src[m.start()].0, plain_src[m.end() - 1].1);
            src.extend(std::iter::repeat_n(span, digits.len()));
            last = m.end();
        }
        out.push_str(&plain[last..]);
        src.extend_from_slice(&plain_src[last..]);
        Norm { text: out, src }
    }

    /// The original byte range of a range of the rewritten text.
    pub fn orig(&self, r: Range<usize>) -> Range<usize> {
        if r.is_empty() || r.end > self.src.len() {
            return 0..0;
        }
        self.src[r.start].0..self.src[r.end - 1].1
    }
}

/// `s` without accents, typographic apostrophes made straight: the form every pattern is
/// written against (see [`Norm`]).
pub fn deaccent(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| if c == '\u{2019}' || c == '\u{2018}' { '\'' } else { c })
        .collect()
}

/// Parse a number written with digits, French style: "1 200", "1.200", "0,62", "3.5".
pub fn number(s: &str) -> Option<f64> {
    let t: String = s.chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}').collect();
    // "1.200" (thousands) vs "3.5" (decimal): a dot followed by exactly three digits and no comma
    // is a thousands separator.
    let t = if t.contains(',') {
        t.replace('.', "").replace(',', ".")
    } else if t.split('.').skip(1).all(|g| g.len() == 3) && t.contains('.') {
        t.replace('.', "")
    } else {
        t
    };
    t.parse().ok()
}

/// A number in digits as it may be printed: thousands separated by spaces or dots, decimals by a
/// comma or a dot.
pub const NUM: &str = r"\d{1,3}(?:[ \u{a0}\u{202f}.]\d{3})+(?:,\d+)?|\d+(?:[,.]\d+)?";

/// A calendar date found in text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
    fn valid(&self) -> bool {
        (1..=12).contains(&self.month) && (1..=31).contains(&self.day) && (1900..=2100).contains(&self.year)
    }
}

/// A time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    pub hour: u32,
    pub minute: u32,
}

/// A value found in a [`Norm`] text, with its range there.
#[derive(Debug, Clone)]
pub struct Found<T> {
    pub value: T,
    pub range: Range<usize>,
}

const MONTHS: &[&str] =
    &["janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre", "novembre", "decembre"];

fn month(s: &str) -> Option<u32> {
    let f = crate::answer::fold(s);
    MONTHS.iter().position(|m| *m == f).map(|i| i as u32 + 1)
}

static DATE_NUMERIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&deaccent(r"\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\b")).expect("valid regex"));
static DATE_WRITTEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&deaccent(r"(?i)\b(\d{1,2})(?:er)?\s+(janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre)(?:\s+(\d{4}))?"))
        .expect("valid regex")
});
static YEAR_FIRST: LazyLock<Regex> = LazyLock::new(|| Regex::new(&deaccent(r"(?i)\ban\s+(\d{4})\s*,?\s*(?:le\s+)?$")).expect("valid regex"));

/// Every date of a normalised text, in order.
pub fn dates(t: &str) -> Vec<Found<Date>> {
    let mut out = Vec::new();
    for c in DATE_NUMERIC.captures_iter(t) {
        let m = c.get(0).expect("match");
        let mut year: i32 = c[3].parse().unwrap_or(0);
        if c[3].len() == 2 {
            year += 2000;
        }
        let d = Date { year, month: c[2].parse().unwrap_or(0), day: c[1].parse().unwrap_or(0) };
        if d.valid() {
            out.push(Found { value: d, range: m.range() });
        }
    }
    for c in DATE_WRITTEN.captures_iter(t) {
        let m = c.get(0).expect("match");
        let Some(mo) = month(&c[2]) else { continue };
        let year = match c.get(3) {
            Some(y) => y.as_str().parse().ok(),
            // "L'an 2024, le 9 septembre"
            None => YEAR_FIRST.captures(&t[..m.start()]).and_then(|y| y[1].parse().ok()),
        };
        let Some(year) = year else { continue };
        let d = Date { year, month: mo, day: c[1].parse().unwrap_or(0) };
        if d.valid() {
            out.push(Found { value: d, range: m.range() });
        }
    }
    out.sort_by_key(|f| f.range.start);
    out
}

static TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&deaccent(r"(?i)\b(\d{1,2})\s*(?:h|heures?|:)\s*(\d{1,2})?\b(?:\s*(?:min(?:utes?)?)\b)?|\b(midi|minuit)\b")).expect("valid regex")
});

/// Every time of day of a normalised text, in order ("18h05", "18:05", "19 heures 56", "midi").
pub fn times(t: &str) -> Vec<Found<Time>> {
    let mut out = Vec::new();
    for c in TIME.captures_iter(t) {
        let m = c.get(0).expect("match");
        let time = if let Some(w) = c.get(3) {
            Time { hour: if w.as_str().eq_ignore_ascii_case("midi") { 12 } else { 0 }, minute: 0 }
        } else {
            let hour: u32 = c[1].parse().unwrap_or(99);
            let minute: u32 = c.get(2).map_or(Some(0), |m| m.as_str().parse().ok()).unwrap_or(99);
            Time { hour, minute }
        };
        // "pour 24 heures", "48 h" are durations: a time is introduced by à/vers/de/dès or follows a date.
        let before = t[..m.start()].trim_end();
        let introduced = before.ends_with(" à")
            || before.ends_with(" a")
            || before.to_lowercase().ends_with("vers")
            || before.ends_with(',')
            || before.to_lowercase().ends_with("environs de")
            || before.to_lowercase().ends_with("dès")
            || before.chars().last().is_some_and(|c| c.is_ascii_digit());
        let ends_with_colon = m.as_str().contains(':');
        if time.hour < 24 && time.minute < 60 && (introduced || ends_with_colon) {
            out.push(Found { value: time, range: m.range() });
        }
    }
    out
}

/// Date-times: a date followed closely (within 25 bytes: ", à ", " vers ") by a time.
pub fn datetimes(t: &str) -> Vec<Found<String>> {
    let ts = times(t);
    let mut out = Vec::new();
    for d in dates(t) {
        if let Some(tm) = ts.iter().find(|tm| tm.range.start >= d.range.end && tm.range.start - d.range.end <= 25) {
            let between = &t[d.range.end..tm.range.start];
            if between.chars().any(|c| c.is_ascii_digit()) {
                continue;
            }
            out.push(Found {
                value: format!("{}T{:02}:{:02}", d.value.iso(), tm.value.hour, tm.value.minute),
                range: d.range.start..tm.range.end,
            });
        }
    }
    out
}

static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)({NUM})\s*(?:€|euros?\b|eur\b)")).expect("valid regex")
});

/// Amounts of money in euros ("650 euros", "1 200 €", "2.400 EUR").
pub fn amounts(t: &str) -> Vec<Found<f64>> {
    AMOUNT
        .captures_iter(t)
        .filter_map(|c| Some(Found { value: number(&c[1])?, range: c.get(0)?.range() }))
        .collect()
}

static RATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)({NUM})\s*(mg\s*/\s*l|mg\s+par\s+litre|milligrammes?\s+par\s+litre|g\s*/\s*l|grammes?\s+par\s+litre)(?:\s+d['’]\s*air\s+expir[ée]|\s+de\s+sang)?"
    ))
    .expect("valid regex")
});

/// Alcohol rates: value and unit (`mg/l` of exhaled air, `g/l` of blood).
pub fn rates(t: &str) -> Vec<Found<(f64, &'static str)>> {
    RATE.captures_iter(t)
        .filter_map(|c| {
            let unit = if c[2].to_lowercase().starts_with('m') { "mg/l" } else { "g/l" };
            Some(Found { value: (number(&c[1])?, unit), range: c.get(0)?.range() })
        })
        .collect()
}

static WEIGHT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)({NUM})\s*(kg|kilogrammes?|kilos?|grammes?|gr|g)\b")).expect("valid regex")
});

/// Weights in grams ("12,5 grammes", "36 g", "1,2 kg").
pub fn weights(t: &str) -> Vec<Found<f64>> {
    WEIGHT
        .captures_iter(t)
        .filter_map(|c| {
            let n = number(&c[1])?;
            let k = c[2].to_lowercase();
            let grams = if k.starts_with('k') { n * 1000.0 } else { n };
            let m = c.get(0)?;
            // "1,61 g/l" is a rate, not a weight.
            if t[m.end()..].trim_start().starts_with('/') {
                return None;
            }
            Some(Found { value: grams, range: m.range() })
        })
        .collect()
}

static DAYS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&deaccent(r"(?i)\b(\d+)\s*(?:jours?|j\b|jour\(s\))")).expect("valid regex"));

/// Durations in days ("5 jours", "5j", "4 jour(s)").
pub fn days(t: &str) -> Vec<Found<f64>> {
    DAYS.captures_iter(t).filter_map(|c| Some(Found { value: c[1].parse().ok()?, range: c.get(0)?.range() })).collect()
}

static MONTHS_DURATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&deaccent(r"(?i)\b(\d+)\s*(mois|semaines?|ans?|années?)\b")).expect("valid regex"));

/// Durations in months ("depuis 3 mois"; weeks and years converted).
pub fn months(t: &str) -> Vec<Found<f64>> {
    MONTHS_DURATION
        .captures_iter(t)
        .filter_map(|c| {
            let n: f64 = c[1].parse().ok()?;
            let u = c[2].to_lowercase();
            let v = if u.starts_with("sem") { (n * 7.0 / 30.0 * 10.0).round() / 10.0 } else if u.starts_with('a') { n * 12.0 } else { n };
            Some(Found { value: v, range: c.get(0)?.range() })
        })
        .collect()
}

static INTEGER: LazyLock<Regex> = LazyLock::new(|| Regex::new(&deaccent(r"\b\d{1,3}(?:[ \u{a0}.]\d{3})*\b|\b\d+\b")).expect("valid regex"));

/// Whole numbers ("3", "1 250").
pub fn integers(t: &str) -> Vec<Found<u64>> {
    INTEGER
        .find_iter(t)
        .filter_map(|m| Some(Found { value: number(m.as_str())? as u64, range: m.range() }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_words_become_digits_and_map_back() {
        let s = "le neuf septembre deux mille vingt-quatre à dix-huit heures cinq";
        let n = Norm::new(s);
        assert_eq!(n.text, "le 9 septembre 2024 a 18 heures 5");
        let dt = datetimes(&n.text);
        assert_eq!(dt.len(), 1);
        assert_eq!(dt[0].value, "2024-09-09T18:05");
        assert_eq!(&s[n.orig(dt[0].range.clone())], "neuf septembre deux mille vingt-quatre à dix-huit heures cinq");
        assert_eq!(Norm::new("un individu").text, "un individu");
        assert_eq!(Norm::new("trente-six grammes").text, "36 grammes");
        assert_eq!(Norm::new("à vingt heures un").text, "a 20 heures 1");
    }

    #[test]
    fn dates_and_times_in_many_forms() {
        for (s, want) in [
            ("le 09.09.2024, à 18h05", "2024-09-09T18:05"),
            ("le 9 septembre 2024 vers 18h05", "2024-09-09T18:05"),
            ("le 1er mars 2023 à 14:30", "2023-03-01T14:30"),
            ("le dimanche 2 février 2025 vers 15h17", "2025-02-02T15:17"),
            ("à compter du le 09.09.2024 vers 19 heures 56", "2024-09-09T19:56"),
            ("le 12/03/24 à 8 h", "2024-03-12T08:00"),
            ("le 3 juin 2022 à midi", "2022-06-03T12:00"),
        ] {
            let n = Norm::new(s);
            let got: Vec<String> = datetimes(&n.text).into_iter().map(|f| f.value).collect();
            assert_eq!(got, vec![want.to_string()], "{s}");
        }
        let n = Norm::new("L'an deux mille vingt-quatre, le neuf septembre à dix-neuf heures vingt-cinq");
        assert_eq!(datetimes(&n.text)[0].value, "2024-09-09T19:25");
        assert!(times("la prolongation de la mesure pour 24 heures").is_empty());
        assert_eq!(dates("né le 03/04/1990")[0].value.iso(), "1990-04-03");
    }

    #[test]
    fn quantities_with_units() {
        assert_eq!(rates("0,62 mg/l")[0].value, (0.62, "mg/l"));
        assert_eq!(rates("1,61 g/l de sang")[0].value, (1.61, "g/l"));
        assert_eq!(rates("0.45 milligramme par litre d'air expiré")[0].value, (0.45, "mg/l"));
        assert_eq!(weights(&Norm::new("trente-six grammes").text)[0].value, 36.0);
        assert_eq!(weights("12,5 g de résine")[0].value, 12.5);
        assert!(weights("1,61 g/l").is_empty());
        assert_eq!(weights("1,2 kg")[0].value, 1200.0);
        assert_eq!(amounts("1 200 euros")[0].value, 1200.0);
        assert_eq!(amounts("2.400 €")[0].value, 2400.0);
        assert_eq!(amounts("350,50 EUR")[0].value, 350.5);
        assert_eq!(days("ITT de 5j")[0].value, 5.0);
        assert_eq!(days("ITT : 4 jour(s)")[0].value, 4.0);
        assert_eq!(months(&Norm::new("depuis trois mois").text)[0].value, 3.0);
    }
}
