//! `assistant-parquet ask`: a free question about a dossier, answered from the command line with
//! the sentences of the file that answer it and where they are printed.
//!
//! The index is the engine's ([`ap_engine::retrieval::Retrieval`], built from its current state
//! of the dossier: passages with the OCR fixes applied, pieces), followed on question
//! ([`Follow::OnQuestion`]: a one-shot command embeds what the question needs, in the foreground). With `--llm-url` (or `ASSISTANT_PARQUET_LLM_URL`), an
//! OpenAI-compatible chat endpoint also writes an answer from the retrieved passages; every
//! sentence it writes is verified against them before it is shown. Without it, nothing leaves
//! the machine.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use ap_engine::DossierState;
use ap_engine::retrieval::{Follow, Retrieval};
use ap_operators::dossier::DossierText;
use ap_operators::native::NativeLibs;
use ap_operators::retrieval::ask::{answer_from_hits, retrieve};
use ap_operators::retrieval::generative::{ChatBackend, GeneratedAnswer, generate};
use ap_operators::retrieval::{AskAnswer, Embedder};
use serde::Serialize;

use crate::dossier_cmd::EngineArgs;

/// Flags of `ask`.
#[derive(Debug, clap::Args)]
pub struct AskArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Dossier to question.
    #[arg(long)]
    pub dossier: String,
    /// The question, in French.
    pub question: String,
    /// Print JSON (hits, answer, generated answer) instead of text.
    #[arg(long)]
    pub json: bool,
    /// BM25 only, without the dense embeddings.
    #[arg(long)]
    pub bm25: bool,
    #[command(flatten)]
    pub llm: LlmArgs,
}

/// The optional OpenAI-compatible chat endpoint.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LlmArgs {
    /// Base URL of an OpenAI-compatible API (e.g. http://127.0.0.1:8081/v1). Off when absent.
    #[arg(long, env = "ASSISTANT_PARQUET_LLM_URL")]
    pub llm_url: Option<String>,
    /// Model name sent to that API.
    #[arg(long, env = "ASSISTANT_PARQUET_LLM_MODEL", default_value = "default")]
    pub llm_model: String,
    /// API key (sent as a bearer token).
    #[arg(long, env = "ASSISTANT_PARQUET_LLM_KEY", hide_env_values = true)]
    pub llm_key: Option<String>,
}

/// An OpenAI-compatible `/chat/completions` endpoint.
#[derive(Debug, Clone)]
pub struct OpenAiChat {
    url: String,
    model: String,
    key: Option<String>,
    client: reqwest::blocking::Client,
}

impl OpenAiChat {
    /// The endpoint the flags configure, if any.
    pub fn from_args(args: &LlmArgs) -> Result<Option<Self>> {
        let Some(url) = args.llm_url.as_deref().filter(|u| !u.trim().is_empty()) else { return Ok(None) };
        let client = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .context("client HTTP")?;
        Ok(Some(OpenAiChat {
            url: format!("{}/chat/completions", url.trim_end_matches('/')),
            model: args.llm_model.clone(),
            key: args.llm_key.clone(),
            client,
        }))
    }
}

impl ChatBackend for OpenAiChat {
    fn chat(&self, system: &str, user: &str) -> ap_operators::Result<String> {
        let err = |m: String| ap_operators::Error::Retrieval(format!("modèle génératif ({}) : {m}", self.url));
        let body = serde_json::json!({
            "model": self.model,
            "temperature": 0,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        });
        let mut request = self.client.post(&self.url).json(&body);
        if let Some(key) = &self.key {
            request = request.bearer_auth(key);
        }
        let response = request.send().map_err(|e| err(e.to_string()))?;
        let status = response.status();
        let value: serde_json::Value = response.json().map_err(|e| err(format!("réponse illisible : {e}")))?;
        if !status.is_success() {
            return Err(err(format!("statut {status} : {value}")));
        }
        value["choices"][0]["message"]["content"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| err("réponse sans contenu".into()))
    }
}

/// A dossier's text from the engine's state: passages in reading order.
pub fn dossier_text(state: &DossierState) -> DossierText {
    let mut passages: Vec<_> = state.passages.values().map(|p| p.arc()).collect();
    passages.sort_by(|a, b| {
        let key = |p: &ap_operators::passage::Passage| {
            let s = p.spans.first();
            (p.document.clone(), s.map_or(0, |s| s.page), s.map_or(0, |s| s.range.start), p.kind == ap_operators::passage::PassageKind::Sentence)
        };
        key(a).cmp(&key(b))
    });
    DossierText {
        pages: state.pages.iter().map(|(k, p)| (k.clone(), p.arc())).collect(),
        passages,
        pieces: state.pieces.values().map(|p| p.arc()).collect(),
    }
}

/// The engine's indexes: hybrid when the embedding model loads (and `dense`), else BM25 alone.
pub fn retrieval(engine: &Arc<ap_engine::Engine>, libs: &NativeLibs, dense: bool, follow: Follow) -> Retrieval {
    let embedder = if dense {
        match Embedder::shared(libs) {
            Ok(e) => Some(e),
            Err(e) => {
                tracing::warn!("recherche sans embeddings : {e}");
                None
            }
        }
    } else {
        None
    };
    Retrieval::new(engine, embedder, follow)
}

#[derive(Debug, Serialize)]
struct AskOutput<'a> {
    #[serde(flatten)]
    answer: &'a AskAnswer,
    generated: Option<&'a GeneratedAnswer>,
}

/// `ask`: answer a question about a dossier.
pub fn ask(args: AskArgs) -> Result<()> {
    if args.question.trim().is_empty() {
        bail!("la question est vide");
    }
    let engine = Arc::new(args.engine.open()?);
    engine.sync()?;
    let Some(text) = engine.with_dossier(&args.dossier, dossier_text) else {
        bail!("dossier inconnu ou vide : {}", args.dossier)
    };
    if text.passages.is_empty() {
        bail!("dossier inconnu ou vide : {}", args.dossier);
    }
    let libs = NativeLibs::new(args.engine.lib_dir.as_deref());
    let index = retrieval(&engine, &libs, !args.bm25, Follow::OnQuestion).index(&args.dossier)?.current()?;
    let hits = retrieve(&index, &args.question, 5)?;
    let generated = match OpenAiChat::from_args(&args.llm)? {
        Some(backend) => Some(generate(&backend, &text, &args.question, &hits)?),
        None => None,
    };
    let answer = answer_from_hits(&text, &index, &args.question, hits)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&AskOutput { answer: &answer, generated: generated.as_ref() })?);
        return Ok(());
    }
    println!("Question : {}", answer.question);
    println!("Réponse : {}", answer.text);
    if let Some(g) = &generated {
        println!("Réponse rédigée (vérifiée) : {}", g.text);
        for s in g.sentences.iter().filter(|s| s.rejected.is_some()) {
            println!("  écartée ({}) : {}", s.rejected.as_deref().unwrap_or(""), s.text);
        }
    }
    println!("Passages :");
    for hit in &answer.hits {
        let text: String = hit.text.chars().take(160).collect();
        println!("  [{} p. {}] {}", hit.document, hit.page, text);
    }
    Ok(())
}
