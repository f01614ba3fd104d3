//! Hand-written passages: wordings the corpus generator never produced (abbreviations, typos,
//! other orders) must still be answered, and cited word by word.

use super::*;
use serde_json::json;
use crate::fixtures::dossier;

fn answers(d: &DossierText, categories: &[&str]) -> Vec<Answer> {
    answer_for_categories(d, categories, Domain::get())
}

fn get<'a>(a: &'a [Answer], id: &str) -> &'a Answer {
    a.iter().find(|x| x.question == id).unwrap_or_else(|| panic!("no answer {id}"))
}

/// The answer is found with `value`, and every citation quotes words of the page that contain
/// the value's text `shown`.
fn assert_found(a: &[Answer], id: &str, value: serde_json::Value, shown: &str) {
    let x = get(a, id);
    assert_eq!(x.status, AnswerStatus::Found, "{id}: {x:#?}");
    assert_eq!(x.value.as_ref(), Some(&value), "{id}: {x:#?}");
    assert!(!x.citations.is_empty(), "{id}: no citation");
    assert!(x.citations.iter().any(|c| c.quote.contains(shown)), "{id}: citations {:?} lack {shown:?}", x.citations);
    for c in &x.citations {
        assert!(!c.boxes.is_empty(), "{id}: citation without box");
    }
}

#[test]
fn medical_certificate_with_abbreviated_itt() {
    let d = dossier(&[&[
        "CERTIFICAT MEDICAL",
        "",
        "Je soussignee Dr Claire NOEL certifie avoir examine ce jour Mme Ines BLANC.",
        "",
        "Hematome de l'arcade. ITT de 5j sauf complications.",
    ]]);
    let a = answers(&d, &["violences"]);
    assert_found(&a, "violences_itt", json!(5.0), "5j");
    // Nothing else is said: the rest is not found, never guessed.
    for id in ["violences_arme", "date_faits", "gav_debut", "prejudice", "saisies"] {
        let x = get(&a, id);
        assert_eq!(x.status, AnswerStatus::NotFound, "{id}: {x:#?}");
        assert_eq!(x.text, NOT_FOUND_TEXT);
        assert!(x.citations.is_empty());
    }
}

#[test]
fn alcohol_rate_and_method_written_by_hand() {
    let d = dossier(&[&[
        "PROCES-VERBAL DE CONSTATATIONS",
        "",
        "Le 3 mars 2023 vers 23 h 40, controle du vehicule conduit par M. Paul ROCHE. TA positif.",
        "",
        "Souffle dans l'ethylometre a 00h10 : 0,62 mg/l d'air expire.",
    ]]);
    let a = answers(&d, &["alcool_stupefiants_volant"]);
    assert_found(&a, "alcool_taux", json!({"value": 0.62, "unit": "mg/l"}), "0,62 mg/l");
}

#[test]
fn blood_rate_and_sample_time() {
    let d = dossier(&[&[
        "RESULTAT D'ANALYSE SANGUINE",
        "",
        "Prelevement sanguin effectue le 14/07/2022 a 2h15.",
        "",
        "Le taux releve est de 1,61 g/l de sang.",
    ]]);
    let a = answers(&d, &["alcool_stupefiants_volant"]);
    assert_found(&a, "alcool_taux", json!({"value": 1.61, "unit": "g/l"}), "1,61 g/l");
    assert_found(&a, "alcool_mesure", json!("analyse de sang"), "Prelevement sanguin");
    assert_found(&a, "alcool_heure", json!("2022-07-14T02:15"), "14/07/2022 a 2h15");
}

#[test]
fn drugs_weighed_in_words() {
    let d = dossier(&[&[
        "PROCES-VERBAL DE PERQUISITION ET SAISIE",
        "",
        "Dans le tiroir de la commode nous decouvrons un sachet d'herbe de cannabis pesant trente-six grammes.",
        "",
        "Nous trouvons egalement la somme de 1 250 euros en especes.",
    ]]);
    let a = answers(&d, &["stupefiants"]);
    assert_found(&a, "stup_quantite", json!({"value": 36.0, "unit": "g"}), "trente-six grammes");
    assert_found(&a, "stup_substance", json!("herbe de cannabis"), "herbe de cannabis");
    assert_found(&a, "stup_numeraire", json!(1250.0), "1 250 euros");
}

#[test]
fn complaint_in_words_and_numbers() {
    let d = dossier(&[&[
        "PROCES-VERBAL DE PLAINTE",
        "",
        "Je m'appelle Lucie FAURE, je suis nee le 2 mai 1985.",
        "",
        "Les faits se sont produits le neuf septembre deux mille vingt-quatre a dix-huit heures cinq, au 12 bis rue des Lilas, 77000 Melun.",
        "",
        "Il m'a frappee avec une batte de baseball. C'est mon voisin.",
        "",
        "J'evalue mon prejudice a 2.400 EUR. Je souhaite me constituer partie civile.",
    ]]);
    let a = answers(&d, &["violences"]);
    assert_found(&a, "date_faits", json!("2024-09-09T18:05"), "neuf septembre deux mille vingt-quatre a dix-huit heures cinq");
    assert_found(&a, "victime_identite", json!("Lucie FAURE"), "Lucie FAURE");
    assert_found(&a, "violences_arme", json!("une batte de baseball"), "batte de baseball");
    assert_found(&a, "violences_lien", json!("voisin"), "voisin");
    assert_found(&a, "prejudice", json!(2400.0), "2.400 EUR");
    assert_found(&a, "partie_civile", json!(true), "constituer partie civile");
    let lieu = get(&a, "lieu_faits");
    assert_eq!(lieu.status, AnswerStatus::Found, "{lieu:#?}");
    assert!(lieu.value.as_ref().and_then(|v| v.as_str()).is_some_and(|v| v.contains("rue des Lilas") && v.contains("Melun")), "{lieu:#?}");
}

#[test]
fn two_statements_that_disagree_are_a_conflict() {
    let d = dossier(&[
        &["PROCES-VERBAL DE PLAINTE", "", "J'estime mon prejudice a 300 euros."],
        &["PROCES-VERBAL D'AUDITION DE VICTIME", "", "Apres devis, mon prejudice s'eleve finalement a 450 euros."],
    ]);
    let a = answers(&d, &[]);
    let x = get(&a, "prejudice");
    assert_eq!(x.status, AnswerStatus::Conflicting, "{x:#?}");
    assert_eq!(x.versions.len(), 2);
    let values: Vec<f64> = x.versions.iter().filter_map(|v| v.value.as_f64()).collect();
    assert_eq!(values, vec![300.0, 450.0]);
    assert!(x.versions.iter().all(|v| !v.citations.is_empty()));
    assert!(x.text.contains("divergent"), "{}", x.text);
}

#[test]
fn custody_and_admission() {
    let d = dossier(&[
        &[
            "NOTIFICATION DE PLACEMENT EN GARDE A VUE",
            "",
            "Placons en garde a vue M. Hugo PERRIN a compter du 05/06/2023 a 16:20.",
            "",
            "Lui notifions immediatement ses droits. L'interesse renonce a l'assistance d'un avocat.",
        ],
        &[
            "AUDITION DE LA PERSONNE GARDEE A VUE",
            "",
            "Je m'appelle Hugo PERRIN, ne le 11.02.1999. Je demeure 4 impasse Verte a Sens.",
            "",
            "Question : Reconnaissez-vous les faits ?",
            "",
            "Reponse : Oui j'avoue, c'est bien moi.",
        ],
    ]);
    let a = answers(&d, &[]);
    assert_found(&a, "gav_droits_notifies", json!(true), "notifions");
    assert_found(&a, "gav_avocat", json!(false), "renonce");
    assert_found(&a, "mec_naissance", json!("1999-02-11"), "11.02.1999");
    assert_found(&a, "reconnaissance", json!("reconnaît les faits"), "j'avoue");
}

#[test]
fn silence_and_denial_are_told_apart() {
    let d = dossier(&[&[
        "PROCES-VERBAL D'AUDITION DU MIS EN CAUSE",
        "",
        "Reponse : Je conteste, ce n'est pas moi.",
    ]]);
    let a = answers(&d, &[]);
    assert_found(&a, "reconnaissance", json!("conteste les faits"), "conteste");
    let d = dossier(&[&["PROCES-VERBAL D'AUDITION DU MIS EN CAUSE", "", "Reponse : J'use de mon droit au silence."]]);
    assert_found(&answers(&d, &[]), "reconnaissance", json!("garde le silence"), "droit au silence");
}
