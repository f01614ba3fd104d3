//! Extractors of the questions of each offence category: the ITT, the weapon, the alcohol rate
//! and how it was measured, the substance and its weight, the amounts, the threats, the
//! harassment, the refusal to stop, the licence, the stolen or received goods.
//!
//! Open answers (a weapon, threatening words) are the printed words themselves; answers that
//! magistrates classify (how a rate was measured, what the victim asks for, the kind of fraud) are
//! mapped onto the usual French categories by cue words, and left unanswered when no cue fits.

use regex::Regex;
use serde_json::json;

use super::common::{amount_near, clause, datetime_label, is_heading_or_question, near, trim, yes_no};
use super::parse::{self, Found};
use super::{Cand, Ctx, fold, re, yes_no_label};
use crate::domain::Question;
use crate::piece::PieceKind as K;

const VICTIM: &[K] = &[K::Plainte, K::AuditionVictime];

/// The extractor of `q` if it belongs to an offence category.
pub(super) fn extract(ctx: &Ctx<'_>, q: &Question) -> Option<Vec<Cand>> {
    Some(match q.id.as_str() {
        "vol_objets" => vol_objets(ctx),
        "vol_valeur" => amount_near(ctx, VICTIM, re!(r"(?i)valeur|valant|estimée? à|d['’]un montant")),
        "vol_effraction" => yes_no(
            ctx,
            &[K::Plainte, K::AuditionVictime, K::Constatations],
            re!(r"(?i)effraction|fractur[ée]|(?:porte|serrure|fenêtre) (?:a été )?(?:forcée|brisée)"),
            re!(r"(?i)sans (?:trace d['’])?effraction|aucune (?:trace d['’])?effraction|pas (?:de trace )?d['’]effraction|n['’]a pas été forcée"),
        ),
        "vol_auteurs" => vol_auteurs(ctx),
        "violences_itt" | "vc_itt" => itt(ctx),
        "violences_arme" => arme(ctx),
        "violences_lien" => lien(ctx),
        "violences_mineurs" | "vc_enfants" => yes_no(
            ctx,
            &[K::Plainte, K::AuditionVictime, K::AuditionTemoin],
            re!(r"(?i)enfants?(?: mineurs?)? (?:étai(?:en)?t|étant) présents?|en présence (?:de |des |de mes |de nos )?(?:enfants|mineurs)|devant (?:les|mes|nos) enfants|(?:nos|mes|les) enfants (?:ont|a) tout vu"),
            re!(r"(?i)aucun (?:enfant|mineur)|pas d['’]enfants? présents?|enfants? n['’](?:étai(?:en)?t) pas (?:présents?|là|à la maison)|hors (?:de )?la présence (?:des|d['’])? ?enfants"),
        ),
        "vc_antecedents" => vc_antecedents(ctx),
        "vc_souhait" => classify(ctx, VICTIM, &[
            (re!(r"(?i)quitte le domicile|parte de (?:la maison|chez nous)|éviction"), "éviction du conjoint du domicile"),
            (re!(r"(?i)se soigne|soins|suive un traitement"), "soins pour le conjoint"),
            (re!(r"(?i)ne (?:veux|souhaite) pas qu['’]il aille en prison|pas (?:de |d['’])?(?:prison|incarcération)"), "pas d'incarcération"),
            (re!(r"(?i)justice le punisse|soit puni|poursuivi|condamné|des poursuites"), "poursuites pénales"),
        ], re!(r"(?i)\bje (?:veux|souhaite|voudrais|demande|désire)|mon souhait")),
        "vc_protection" => classify(ctx, VICTIM, &[
            (re!(r"(?i)ordonnance de protection"), "ordonnance de protection"),
            (re!(r"(?i)téléphone (?:grave|grand) danger|\bTGD\b"), "téléphone grave danger"),
            (re!(r"(?i)relog"), "relogement d'urgence"),
            (re!(r"(?i)interdiction de (?:contact|(?:me |la )?rencontrer|paraître)"), "interdiction de contact"),
        ], re!(r"(?i)sollicite|demande|souhaite|protection|bénéficier")),
        "menaces_propos" => quotes(ctx, VICTIM, re!(r"(?i)\bdit\b|menac|propos|textuellement|lancé|crié|hurlé|déclaré|répété")),
        "menaces_mort" => menaces_mort(ctx),
        "menaces_reiterees" => menaces_reiterees(ctx),
        "harcelement_messages" => harcelement_messages(ctx),
        "harcelement_periode" => harcelement_periode(ctx),
        "harcelement_moyen" => classify(ctx, VICTIM, &[
            (re!(r"(?i)instagram|snapchat|facebook|tiktok|réseaux sociaux"), "réseaux sociaux"),
            (re!(r"(?i)whatsapp"), "messagerie WhatsApp"),
            (re!(r"(?i)courriels?|e-?mails?|messages vocaux"), "courriels et messages vocaux"),
            (re!(r"(?i)\bSMS\b|appels téléphoniques|textos"), "SMS et appels téléphoniques"),
        ], re!(r"(?i)messages?|appels?|harcèle|contact")),
        "as_victime_age" => as_age(ctx),
        "as_gestes" => classify(ctx, VICTIM, &[
            (re!(r"(?i)fesses"), "attouchement des fesses"),
            (re!(r"(?i)poitrine|seins"), "attouchement de la poitrine"),
            (re!(r"(?i)embrass|baiser"), "baiser imposé"),
            (re!(r"(?i)frott"), "frottements"),
        ], re!(r"(?i)\bil (?:m['’]a|a|s['’]est)|touch|embrass|frott")),
        "as_contrainte" => classify(ctx, VICTIM, &[
            (re!(r"(?i)par surprise|surpris"), "surprise"),
            (re!(r"(?i)menaçant|menace|en me menaçant"), "menace"),
            (re!(r"(?i)personne ne me croirait|pression|autorité|chantage affectif"), "contrainte morale"),
            (re!(r"(?i)tenant fermement|de force|violence|immobilis|plaqué"), "violence"),
        ], re!(r"(?i)\ben me\b|\bpar\b|\bil\b")),
        "stup_substance" => stup_substance(ctx),
        "stup_quantite" => stup_quantite(ctx),
        "stup_numeraire" => {
            let mut c = amount_near(
                ctx,
                &[K::PerquisitionSaisie, K::Constatations],
                re!(r"(?i)numéraire|espèces|en liquide|billets|coupures|porteur de la somme|en possession de la somme"),
            );
            c.retain(|c| !is_seal(ctx, c));
            c
        }
        "stup_destination" => classify(ctx, &[K::PerquisitionSaisie, K::Constatations, K::AuditionMisEnCause, K::RapportSynthese], &[
            (re!(r"(?i)usage personnel|consommation personnelle|ma consommation|pour moi"), "usage personnel"),
            (re!(r"(?i)revente|revendre|trafic|\bdeal"), "revente"),
        ], re!(r".")),
        "alcool_taux" => alcool_taux(ctx),
        "alcool_mesure" => alcool_mesure(ctx),
        "alcool_heure" => alcool_heure(ctx),
        "alcool_accident" => yes_no(
            ctx,
            &[K::Constatations, K::RapportSynthese],
            re!(r"(?i)accident|percut|collision|heurt"),
            re!(r"(?i)aucun accident|pas d['’]accident|sans (?:causer d['’])?accident"),
        ),
        "ro_circonstances" => classify(ctx, &[K::Constatations], &[
            (re!(r"(?i)barrage"), "forçage d'un barrage"),
            (re!(r"(?i)avertisseurs|gyrophare|sirène|deux-tons"), "fuite malgré les avertisseurs du véhicule de police"),
            (re!(r"(?i)accéléré|accélère|contrôle routier"), "accélération lors d'un contrôle routier"),
        ], re!(r"(?i)conducteur|véhicule|s['’]arrêter|injonction")),
        "ro_danger" => yes_no(
            ctx,
            &[K::Constatations],
            re!(r"(?i)mettant en danger|mis en danger|se jeter|a failli percuter|risque de mort|exposant"),
            re!(r"(?i)sans (?:toutefois )?mettre en danger|aucun (?:usager|piéton) n['’]a été mis en danger|sans danger"),
        ),
        "csp_situation" => classify(ctx, &[], &[
            (re!(r"(?i)jamais (?:été )?titulaire|jamais obtenu (?:son|le) permis|sans avoir jamais"), "jamais titulaire"),
            (re!(r"(?i)suspen"), "permis suspendu"),
            (re!(r"(?i)annul"), "permis annulé"),
            (re!(r"(?i)invalid|solde de points nul|points? nul"), "permis invalidé (solde de points nul)"),
        ], re!(r"(?i)permis")),
        "or_propos" => quotes(ctx, &[K::Constatations], re!(r"(?i)propos|insult|outrag|traités? de|lancé|adresse")),
        "or_agents" => or_agents(ctx),
        "or_blesses" => yes_no(
            ctx,
            &[K::Constatations],
            re!(r"(?i)(?:fonctionnaire|policier|gendarme|gardien de la paix|agent|collègue)s? .{0,30}bless[ée]"),
            re!(r"(?i)aucun (?:fonctionnaire|policier|gendarme|agent) n['’]a été blessé|sans (?:faire de )?bless"),
        ),
        "esc_montant" => amount_near(ctx, VICTIM, re!(r"(?i)escroqu|vir[ée]|virement|payé|versé|débité|perdu|remis|réglé")),
        "esc_procede" => classify(ctx, VICTIM, &[
            (re!(r"(?i)conseiller bancaire|se présentant comme (?:un )?(?:employé|agent) de (?:ma |la )?banque"), "faux conseiller bancaire"),
            (re!(r"(?i)petites annonces|annonce en ligne|jamais été livré"), "vente fictive sur un site de petites annonces"),
            (re!(r"(?i)technicien|support technique|débloquer mon ordinateur"), "faux support technique"),
            (re!(r"(?i)neveu|petit-fils|petite-fille|se faisant passer pour (?:un|une|mon|ma) (?:proche|parent)"), "usurpation de l'identité d'un proche"),
        ], re!(r".")),
        "adc_bien" => classify(ctx, VICTIM, &[
            (re!(r"(?i)recettes|caisse"), "recettes de caisse"),
            (re!(r"(?i)véhicule que je lui avais prêté|voiture que je lui avais prêtée|véhicule prêté"), "véhicule prêté"),
            (re!(r"(?i)fonds de l['’]association"), "fonds de l'association"),
            (re!(r"(?i)confié pour payer le loyer|loyer"), "somme confiée pour le loyer"),
        ], re!(r"(?i)détourn|conserv|gardé|pas restitué|approprié")),
        "adc_montant" => amount_near(ctx, VICTIM, re!(r"(?i)détourn|montant|soit")),
        "deg_bien" => deg_bien(ctx),
        "deg_montant" => amount_near(ctx, VICTIM, re!(r"(?i)devis|réparation|remise en état|dommage|coût|s['’]élève")),
        "recel_objet" => recel(ctx, true),
        "recel_origine" => recel(ctx, false),
        _ => return None,
    })
}

/// Whether a candidate is in the inventory of seals ("Scellé n° 1 : …"), which lists what was
/// seized rather than stating the facts.
fn is_seal(ctx: &Ctx<'_>, c: &Cand) -> bool {
    re!(r"(?i)scell[ée]s?\s*(?:n°|no|numéro)").is_match(ctx.sents[c.sent].t())
}

/// Map a statement onto one of `classes` (cue → canonical label) in sentences of `kinds` that
/// match `gate`; the first class that matches a sentence wins.
fn classify(ctx: &Ctx<'_>, kinds: &[K], classes: &[(&Regex, &str)], gate: &Regex) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(kinds) {
        if is_heading_or_question(s) {
            continue;
        }
        let t = s.t();
        if !gate.is_match(t) {
            continue;
        }
        for (r, canon) in classes {
            if let Some(m) = r.find(t) {
                out.push(Cand::new(i, clause(t, m.range(), 100), json!(canon), *canon));
                break;
            }
        }
    }
    out
}

/// Words between French quotation marks near a cue: the words themselves.
fn quotes(ctx: &Ctx<'_>, kinds: &[K], cue: &Regex) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(kinds) {
        let t = s.t();
        let qs: Vec<Found<String>> = re!(r#"[«“"]\s*([^»”"]{3,200}?)\s*[»”"]"#)
            .captures_iter(t)
            .map(|c| Found { value: s.orig_text(c.get(1).expect("words").range()).trim().to_string(), range: c.get(0).expect("m").range() })
            .collect();
        if let Some(q) = near(t, cue, &qs, 20, 60).into_iter().next() {
            out.push(Cand::new(i, q.range.clone(), json!(q.value), format!("« {} »", q.value)));
        }
    }
    out
}

fn vol_objets(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(VICTIM) {
        let t = s.t();
        let Some(m) = re!(r"(?i)(?:on m['’]a|il m['’]a|ils m['’]ont|m['’]ont été|m['’]a été|a été) (?:dérobé|volé|soustrait|subtilisé|arraché|pris)s?e?s?\s*:?\s*").find(t)
        else {
            continue;
        };
        let rest = &t[m.end()..];
        let end = re!(r",\s*(?:pour|d['’]une|soit|le tout)|\.|;").find(rest).map_or(rest.len(), |e| e.start());
        let r = trim(t, m.end()..m.end() + end);
        if r.is_empty() {
            continue;
        }
        let items: Vec<String> = re!(r",\s*|\s+et\s+")
            .split(s.orig_text(r.clone()))
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect();
        let key = { let mut k: Vec<String> = items.iter().map(|x| fold(x)).collect(); k.sort(); k.join("|") };
        let label = items.join(", ");
        out.push(Cand::new(i, r, json!(items), label).keyed(key));
    }
    out
}

fn vol_auteurs(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[K::Plainte, K::AuditionVictime, K::AuditionTemoin]) {
        if is_heading_or_question(s) {
            continue;
        }
        let t = s.t();
        if let Some(m) = re!(r"(?i)\bun seul (?:individu|auteur|homme|voleur)").find(t) {
            out.push(Cand::new(i, m.range(), json!(1), "1 auteur"));
        } else if let Some(c) = re!(r"(?i)\b(\d+)\s+(?:individus|auteurs|hommes|voleurs|malfaiteurs)\b").captures(t) {
            let n: u64 = c[1].parse().unwrap_or(0);
            if (1..20).contains(&n) {
                out.push(Cand::new(i, c.get(0).expect("m").range(), json!(n), format!("{n} auteurs")));
            }
        }
    }
    out
}

fn itt(ctx: &Ctx<'_>) -> Vec<Cand> {
    let cue = re!(r"(?i)\bI\.?T\.?T\.?\b|incapacité totale de travail");
    let scan = |kinds: &[K]| {
        let mut out = Vec::new();
        for (i, s) in ctx.of(kinds) {
            let t = s.t();
            if !cue.is_match(t) {
                continue;
            }
            if let Some(m) = re!(r"(?i)(?:pas d['’]|aucune |sans )(?:I\.?T\.?T|incapacité)|ITT\s*(?::|de|nulle)?\s*néant").find(t) {
                out.push(Cand::new(i, m.range(), json!(0.0), "pas d'ITT"));
            } else if let Some(d) = near(t, cue, &parse::days(t), 0, 40).into_iter().next() {
                out.push(Cand::new(i, d.range.clone(), json!(d.value), format!("ITT de {} jour(s)", d.value)));
            }
        }
        out
    };
    let medical = scan(&[K::CertificatMedical]);
    if medical.is_empty() { scan(&[]) } else { medical }
}

fn arme(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[K::Plainte, K::AuditionVictime]) {
        let t = s.t();
        if let Some(m) = re!(r"(?i)à mains nues|\bsans arme\b|à coups de poings?").find(t) {
            out.push(Cand::new(i, clause(t, m.range(), 40), json!("aucune arme (mains nues)"), "aucune arme (mains nues)"));
        } else if let Some(c) =
            re!(r"(?i)(?:frappée?|blessée?|menacée?|agressée?|attaquée?|porté des coups)\s+(?:\S+\s+){0,3}?(?:avec|à l['’]aide d['’]|au moyen d['’])\s*([^,.;]+)|(?:armé|muni)e? d['’]\s*([^,.;]+)")
                .captures(t)
        {
            let m = c.get(1).or(c.get(2)).expect("weapon");
            let r = trim(t, m.range());
            let v = s.orig_text(r.clone()).to_string();
            out.push(Cand::new(i, r, json!(v), v.clone()));
        }
    }
    out
}

fn lien(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(VICTIM) {
        let t = s.t();
        if let Some(m) = re!(r"(?i)ne (?:le |la )?connaissais pas|(?:un|une|d['’]un|d['’]une) (?:parfaite?s? )?inconnue?|ne (?:le |la )?connais pas").find(t) {
            out.push(Cand::new(i, clause(t, m.range(), 60), json!("inconnu"), "inconnu"));
        } else if let Some(c) = re!(r"(?i)(?:il|elle|l['’]auteur) (?:s['’]agit de|est) (?:mon|ma) ([^,.;]+)|c['’]est (?:mon|ma) ([^,.;]+)").captures(t) {
            let m = c.get(1).or(c.get(2)).expect("relation");
            let r = trim(t, m.range());
            let v = s.orig_text(r.clone()).to_string();
            out.push(Cand::new(i, r, json!(v), v.clone()));
        }
    }
    out
}

fn vc_antecedents(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(VICTIM) {
        let t = s.t();
        if let Some(m) = re!(r"(?i)première fois que je (?:dépose plainte|porte plainte|signale)|jamais (?:déposé|porté) plainte|aucune (?:plainte|main courante) (?:antérieure|auparavant)").find(t) {
            out.push(Cand::new(i, clause(t, m.range(), 60), json!(0), "aucune plainte antérieure"));
        } else if let Some(c) = re!(r"(?i)déjà (?:déposé|porté|fait) (\d+) (?:plainte|main)").captures(t).or_else(|| {
            re!(r"(?i)(\d+) (?:plaintes?|mains? courantes?)(?:\(s\))? (?:antérieures?|précédentes?)").captures(t)
        }) {
            let n: u64 = c[1].parse().unwrap_or(0);
            out.push(Cand::new(i, clause(t, c.get(0).expect("m").range(), 60), json!(n), format!("{n} plainte(s) ou main(s) courante(s) antérieure(s)")));
        }
    }
    out
}

fn menaces_mort(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out: Vec<Cand> = quotes(ctx, VICTIM, re!(r"(?i)\bdit\b|menac|propos|textuellement|lancé|crié|hurlé|déclaré|répété"))
        .into_iter()
        .map(|c| {
            let words = c.value.as_str().unwrap_or_default().to_string();
            let death = re!(r"(?i)\btuer\b|\bcrever\b|\bmort\b|\bplanter\b|\bbuter\b|égorger|\bflinguer\b|\bdescendre\b|tu es mort").is_match(&words);
            Cand::new(c.sent, c.range, json!(death), yes_no_label(death))
        })
        .collect();
    for (i, s) in ctx.of(VICTIM) {
        if let Some(m) = re!(r"(?i)menaces? de mort|menacée? de mort").find(s.t()) {
            out.push(Cand::new(i, clause(s.t(), m.range(), 60), json!(true), "oui"));
        }
    }
    out
}

fn menaces_reiterees(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(VICTIM) {
        let t = s.t();
        let yes = re!(r"(?i)pas la première fois|à plusieurs reprises|réitér|plusieurs fois|à nouveau menac|régulièrement|encore menac|n['’]arrête pas de (?:me )?menacer|depuis des (?:semaines|mois)");
        let no = re!(r"(?i)(?:c['’]est|était) la première fois qu['’]il (?:me )?menac|jamais menacée? auparavant|jamais (?:été )?menacée? avant|seule fois");
        if let Some(m) = yes.find(t).filter(|_| re!(r"(?i)menac").is_match(t)) {
            out.push(Cand::new(i, clause(t, m.range(), 60), json!(true), "oui"));
        } else if let Some(m) = no.find(t) {
            out.push(Cand::new(i, clause(t, m.range(), 60), json!(false), "non"));
        }
    }
    out
}

fn harcelement_messages(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(VICTIM) {
        let t = s.t();
        if let Some(c) = re!(r"(?i)\b(\d{1,3}(?:[ \u{a0}.]\d{3})*|\d+)\s+(?:messages|appels|SMS|courriels|mails|textos)\b").captures(t) {
            let Some(n) = parse::number(&c[1]) else { continue };
            out.push(Cand::new(i, c.get(0).expect("m").range(), json!(n as u64), format!("{} messages ou appels", n as u64)));
        }
    }
    out
}

fn harcelement_periode(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(VICTIM) {
        let t = s.t();
        let cue = re!(r"(?i)\bdepuis\b|\bpendant\b|\bdurant\b|\bsur une période de\b");
        if let Some(d) = near(t, cue, &parse::months(t), 0, 8).into_iter().next() {
            out.push(Cand::new(i, d.range.clone(), json!(d.value), format!("{} mois", d.value)));
        }
    }
    out
}

fn as_age(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(VICTIM) {
        let t = s.t();
        if let Some(c) = re!(r"(?i)\bj['’]ai (\d{1,2}) ans\b|\bâgée? de (\d{1,2}) ans\b").captures(t) {
            let n: u64 = c.get(1).or(c.get(2)).map_or(0, |m| m.as_str().parse().unwrap_or(0));
            out.push(Cand::new(i, c.get(0).expect("m").range(), json!(n), format!("{n} ans")));
        }
    }
    out
}

fn stup_substance(ctx: &Ctx<'_>) -> Vec<Cand> {
    let classes: [(&Regex, &str); 5] = [
        (re!(r"(?i)résine de cannabis|haschi?sch|\bshit\b"), "résine de cannabis"),
        (re!(r"(?i)herbe de cannabis|marijuana|\bbeuh\b|herbe"), "herbe de cannabis"),
        (re!(r"(?i)cocaïne|\bcoke\b|crack"), "cocaïne"),
        (re!(r"(?i)héroïne"), "héroïne"),
        (re!(r"(?i)ecstasy|\bMDMA\b"), "MDMA"),
    ];
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[K::PerquisitionSaisie, K::Constatations]) {
        let t = s.t();
        if !re!(r"(?i)positif|découv|saisi|trouv|détient|porteur|pesée|test|contenant|sachet").is_match(t)
            || is_heading_or_question(s)
            || re!(r"(?i)scell[ée]s?\s*(?:n°|no|numéro)").is_match(t)
        {
            continue;
        }
        for (r, canon) in &classes {
            if let Some(m) = r.find(t) {
                out.push(Cand::new(i, m.range(), json!(canon), *canon));
                break;
            }
        }
    }
    out
}

fn stup_quantite(ctx: &Ctx<'_>) -> Vec<Cand> {
    let cue = re!(r"(?i)poids|pesée|pesant|net|environ|grammes de|g de|quantité");
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[K::PerquisitionSaisie, K::Constatations]) {
        let t = s.t();
        if re!(r"(?i)scell[ée]").is_match(t) {
            continue;
        }
        if let Some(w) = near(t, cue, &parse::weights(t), 40, 40).into_iter().next() {
            let v = (w.value * 1000.0).round() / 1000.0;
            out.push(Cand::new(i, w.range.clone(), json!({"value": v, "unit": "g"}), format!("{} g", v).replace('.', ",")));
        }
    }
    out
}

fn alcool_taux(ctx: &Ctx<'_>) -> Vec<Cand> {
    // A ticket prints two measures; the lower one is retained (the rule for éthylomètres).
    let scan = |kinds: &[K]| {
        let mut per_piece: Vec<(usize, Cand)> = Vec::new();
        for (i, s) in ctx.of(kinds) {
            let t = s.t();
            for r in parse::rates(t) {
                let (v, unit) = r.value;
                let c = Cand::new(i, r.range.clone(), json!({"value": v, "unit": unit}), format!("{} {unit}", v).replace('.', ","));
                match per_piece.iter_mut().find(|(p, _)| *p == s.piece && s.piece != usize::MAX) {
                    Some((_, best)) => {
                        if best.value["unit"] == unit && best.value["value"].as_f64().is_some_and(|b| v < b) {
                            *best = c;
                        }
                    }
                    None => per_piece.push((s.piece, c)),
                }
            }
        }
        per_piece.into_iter().map(|(_, c)| c).collect::<Vec<_>>()
    };
    let measured = scan(&[K::Ethylometre, K::ReponseRequisition]);
    if measured.is_empty() { scan(&[]) } else { measured }
}

fn alcool_mesure(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[K::Ethylometre, K::ReponseRequisition, K::Constatations]) {
        let t = s.t();
        if let Some(m) = re!(r"(?i)prélèvement sanguin|prise de sang|analyse (?:de sang|sanguine)|dans le sang").find(t) {
            out.push(Cand::new(i, clause(t, m.range(), 80), json!("analyse de sang"), "analyse de sang"));
        } else if let Some(m) = re!(r"(?i)(?:au moyen|à l['’]aide|par le biais) d(?:e l['’]|['’]un )éthylomètre|souffl[ée] dans (?:l['’]|un )éthylomètre").find(t) {
            out.push(Cand::new(i, m.range(), json!("éthylomètre"), "éthylomètre"));
        }
    }
    out
}

fn alcool_heure(ctx: &Ctx<'_>) -> Vec<Cand> {
    let cue = re!(r"(?i)date\s*/?\s*heure|prélèvement|mesure|effectuée?|souffl|contrôle");
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[K::Ethylometre, K::ReponseRequisition]) {
        let t = s.t();
        if let Some(d) = near(t, cue, &parse::datetimes(t), 0, 60).into_iter().next() {
            out.push(Cand::new(i, d.range.clone(), json!(d.value), datetime_label(&d.value)));
        }
    }
    out
}

fn or_agents(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[K::Constatations]) {
        let t = s.t();
        if let Some(c) = re!(r"(?i)\b(\d+|un)\s+(?:fonctionnaires?|policiers?|gendarmes?|agents?)(?:\(s\))?\s+(?:visés?|outragés?|pris à partie)(?:\(s\))?").captures(t) {
            let n: u64 = if c[1].eq_ignore_ascii_case("un") { 1 } else { c[1].parse().unwrap_or(0) };
            out.push(Cand::new(i, c.get(0).expect("m").range(), json!(n), format!("{n} fonctionnaire(s)")));
        }
    }
    out
}

fn deg_bien(ctx: &Ctx<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(VICTIM) {
        let t = s.t();
        if let Some(c) = re!(r"(?i)(?:dégradé|cassé|brisé|détruit|endommagé|rayé|tagué|fracassé|incendié|crevé)e?s?\s+([^.;]+)").captures(t) {
            let r = trim(t, c.get(1).expect("what").range());
            let v = s.orig_text(r.clone()).to_string();
            out.push(Cand::new(i, r, json!(v), v.clone()));
        }
    }
    out
}

fn recel(ctx: &Ctx<'_>, object: bool) -> Vec<Cand> {
    let mut out = Vec::new();
    for (i, s) in ctx.of(&[K::PerquisitionSaisie, K::Constatations, K::RapportSynthese]) {
        let t = s.t();
        let Some(c) = re!(r"(?i)(?:révèlent|établissent|montrent) que\s+(.+?)\s+(?:provien(?:t|nent)|est issue?|sont issus) d['’e]\s*(?:un |une )?([^,.;]+?)(?:\s+ayant|\s+commis|,|\.|$)").captures(t) else {
            continue;
        };
        if object {
            let m = c.get(1).expect("object");
            let r = trim(t, m.range());
            let mut v = s.orig_text(r.clone()).to_string();
            for art in ["un ", "une ", "le ", "la ", "les ", "des "] {
                if let Some(x) = v.strip_prefix(art) {
                    v = x.to_string();
                    break;
                }
            }
            out.push(Cand::new(i, r, json!(v), v.clone()));
        } else {
            let m = c.get(2).expect("origin");
            let r = trim(t, m.range());
            let v = t[r.clone()].to_string();
            let canon = if re!(r"(?i)violence").is_match(&v) {
                "vol avec violence"
            } else if re!(r"(?i)à la tire").is_match(&v) {
                "vol à la tire"
            } else if re!(r"(?i)cambriolage").is_match(&v) {
                "cambriolage"
            } else if re!(r"(?i)\bvol\b").is_match(&v) {
                "vol"
            } else {
                continue;
            };
            out.push(Cand::new(i, r, json!(canon), canon));
        }
    }
    out
}
