//! The domain definition as the generator sees it: a thin layer over
//! [`ap_operators::domain`], which embeds `datasets/data/{taxonomy,questions,pieces}.toml` and
//! `articles.json` and checks them against each other. The generator and the operators share that
//! one definition; this module only adds the lookups the generator needs.

pub use ap_operators::domain::{AnswerType, Article, Domain, OffenceCategory as Category, Question, COMMON};

/// The domain data shipped with the project, parsed once.
pub fn domain() -> &'static Domain {
    Domain::get()
}

/// The article number of a citation: `"CP 222-13"` → `"222-13"`, `"C. route L234-1"` → `"L234-1"`.
pub fn article_number(cite: &str) -> &str {
    cite.rsplit(' ').next().unwrap_or(cite)
}

/// The questions asked of a dossier about `categories`: common ones first, then each
/// category's, in bank order.
pub fn questions_for<'a>(categories: &[String]) -> Vec<&'a Question> {
    let cats: Vec<&str> = categories.iter().map(String::as_str).collect();
    domain().questions_for(&cats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_has_its_own_questions() {
        let d = domain();
        for c in &d.categories {
            assert!(
                d.questions.iter().any(|q| q.applies_to.contains(&c.id)),
                "no question for {}",
                c.id
            );
        }
        assert!(d.questions.iter().filter(|q| q.is_common()).count() >= 15);
    }

    #[test]
    fn citations_split_into_article_numbers() {
        assert_eq!(article_number("CP 222-13"), "222-13");
        assert_eq!(article_number("C. route L234-1"), "L234-1");
        let art = &domain().articles["CP 222-13"];
        assert!(art.text.contains("huit jours"), "{}", art.text);
    }

    #[test]
    fn questions_follow_the_categories() {
        let qs = questions_for(&["alcool_stupefiants_volant".to_string()]);
        assert!(qs.iter().any(|q| q.id == "alcool_taux"));
        assert!(!qs.iter().any(|q| q.id == "vc_itt"));
    }
}
