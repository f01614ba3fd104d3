//! Optional generative answers, verified against the passages before anything is shown.
//!
//! French administrations reach hosted open-weight models through OpenAI-compatible chat APIs
//! (the Albert API, for example). A [`ChatBackend`] is such an endpoint, configured by URL, model
//! and key; nothing is called unless one is configured (the default is none). The HTTP client
//! lives in the binary; this module holds what must be right whatever the model says:
//!
//! - [`prompt`]: the prompt holds the question and only the retrieved passages, each with an id
//!   (`[P1]`, `[P2]`…), and asks for short French sentences each ending with the ids it relies
//!   on and the exact words quoted between « »;
//! - [`verify`]: every sentence of the reply is checked: each cited id must be one of the
//!   prompt's passages and each quote must be found in the cited passage's text (accents,
//!   case and spaces aside). A sentence that fails is dropped from the answer and reported as
//!   rejected, with the reason; a sentence without any citation is rejected too.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::dossier::{Citation, DossierText};
use crate::retrieval::Hit;
use crate::{Error, Result};

/// A chat endpoint: sends a system and a user message, returns the assistant's reply.
pub trait ChatBackend: Send + Sync {
    /// The reply to one exchange.
    fn chat(&self, system: &str, user: &str) -> Result<String>;
}

/// Instructions given to the model.
pub const SYSTEM_PROMPT: &str = "Tu es l'assistant d'un magistrat du parquet. Réponds en français, \
en phrases courtes, uniquement à partir des passages fournis. Termine chaque phrase par les \
identifiants des passages qui la justifient entre crochets, par exemple [P2], et cite entre « » \
les mots exacts du passage sur lesquels elle repose. Si les passages ne permettent pas de répondre, \
réponds exactement : Non trouvé dans la procédure.";

/// The passages as the prompt numbers them (`P1`… in order).
pub fn passage_ids(hits: &[Hit]) -> Vec<(String, &Hit)> {
    hits.iter().enumerate().map(|(i, h)| (format!("P{}", i + 1), h)).collect()
}

/// The user message: the retrieved passages with their ids, then the question.
pub fn prompt(question: &str, hits: &[Hit]) -> String {
    let mut out = String::from("Passages de la procédure :\n");
    for (id, hit) in passage_ids(hits) {
        out.push_str(&format!("[{id}] (document {}, page {}) {}\n", hit.document, hit.page, hit.text));
    }
    out.push_str(&format!("\nQuestion : {question}\n"));
    out
}

/// A sentence of the model's reply, after verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckedSentence {
    /// The sentence as the model wrote it (citation markers kept).
    pub text: String,
    /// Citations of its quotes in the dossier (verified), empty when rejected.
    pub citations: Vec<Citation>,
    /// Why the sentence was rejected, in French; `None` when verified.
    pub rejected: Option<String>,
}

/// The model's reply, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedAnswer {
    /// The verified sentences joined (what is displayed), or "Non trouvé dans la procédure".
    pub text: String,
    /// Every sentence, verified or rejected.
    pub sentences: Vec<CheckedSentence>,
}

static CITE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[(P\d+)\]").expect("valid regex"));
static QUOTE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"«\s*([^»]+?)\s*»").expect("valid regex"));

/// Lower case, accents off, blanks collapsed: how quotes are compared with passages.
fn loose(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| if c == '\u{2019}' { '\'' } else { c })
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Split a reply into sentences, each keeping the citation markers that follow its full stop.
fn reply_sentences(reply: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while let Some(c) = reply[i..].chars().next() {
        i += c.len_utf8();
        if matches!(c, '.' | '?' | '!' | '\n') {
            // Citation markers after the full stop belong to this sentence.
            loop {
                let rest = &reply[i..];
                let k = rest.len() - rest.trim_start().len();
                match rest[k..].strip_prefix("[P").and_then(|r| r.find(']').map(|e| (r, e))) {
                    Some((r, e)) if r[..e].chars().all(|c| c.is_ascii_digit()) => i += k + 2 + e + 1,
                    _ => break,
                }
            }
            let sentence = reply[start..i].trim();
            if !sentence.is_empty() {
                out.push(sentence.to_string());
            }
            start = i;
        }
    }
    let rest = reply[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

/// Check every sentence of `reply` against the passages of the prompt.
pub fn verify(dossier: &DossierText, hits: &[Hit], reply: &str) -> GeneratedAnswer {
    let ids: HashMap<String, &Hit> = passage_ids(hits).into_iter().collect();
    let reply = reply.trim();
    if loose(reply).trim_end_matches('.') == loose(super::NOT_FOUND) {
        return GeneratedAnswer { text: super::NOT_FOUND.into(), sentences: Vec::new() };
    }
    let mut sentences = Vec::new();
    for sentence in reply_sentences(reply) {
        let cited: Vec<String> = CITE.captures_iter(&sentence).map(|c| c[1].to_string()).collect();
        let quotes: Vec<String> = QUOTE.captures_iter(&sentence).map(|c| c[1].to_string()).collect();
        let rejected = |why: String| CheckedSentence { text: sentence.clone(), citations: Vec::new(), rejected: Some(why) };
        if cited.is_empty() {
            sentences.push(rejected("aucune source citée".into()));
            continue;
        }
        if let Some(unknown) = cited.iter().find(|id| !ids.contains_key(*id)) {
            sentences.push(rejected(format!("source [{unknown}] inexistante")));
            continue;
        }
        if quotes.is_empty() {
            sentences.push(rejected("aucune citation textuelle".into()));
            continue;
        }
        let mut citations = Vec::new();
        let mut missing = None;
        for quote in &quotes {
            let found = cited.iter().find_map(|id| {
                let hit = ids[id];
                if !loose(&hit.text).contains(&loose(quote)) {
                    return None;
                }
                let passage = dossier.passage(&hit.passage)?;
                let c = dossier.cite_quote(passage, quote);
                // Accents or case differ from the print: cite the whole passage instead.
                Some(if c.is_empty() { dossier.cite_passage(passage) } else { c })
            });
            match found {
                Some(c) if !c.is_empty() => citations.extend(c),
                _ => {
                    missing = Some(quote.clone());
                    break;
                }
            }
        }
        match missing {
            Some(q) => sentences.push(rejected(format!("citation « {q} » introuvable dans les passages cités"))),
            None => sentences.push(CheckedSentence { text: sentence.clone(), citations, rejected: None }),
        }
    }
    let kept: Vec<&str> = sentences.iter().filter(|s| s.rejected.is_none()).map(|s| s.text.as_str()).collect();
    let text = if kept.is_empty() { super::NOT_FOUND.to_string() } else { kept.join(" ") };
    GeneratedAnswer { text, sentences }
}

/// Ask the backend about the retrieved passages and verify its reply.
pub fn generate(backend: &dyn ChatBackend, dossier: &DossierText, question: &str, hits: &[Hit]) -> Result<GeneratedAnswer> {
    if hits.is_empty() {
        return Ok(GeneratedAnswer { text: super::NOT_FOUND.into(), sentences: Vec::new() });
    }
    let reply = backend.chat(SYSTEM_PROMPT, &prompt(question, hits))?;
    if reply.trim().is_empty() {
        return Err(Error::Retrieval("le modèle génératif a renvoyé une réponse vide".into()));
    }
    Ok(verify(dossier, hits, &reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_is_split_after_citation_markers() {
        let s = reply_sentences("Il a un couteau. [P1] Il conteste « les faits ». [P2][P3]\nFin");
        assert_eq!(s, ["Il a un couteau. [P1]", "Il conteste « les faits ». [P2][P3]", "Fin"]);
        let s = reply_sentences("Taux de « 1,61 g/l ». [P1] Il a dit « non ». [P1] Condamné « en 2019 ». [P42]");
        assert_eq!(s.len(), 3, "{s:?}");
    }
}
