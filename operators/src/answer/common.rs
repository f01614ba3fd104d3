//! Extractors of the common questions (asked of every dossier), and the helpers every extractor
//! shares: cue words near a typed value, yes/no statements, persons, addresses, clauses.

use std::ops::Range;

use regex::Regex;
use serde_json::json;

use super::parse::{self, Found};
use super::{Cand, Ctx, Sent, fold, re, yes_no_label};
use crate::domain::Question;
use crate::piece::PieceKind as K;

/// The extractor of `q` if it is a common question.
pub(super) fn extract(ctx: &Ctx<'_>, q: &Question) -> Option<Vec<Cand>> {
    Some(match q.id.as_str() {
        "mec_identite" => mec_identite(ctx),
        "mec_naissance" => mec_naissance(ctx),
        "mec_adresse" => mec_adresse(ctx),
        "mec_profession" => mec_profession(ctx),
        "victime_identite" => victime_identite(ctx),
        "temoins_nombre" => temoins_nombre(ctx),
        "date_faits" => date_faits(ctx),
        "lieu_faits" => lieu_faits(ctx),
        "reconnaissance" => reconnaissance(ctx),
        "casier_condamnations" => casier(ctx),
        "recidive" => recidive(ctx),
        "gav_debut" => gav_debut(ctx),
        "gav_fin" => gav_fin(ctx),
        "gav_prolongation" => gav_prolongation(ctx),
        "gav_droits_notifies" => gav_droits(ctx),
        "gav_avocat" => gav_avocat(ctx),
        "saisies" => saisies(ctx),
        "prejudice" => amount_near(ctx, &[K::Plainte, K::AuditionVictime], re!(r"(?i)pr[ée]judice|dommage subi|je (?:l')?[ée]value|j'estime")),
        "partie_civile" => partie_civile(ctx),
        "avis_magistrat" => avis_magistrat(ctx),
        _ => return None,
    })
}

// ---------------------------------------------------------------- shared helpers

/// Whether a sentence is a heading (mostly capitals) or a question put by the investigator.
pub(crate) fn is_heading_or_question(s: &Sent<'_>) -> bool {
    let t = s.t();
    let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    (letters.len() >= 4 && upper * 10 >= letters.len() * 8) || t.trim_start().to_lowercase().starts_with("question")
}

/// Values whose start lies within `after` bytes after the end of a cue match (or whose end lies
/// within `before` bytes before its start), nearest first.
pub(crate) fn near<T: Clone>(t: &str, cue: &Regex, values: &[Found<T>], before: usize, after: usize) -> Vec<Found<T>> {
    let mut out: Vec<(usize, Found<T>)> = Vec::new();
    for m in cue.find_iter(t) {
        for v in values {
            let d = if v.range.start >= m.end() {
                Some(v.range.start - m.end()).filter(|d| *d <= after)
            } else if v.range.end <= m.start() {
                Some(m.start() - v.range.end).filter(|d| *d <= before)
            } else if v.range.start >= m.start() {
                Some(0)
            } else {
                None
            };
            if let Some(d) = d
                && !out.iter().any(|(_, o)| o.range == v.range)
            {
                out.push((d, v.clone()));
            }
        }
    }
    out.sort_by_key(|(d, _)| *d);
    out.into_iter().map(|(_, v)| v).collect()
}

/// The clause around a match: extended to the nearest `,`, `;`, `:` or sentence end on each
/// side, at most `max` bytes each way.
pub(crate) fn clause(t: &str, r: Range<usize>, max: usize) -> Range<usize> {
    let stops = [',', ';', ':', '.', '?', '!', '«', '»'];
    let mut a = r.start;
    let lo = r.start.saturating_sub(max);
    while a > lo {
        let Some(c) = t[..a].chars().last() else { break };
        if stops.contains(&c) {
            break;
        }
        a -= c.len_utf8();
    }
    let mut b = r.end;
    let hi = (r.end + max).min(t.len());
    while b < hi {
        let Some(c) = t[b..].chars().next() else { break };
        if stops.contains(&c) {
            break;
        }
        b += c.len_utf8();
    }
    trim(t, a..b)
}

/// A range without its surrounding spaces.
pub(crate) fn trim(t: &str, r: Range<usize>) -> Range<usize> {
    let s = &t[r.clone()];
    let start = r.start + (s.len() - s.trim_start().len());
    let end = r.end - (s.len() - s.trim_end().len());
    start..end.max(start)
}

/// Yes/no statements: in sentences of `kinds` (all when empty), a `no` match gives `false`, else
/// a `yes` match gives `true`; the cited words are the clause of the match.
pub(crate) fn yes_no(ctx: &Ctx<'_>, kinds: &[K], yes: &Regex, no: &Regex) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(kinds) {
        if is_heading_or_question(s) {
            continue;
        }
        let t = s.t();
        let lower = |m: &regex::Match<'_>| m.as_str().chars().any(|c| c.is_lowercase());
        let (m, v) = match no.find_iter(t).find(lower) {
            Some(m) => (m, false),
            None => match yes.find_iter(t).find(lower) {
                Some(m) => (m, true),
                None => continue,
            },
        };
        out.push(Cand::new(i, clause(t, m.range(), 80), json!(v), yes_no_label(v)));
    }
    out
}

/// Amounts in euros near a cue, in sentences of `kinds`.
pub(crate) fn amount_near(ctx: &Ctx<'_>, kinds: &[K], cue: &Regex) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(kinds) {
        if is_heading_or_question(s) {
            continue;
        }
        let t = s.t();
        if let Some(a) = near(t, cue, &parse::amounts(t), 10, 80).into_iter().next() {
            out.push(Cand::new(i, a.range.clone(), json!(a.value), euros(a.value)));
        }
    }
    out
}

pub(crate) fn euros(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0} €") } else { format!("{:.2} €", v).replace('.', ",") }
}

/// Date-times near a cue in sentences of `kinds`, the nearest per sentence.
pub(crate) fn datetime_near(ctx: &Ctx<'_>, kinds: &[K], cue: &Regex, before: usize, after: usize) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(kinds) {
        if is_heading_or_question(s) {
            continue;
        }
        let t = s.t();
        let dts: Vec<_> = parse::datetimes(t).into_iter().filter(|d| !opening(t, d.range.clone())).collect();
        if let Some(d) = near(t, cue, &dts, before, after).into_iter().next() {
            out.push(Cand::new(i, d.range.clone(), json!(d.value), datetime_label(&d.value)));
        }
    }
    out
}

/// Whether a date at `r` is the date of the procès-verbal itself ("L'an 2024, le 9 septembre à
/// 19 heures 25, Nous, …", "Le 09/09/2024 à 20 heures 59, Nous, …"), not the date of what the
/// sentence reports.
pub(crate) fn opening(t: &str, r: Range<usize>) -> bool {
    let before = &t[t.floor_char_boundary(r.start.saturating_sub(24))..r.start];
    let after = &t[r.end..t.ceil_char_boundary(r.end + 12)];
    re!(r"(?i)\bl'an\s+\d{4}\s*,?\s*(?:le\s*)?$").is_match(before) || re!(r"(?i)^\s*,?\s*nous\b").is_match(after)
}

/// Whether the words just before `r` say it is when something began ("débutée le …").
pub(crate) fn began(t: &str, r: Range<usize>) -> bool {
    let before = &t[t.floor_char_boundary(r.start.saturating_sub(24))..r.start];
    re!(r"(?i)(?:débutée?|commencée?|à compter|depuis)\s+(?:du\s+|de\s+|le\s+)*(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?$").is_match(before)
}

pub(crate) fn datetime_label(iso: &str) -> String {
    // 2024-09-09T18:05 → 09/09/2024 à 18 h 05
    let (d, t) = iso.split_once('T').unwrap_or((iso, ""));
    let p: Vec<&str> = d.split('-').collect();
    let date = if p.len() == 3 { format!("{}/{}/{}", p[2], p[1], p[0]) } else { d.to_string() };
    if t.is_empty() { date } else { format!("le {date} à {}", t.replacen(':', " h ", 1)) }
}

/// A person's name as printed: "NOM Prénom" or "Prénom NOM".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name {
    pub nom: String,
    pub prenom: String,
}

impl Name {
    fn key(&self) -> String {
        let mut w: Vec<String> = fold(&format!("{} {}", self.nom, self.prenom)).split(' ').map(str::to_string).collect();
        w.sort();
        w.join(" ")
    }
    fn label(&self) -> String {
        format!("{} {}", self.prenom, self.nom)
    }
}

const NOM: &str = r"\p{Lu}[\p{Lu}'’\-]+(?:\s\p{Lu}[\p{Lu}'’\-]+)?";
const PRENOM: &str = r"\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?";

/// Every name of a text, both orders, with its range.
pub(crate) fn names(t: &str) -> Vec<(Name, Range<usize>)> {
    let a = re!(r"\b(\p{Lu}[\p{Lu}'’\-]+(?:\s\p{Lu}[\p{Lu}'’\-]+)?)\s+(\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?)\b");
    let b = re!(r"\b(\p{Lu}\p{Ll}+(?:-\p{Lu}\p{Ll}+)?)\s+(\p{Lu}[\p{Lu}'’\-]+(?:\s\p{Lu}[\p{Lu}'’\-]+)?)\b");
    let _ = (NOM, PRENOM);
    let mut out = Vec::new();
    for c in a.captures_iter(t) {
        if c[1].chars().filter(|c| c.is_alphabetic()).count() >= 2 {
            out.push((Name { nom: c[1].to_string(), prenom: c[2].to_string() }, c.get(0).expect("m").range()));
        }
    }
    for c in b.captures_iter(t) {
        let r = c.get(0).expect("m").range();
        if c[2].chars().filter(|c| c.is_alphabetic()).count() >= 2 && !out.iter().any(|(_, o): &(Name, Range<usize>)| o.start < r.end && r.start < o.end) {
            out.push((Name { nom: c[2].to_string(), prenom: c[1].to_string() }, r));
        }
    }
    out.sort_by_key(|(_, r)| r.start);
    out
}

/// The name introduced by a self-identification ("Je me nomme Karim MICHEL") in a sentence.
fn self_named(s: &Sent<'_>) -> Option<(Name, Range<usize>)> {
    let t = s.t();
    let m = re!(r"(?i)je (?:me nomme|m'appelle|suis nommée?)\s*:?\s*|\bnom(?:,| et)? prénoms?\s*:\s*|\bidentité\s*:\s*").find(t)?;
    names(t).into_iter().find(|(_, r)| r.start >= m.end() && r.start - m.end() <= 3)
}

fn person_cands(ctx: &Ctx<'_>, kinds: &[K], who: &Name, self_only: &[K]) -> Vec<Cand> {
    let mut out = Vec::new();
    let (nom, prenom) = (fold(&who.nom), fold(&who.prenom));
    for (i, s) in ctx.of(kinds) {
        if self_only.contains(&s.kind) {
            if let Some((n, r)) = self_named(s)
                && fold(&n.nom) == nom
            {
                out.push(Cand::new(i, r, json!(who.label()), who.label()).keyed(who.key()));
            }
            continue;
        }
        if is_heading_or_question(s) {
            continue;
        }
        for (n, r) in names(s.t()) {
            if fold(&n.nom) == nom && fold(&n.prenom) == prenom {
                out.push(Cand::new(i, r, json!(who.label()), who.label()).keyed(who.key()));
                break;
            }
        }
    }
    out
}

impl Cand {
    pub(crate) fn keyed(mut self, key: String) -> Cand {
        self.key = key;
        self
    }
}

/// The most named person of the pieces of `kinds` (their civil forms), with a first name.
fn person_of_pieces(ctx: &Ctx<'_>, kinds: &[K]) -> Option<Name> {
    let mut counts: Vec<(Name, usize)> = Vec::new();
    for p in ctx.dossier.pieces.iter().filter(|p| kinds.contains(&p.kind)) {
        for n in p.persons.iter().take(1) {
            let Some(prenom) = &n.prenom else { continue };
            let name = Name { nom: n.nom.clone(), prenom: prenom.clone() };
            match counts.iter_mut().find(|(c, _)| fold(&c.nom) == fold(&name.nom)) {
                Some((_, k)) => *k += 1,
                None => counts.push((name, 1)),
            }
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    counts.into_iter().next().map(|(n, _)| n)
}

// ---------------------------------------------------------------- persons

const MEC_PIECES: &[K] = &[K::AuditionMisEnCause, K::PlacementGav, K::ProlongationGav, K::FinGav, K::Casier];

/// The mis en cause: named by the pieces about them (their audition, the garde à vue, the
/// casier), or by a self-identification in their audition.
pub(crate) fn mis_en_cause(ctx: &Ctx<'_>) -> Option<Name> {
    person_of_pieces(ctx, MEC_PIECES).or_else(|| {
        ctx.of(&[K::AuditionMisEnCause]).find_map(|(_, s)| self_named(s)).map(|(n, _)| n)
    })
}

fn mec_identite(ctx: &Ctx<'_>) -> Vec<Cand> {
    let Some(who) = mis_en_cause(ctx) else { return Vec::new() };
    person_cands(
        ctx,
        &[K::AuditionMisEnCause, K::PlacementGav, K::Constatations, K::Casier, K::RapportSynthese],
        &who,
        &[K::AuditionMisEnCause],
    )
}

pub(crate) fn victime(ctx: &Ctx<'_>) -> Option<Name> {
    ctx.of(&[K::Plainte, K::AuditionVictime])
        .find_map(|(_, s)| self_named(s))
        .map(|(n, _)| n)
        .or_else(|| person_of_pieces(ctx, &[K::Plainte, K::AuditionVictime]))
}

fn victime_identite(ctx: &Ctx<'_>) -> Vec<Cand> {
    let Some(who) = victime(ctx) else { return Vec::new() };
    person_cands(ctx, &[K::Plainte, K::AuditionVictime], &who, &[K::Plainte, K::AuditionVictime])
}

fn temoins_nombre(ctx: &Ctx<'_>) -> Vec<Cand> {
    // Each witness heard, once: "Audition du témoin X", or the person of a witness audition.
    let mut heard: Vec<(String, usize, Range<usize>)> = Vec::new();
    let add = |heard: &mut Vec<(String, usize, Range<usize>)>, nom: &str, i: usize, r: Range<usize>| {
        if !heard.iter().any(|(k, _, _)| *k == fold(nom)) {
            heard.push((fold(nom), i, r));
        }
    };
    for (i, s) in ctx.of(&[]) {
        let t = s.t();
        for m in re!(r"(?i)\baudition (?:du|de la|d'un|d'une|de) témoin\s*:?\s*").find_iter(t) {
            if let Some((n, r)) = names(t).into_iter().find(|(_, r)| r.start >= m.end() && r.start - m.end() <= 12) {
                add(&mut heard, &n.nom, i, m.start()..r.end);
            }
        }
    }
    for (pi, p) in ctx.dossier.pieces.iter().enumerate().filter(|(_, p)| p.kind == K::AuditionTemoin) {
        let Some(n) = p.persons.first() else { continue };
        let found = ctx.sents.iter().enumerate().filter(|(_, s)| s.piece == pi).find_map(|(i, s)| {
            names(s.t()).into_iter().find(|(m, _)| fold(&m.nom) == fold(&n.nom)).map(|(_, r)| (i, r))
        });
        if let Some((i, r)) = found {
            add(&mut heard, &n.nom, i, r);
        }
    }
    // The synthesis may count them too ("3 témoin(s) entendu(s)").
    let mut summary: Vec<(usize, Range<usize>, u64)> = Vec::new();
    for (i, s) in ctx.of(&[K::RapportSynthese]) {
        if let Some(c) = re!(r"(?i)\b(\d+)\s+témoins?(?:\(s\))?").captures(s.t()) {
            summary.push((i, c.get(0).expect("m").range(), c[1].parse().unwrap_or(0)));
        }
    }
    let n = summary.iter().map(|(_, _, n)| *n as usize).max().unwrap_or(0).max(heard.len());
    if n == 0 {
        return Vec::new();
    }
    let label = format!("{n} témoin(s) entendu(s)");
    heard
        .into_iter()
        .map(|(_, i, r)| (i, r))
        .chain(summary.into_iter().map(|(i, r, _)| (i, r)))
        .map(|(i, r)| Cand::new(i, r, json!(n), label.clone()))
        .collect()
}

// ---------------------------------------------------------------- the mis en cause's identity

fn mec_naissance(ctx: &Ctx<'_>) -> Vec<Cand> {
    let cue = re!(r"(?i)\bn[ée]e?\s+le\s*:?\s*(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?|date de naissance\s*:?\s*");
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[K::AuditionMisEnCause, K::Casier]) {
        let t = s.t();
        if s.kind == K::AuditionMisEnCause && self_named(s).is_none() && !re!(r"(?i)\bje suis n[ée]").is_match(t) {
            continue;
        }
        if let Some(d) = near(t, cue, &parse::dates(t), 0, 3).into_iter().next() {
            out.push(Cand::new(i, d.range.clone(), json!(d.value.iso()), datetime_label(&d.value.iso())));
        }
    }
    out
}

/// Where the value of a field starting at `start` ends: at a full stop, a semicolon, a bracket,
/// or the next "Label :" of a civil form (identity blocks are printed one field per line).
pub(crate) fn field_end(t: &str, start: usize) -> usize {
    let rest = &t[start..];
    let stop = re!(r"[.;(]|\s+(?:\p{Lu}[\p{Ll}']+(?:\s[\p{Ll}']+){0,3}|\p{Lu}{2,}(?:\s\p{Lu}{2,})*)\s*:").find(rest);
    start + stop.map_or(rest.len(), |m| m.start())
}

fn mec_adresse(ctx: &Ctx<'_>) -> Vec<Cand> {
    let cue = re!(r"(?i)\b(?:je demeure|je réside|j'habite|demeurant|domicilié(?:e)?|résidant|adresse)\s*(?:au|à|:)?\s*");
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[K::AuditionMisEnCause]) {
        let t = s.t();
        let Some(m) = cue.find(t) else { continue };
        let r = trim(t, m.end()..field_end(t, m.end()));
        if r.len() < 6 || !t[r.clone()].chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        let v = s.orig_text(r.clone()).to_string();
        out.push(Cand::new(i, r, json!(v), v.clone()).keyed(address_key(&v)));
    }
    out
}

/// The comparison key of an address: its number, street words and town, without the postcode.
pub(crate) fn address_key(a: &str) -> String {
    fold(a)
        .split(' ')
        .filter(|w| !(w.len() == 5 && w.chars().all(|c| c.is_ascii_digit())))
        .filter(|w| !["a", "au", "de", "la", "l", "du", "des"].contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

fn mec_profession(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[K::AuditionMisEnCause]) {
        let t = s.t();
        let r = if let Some(m) = re!(r"(?i)\bprofession\s*:\s*").find(t) {
            Some(m.end()..field_end(t, m.end()))
        } else if let Some(c) =
            re!(r"(?i)\bj['’]exerce (?:la profession|le métier) d['’e]\s*([^.;,(]+)|\bje travaille comme\s+([^.;,(]+)|\bje suis (sans emploi|sans profession|au chômage|retraitée?|étudiante?)\b")
                .captures(t)
        {
            c.get(1).or(c.get(2)).or(c.get(3)).map(|m| m.range())
        } else {
            None
        };
        let Some(r) = r.map(|r| trim(t, r)).filter(|r| !r.is_empty()) else { continue };
        let v = s.orig_text(r.clone()).to_string();
        out.push(Cand::new(i, r, json!(v), v.clone()));
    }
    out
}

// ---------------------------------------------------------------- the facts

/// Cue words of a statement about when and where the facts happened.
fn facts_cue() -> &'static Regex {
    re!(r"(?i)\bfaits\b|survenu|s['’]est produit|se sont (?:produits|déroulés|passés)|s['’]est passé|commis|\bles faits suivants|ai vu|j'ai assisté|j'ai été témoin|j'étais (?:présente?|sur place|là)|je me trouvais")
}

fn date_faits(ctx: &Ctx<'_>) -> Vec<Cand> {
    let kinds = [
        K::Plainte, K::AuditionVictime, K::AuditionTemoin, K::Constatations, K::AvisMagistrat, K::RapportSynthese,
    ];
    datetime_near(ctx, &kinds, facts_cue(), 0, 120)
}

/// Addresses ("188 rue de l'Église, 93100 Montreuil", "12 bis avenue Foch à Melun").
pub(crate) fn addresses(s: &Sent<'_>) -> Vec<(String, Range<usize>)> {
    let t = s.t();
    let r = re!(
        r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|av\.|boulevard|bd|place|allée|impasse|chemin|route|quai|cours|square|passage|rond-point|résidence|cité|sentier|voie)\b[^,.;:\d]*?(?:(?:,\s*|\s+)(\d{5})\s+|\s+à\s+|,\s*)(\p{Lu}[\p{L}'’\-]*(?:\s\d{1,2}(?i:e))?)"
    );
    r.captures_iter(t)
        .map(|c| {
            let m = c.get(0).expect("m");
            let town_raw = s.orig_text(c.get(2).expect("town").range());
            let town = if town_raw.chars().filter(|c| c.is_alphabetic()).all(|c| c.is_uppercase()) {
                town_raw
                    .split('-')
                    .map(|w| {
                        let l = w.to_lowercase();
                        if ["sur", "sous", "en", "le", "la", "les", "de", "du"].contains(&l.as_str()) { l } else { super::capitalise(&l) }
                    })
                    .collect::<Vec<_>>()
                    .join("-")
            } else {
                town_raw.to_string()
            };
            let street_end = c.get(1).map_or_else(|| c.get(2).expect("town").start(), |p| p.start());
            let street = s.orig_text(m.start()..street_end).trim_end_matches([',', ' ']).trim_end_matches(" à").trim_end_matches([',', ' ']);
            let v = match c.get(1) {
                Some(pc) => format!("{street}, {} {town}", pc.as_str()),
                None => format!("{street}, {town}"),
            };
            (v, m.range())
        })
        .collect()
}

fn lieu_faits(ctx: &Ctx<'_>) -> Vec<Cand> {
    let kinds = [K::Plainte, K::AuditionVictime, K::AuditionTemoin, K::Constatations, K::AvisMagistrat, K::RapportSynthese];
    let mut out = Vec::new();
    for (i, s) in ctx.of(&kinds) {
        if is_heading_or_question(s) {
            continue;
        }
        let t = s.t();
        if re!(r"(?i)\bje (?:demeure|réside)|\bdemeurant|domicilié").is_match(t) {
            continue;
        }
        let addrs: Vec<Found<String>> = addresses(s).into_iter().map(|(v, r)| Found { value: v, range: r }).collect();
        if let Some(a) = near(t, facts_cue(), &addrs, 0, 160).into_iter().next() {
            out.push(Cand::new(i, a.range.clone(), json!(a.value), a.value.clone()).keyed(address_key(&a.value)));
        }
    }
    out
}

fn reconnaissance(ctx: &Ctx<'_>) -> Vec<Cand> {
    let classes: [(&Regex, &str); 4] = [
        (
            re!(r"(?i)droit (?:de me taire|au silence)|(?:ne (?:souhaite|veux) pas|refuse de) répondre|rien à déclarer|garder le silence|\bme taire\b"),
            "garde le silence",
        ),
        (re!(r"(?i)reconnais (?:une |en )?partie|partiellement|reconnais [^.]{0,40}\bmais\b"), "reconnaît partiellement les faits"),
        (
            re!(r"(?i)\bconteste|\bje nie\b|nie les faits|n['’]ai rien fait|ce n['’]est pas moi|ne reconnais pas|je suis innocent"),
            "conteste les faits",
        ),
        (re!(r"(?i)\bje reconnais\b|\bj['’]avoue\b|\bj['’]admets\b|c['’]est bien moi|\boui,? je reconnais"), "reconnaît les faits"),
    ];
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[K::AuditionMisEnCause, K::Confrontation]) {
        if is_heading_or_question(s) || s.t().contains('?') {
            continue;
        }
        let t = s.t();
        for (r, canon) in &classes {
            if let Some(m) = r.find(t) {
                // The whole answer: after "Réponse :" when printed.
                let start = re!(r"(?i)réponse\s*:\s*").find(t).map_or(0, |a| a.end());
                let range = if m.start() >= start { trim(t, start..t.len()) } else { clause(t, m.range(), 120) };
                let range = trim(t, range.start..t[..range.end].trim_end_matches(['.', ' ']).len());
                out.push(Cand::new(i, range, json!(canon), *canon));
                break;
            }
        }
    }
    out
}

fn casier(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[K::Casier]) {
        let t = s.t();
        if let Some(c) = re!(r"(?i)\b(\d+)\s+condamnations?(?:\s*\(s\))?").captures(t) {
            let n: u64 = c[1].parse().unwrap_or(0);
            out.push(Cand::new(i, c.get(0).expect("m").range(), json!(n), format!("{n} condamnation(s)")));
        } else if let Some(m) = re!(r"(?i)\bnéant\b|aucune condamnation|casier (?:judiciaire )?(?:est )?vierge").find(t) {
            out.push(Cand::new(i, m.range(), json!(0), "aucune condamnation"));
        }
    }
    out
}

fn recidive(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[]) {
        if is_heading_or_question(s) {
            continue;
        }
        let t = s.t();
        let Some(m) = re!(r"(?i)(?:en )?(?:état de )?récidive(?: légale)?").find(t) else { continue };
        let r = clause(t, m.range(), 80);
        let c = &t[r.clone()];
        let no = re!(r"(?i)\bn['’]est pas\b|\bpas en\b|\bhors\b|\baucune\b|\bnon\b|\bn['’](?:y )?a pas\b").is_match(c);
        let yes = re!(r"(?i)\b(?:se trouve|est|serait|placé)\b.{0,20}récidive|en état de récidive|en récidive").is_match(c);
        if no || yes {
            out.push(Cand::new(i, r, json!(!no), yes_no_label(!no)));
        }
    }
    out
}

// ---------------------------------------------------------------- garde à vue

fn gav_debut(ctx: &Ctx<'_>) -> Vec<Cand> {
    let cue = re!(r"(?i)à compter d|plaçons en garde à vue|placée? en garde à vue|début de (?:la )?(?:garde à vue|mesure)|débuté|a commencé");
    datetime_near(ctx, &[K::PlacementGav, K::FinGav], cue, 0, 150)
}

fn gav_fin(ctx: &Ctx<'_>) -> Vec<Cand> {
    let cue = re!(r"(?i)\bfin (?:à )?(?:la |de la )?(?:garde à vue|mesure)|\blev[ée]e?\b|mettons fin|prend fin|a pris fin|remise? en liberté|fin de garde à vue|\bterminée?\b");
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[K::FinGav]) {
        let t = s.t();
        let dts: Vec<_> = parse::datetimes(t).into_iter().filter(|d| !opening(t, d.range.clone()) && !began(t, d.range.clone())).collect();
        if let Some(d) = near(t, cue, &dts, 0, 120).into_iter().next() {
            out.push(Cand::new(i, d.range.clone(), json!(d.value), datetime_label(&d.value)));
        }
    }
    out
}

fn gav_prolongation(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = yes_no(
        ctx,
        &[K::ProlongationGav],
        re!(r"(?i)prolongation|prolongée|prolongeons|prolonger"),
        re!(r"(?i)refus (?:de|d'une) prolongation|n['’]a pas (?:été prolongée|fait l['’]objet (?:de|d['’]une) prolongation)"),
    );
    out.retain(|c| !re!(r"(?i)\bpeut\b|\bdemander\b").is_match(&ctx.sents[c.sent].t()[c.range.clone()]));
    out.extend(yes_no(
        ctx,
        &[K::FinGav, K::PlacementGav],
        re!(r"(?i)\ba été prolongée|après prolongation"),
        re!(r"(?i)n['’]a pas (?:été prolongée|fait l['’]objet (?:de|d['’]une) prolongation)|sans prolongation|pas de prolongation"),
    ));
    out
}

fn gav_droits(ctx: &Ctx<'_>) -> Vec<Cand> {
    yes_no(
        ctx,
        &[K::PlacementGav],
        re!(r"(?i)(?:procédons à la |la )?notification (?:de ses|des|de leurs) droits|notifi(?:ons|é|ée|és|ées|er)\b.{0,60}\bdroits|droits .{0,40}(?:ont été|sont|lui a été) notifiés"),
        re!(r"(?i)droits .{0,30}n['’]ont pas été notifiés|sans notification (?:de ses|des) droits"),
    )
}

fn gav_avocat(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = yes_no(
        ctx,
        &[K::PlacementGav],
        re!(r"(?i)(?:demande|souhaite|désire|sollicite)(?: à)? (?:être assistée? par |l'assistance d'|s'entretenir avec )(?:un |une )?avocat|assistée? (?:de|par) Maître|avocat (?:choisi|commis d'office)"),
        re!(r"(?i)renonce à (?:l'assistance d'un|être assistée? par un) avocat|ne (?:désire|souhaite|demande|sollicite) pas (?:à )?(?:être assistée? par |l'assistance d'|s'entretenir avec )(?:un )?avocat|sans (?:l'assistance d'un )?avocat|refuse l'assistance d'un avocat"),
    );
    out.retain(|c| !re!(r"(?i)\bpeut\b|\binformée?\b|à nouveau").is_match(&ctx.sents[c.sent].t()[c.range.clone()]));
    out
}

// ---------------------------------------------------------------- seizures, victim, parquet

fn saisies(ctx: &Ctx<'_>) -> Vec<Cand> {
    // One list: every item placed under seal, cited item by item.
    let mut items: Vec<(usize, Range<usize>, String)> = Vec::new();
    for (i, s) in ctx.of(&[K::PerquisitionSaisie]) {
        let t = s.t();
        for c in re!(r"(?i)scell[ée]s?\s*(?:n°|no|numéro|n\s?o)?\s*\d+\s*:\s*([^.;]+)").captures_iter(t) {
            let m = c.get(1).expect("item");
            let r = trim(t, m.range());
            let mut v = s.orig_text(r.clone()).to_string();
            for (from, to) in [("la somme de ", ""), ("une somme de ", ""), (" grammes", " g"), (" gramme", " g")] {
                v = v.replace(from, to);
            }
            for art in ["un ", "une ", "des ", "le ", "la ", "les "] {
                if let Some(rest) = v.strip_prefix(art) {
                    v = rest.to_string();
                    break;
                }
            }
            items.push((i, r, v));
        }
    }
    if items.is_empty() {
        return Vec::new();
    }
    let list: Vec<String> = items.iter().map(|(_, _, v)| v.clone()).collect();
    let key = list.iter().map(|v| fold(v)).collect::<Vec<_>>().join("|");
    let label = list.join(" ; ");
    items.into_iter().map(|(i, r, _)| Cand::new(i, r, json!(list), label.clone()).keyed(key.clone())).collect()
}

fn partie_civile(ctx: &Ctx<'_>) -> Vec<Cand> {
    yes_no(
        ctx,
        &[K::Plainte, K::AuditionVictime],
        re!(r"(?i)(?:me |se )(?:constituer|constitue|suis constituée?) partie civile"),
        re!(r"(?i)ne (?:souhaite|désire|veux|veut) pas (?:me |se )constituer partie civile|ne (?:me|se) constitue pas partie civile|pas (?:me |se )constituer partie civile"),
    )
}

fn avis_magistrat(ctx: &Ctx<'_>) -> Vec<Cand> {
    // The orientations a parquet gives at the end of a garde à vue or an enquête.
    let classes: [(&Regex, &str); 7] = [
        (re!(r"(?i)reconnaissance préalable de culpabilité|\bCRPC\b"), "CRPC"),
        (re!(r"(?i)comparution immédiate"), "comparution immédiate"),
        (re!(r"(?i)composition pénale"), "composition pénale"),
        (re!(r"(?i)ordonnance pénale"), "ordonnance pénale"),
        (re!(r"(?i)classement sans suite|classée? sans suite"), "classement sans suite"),
        (re!(r"(?i)convocation par (?:OPJ|officier de police judiciaire)|\bCOPJ\b|convocation .{0,30}tribunal correctionnel"), "convocation par OPJ"),
        (re!(r"(?i)poursuite (?:des investigations|de l['’]enquête)|poursuivre (?:les investigations|l['’]enquête)|continuer (?:les investigations|l['’]enquête)"), "poursuite de l'enquête"),
    ];
    let cue = re!(r"(?i)instructions?|prescri|décid|ordonn[ée]|magistrat|parquet|procureur|orientation");
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[K::AvisMagistrat, K::RapportSynthese, K::FinGav]) {
        if is_heading_or_question(s) {
            continue;
        }
        let t = s.t();
        if !cue.is_match(t) {
            continue;
        }
        for (r, canon) in &classes {
            if let Some(m) = r.find(t) {
                out.push(Cand::new(i, clause(t, m.range(), 100), json!(canon), *canon));
                break;
            }
        }
    }
    out
}
