//! Retrieval: find the passages of a dossier that speak about a free French question.
//!
//! A magistrate asks "Que dit le témoin sur l'arme ?"; the answer is somewhere in hundreds of
//! pages. [`Index`] is a per-dossier index kept current passage by passage ([`Index::upsert`],
//! [`Index::remove`]: the engine calls them as passages appear, are withdrawn or are fixed by an
//! OCR correction), with two rankings:
//!
//! - BM25 over tantivy, with a French analyzer: lower case, French stop words, accents folded,
//!   Snowball French stemmer ("élèves", "eleves" and "élève" meet);
//! - optionally, dense embeddings (multilingual-e5-small, [`embed`]: through ONNX Runtime by
//!   default, [`e5_onnx`]): cosine between the question and each sentence (its first 48 words;
//!   a paragraph scores as its best sentence), for questions worded differently from the file.
//!   Only sentences are embedded: the model's cost grows fast with length.
//!
//! Embeddings are computed by the next search ([`Index::refresh`]) or, for an index the engine
//! holds (`ap_engine::retrieval`), by a background worker ([`Index::embed_pending`]) while
//! searches rank by BM25 and the embeddings known so far.
//!
//! Both are fused by reciprocal rank fusion; filters by piece kind, person and page range apply
//! to both. Each [`Hit`] carries highlight ranges (the passage's words that match the question's
//! stems). [`ask`] builds the extractive, cited answer on top of it.

pub mod ask;
pub mod e5_onnx;
pub mod e5_tokenizer;
pub mod embed;
pub mod eval;
pub mod generative;

use std::collections::{HashMap, HashSet};
use std::ops::{Bound, Range};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query as TantivyQuery, RangeQuery, TermQuery};
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter,
    TextAnalyzer, TokenStream,
};
use tantivy::{IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

use crate::dossier::DossierText;
use crate::passage::{Passage, PassageKind};
use crate::{Error, Result};

pub use ask::{AskAnswer, AskStatus, AnswerSentence, ask, NOT_FOUND};
pub use embed::{Backend, Embedder};

/// Name of the French analyzer registered in the index.
const FRENCH: &str = "fr_stem";
/// Name of the analyzer for person names (no stemming, no stop words).
const NAMES: &str = "fr_names";
/// Reciprocal rank fusion constant (the usual 60).
const RRF_K: f32 = 60.0;
/// Candidates each ranking contributes before fusion.
const CANDIDATES: usize = 100;

/// The French analyzer: words, lower case, French stop words, accents folded, French stems.
pub fn french_analyzer() -> TextAnalyzer {
    let mut builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .dynamic();
    if let Some(stop) = StopWordFilter::new(Language::French) {
        builder = builder.filter_dynamic(stop);
    }
    builder
        .filter_dynamic(ContractionFilter)
        .filter_dynamic(AsciiFoldingFilter)
        .filter_dynamic(Stemmer::new(Language::French))
        .build()
}

fn names_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser).filter(AsciiFoldingFilter).build()
}

/// Drops the one-letter elided articles and pronouns the tokenizer splits off ("l'arme" →
/// "l", "arme"; "qu'il" → "qu", "il"): French stop words tantivy's list lacks.
#[derive(Clone, Debug)]
struct ContractionFilter;

impl tantivy::tokenizer::TokenFilter for ContractionFilter {
    type Tokenizer<T: tantivy::tokenizer::Tokenizer> = ContractionFilterWrapper<T>;
    fn transform<T: tantivy::tokenizer::Tokenizer>(self, tokenizer: T) -> ContractionFilterWrapper<T> {
        ContractionFilterWrapper(tokenizer)
    }
}

#[derive(Clone, Debug)]
struct ContractionFilterWrapper<T>(T);

impl<T: tantivy::tokenizer::Tokenizer> tantivy::tokenizer::Tokenizer for ContractionFilterWrapper<T> {
    type TokenStream<'a> = ContractionStream<T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        ContractionStream(self.0.token_stream(text))
    }
}

struct ContractionStream<S>(S);

impl<S: TokenStream> TokenStream for ContractionStream<S> {
    fn advance(&mut self) -> bool {
        while self.0.advance() {
            let t = &self.0.token().text;
            if !matches!(t.as_str(), "l" | "d" | "j" | "m" | "n" | "s" | "t" | "c" | "qu" | "jusqu" | "lorsqu" | "puisqu") {
                return true;
            }
        }
        false
    }
    fn token(&self) -> &tantivy::tokenizer::Token {
        self.0.token()
    }
    fn token_mut(&mut self) -> &mut tantivy::tokenizer::Token {
        self.0.token_mut()
    }
}

/// The analysed terms of a text, with their byte ranges.
pub fn analyze(text: &str) -> Vec<(String, Range<usize>)> {
    let mut analyzer = french_analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push((t.text.clone(), t.offset_from..t.offset_to));
    }
    out
}

/// Lower case, no accents: how person names and piece kinds are compared.
fn fold(text: &str) -> Vec<String> {
    let mut analyzer = names_analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Which rankings a search uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// BM25 only.
    Bm25,
    /// Dense embeddings only (needs an embedder).
    Dense,
    /// Both, fused by reciprocal rank fusion (BM25 alone when the index has no embedder).
    #[default]
    Hybrid,
}

/// A search: the question and its filters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Query {
    /// Free text.
    pub text: String,
    /// Number of hits wanted (10 when 0).
    #[serde(default)]
    pub limit: usize,
    /// Only passages of these piece kinds (ids of `PieceKind`, e.g. `audition_temoin`).
    #[serde(default)]
    pub piece_kinds: Vec<String>,
    /// Only passages of pieces about this person (name words, any case or accents).
    #[serde(default)]
    pub person: Option<String>,
    /// Only passages printed within these pages (inclusive, 1-based).
    #[serde(default)]
    pub pages: Option<(u32, u32)>,
    /// Only passages of this document.
    #[serde(default)]
    pub document: Option<String>,
    /// Only sentences, or only paragraphs.
    #[serde(default)]
    pub passage_kind: Option<PassageKind>,
    /// Rankings used.
    #[serde(default)]
    pub mode: SearchMode,
}

impl Query {
    /// A query for `text` with default filters.
    pub fn new(text: impl Into<String>) -> Self {
        Query { text: text.into(), ..Default::default() }
    }
}

/// One passage found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// Passage id.
    pub passage: String,
    /// Sentence or paragraph.
    pub kind: PassageKind,
    /// Document id.
    pub document: String,
    /// First page.
    pub page: u32,
    /// Piece kind id, when known.
    pub piece_kind: Option<String>,
    /// The passage text.
    pub text: String,
    /// Fused score (higher is better).
    pub score: f32,
    /// BM25 score, when BM25 found it.
    pub bm25: Option<f32>,
    /// Cosine with the question, when the dense ranking ran.
    pub cosine: Option<f32>,
    /// Byte ranges of `text` matching the question's words.
    pub highlights: Vec<Range<usize>>,
}

/// What the index keeps of a passage.
#[derive(Debug, Clone)]
struct Entry {
    passage: Arc<Passage>,
    piece_kind: Option<String>,
    persons: Vec<String>,
    last_page: u32,
    /// sha256 of the text (embedding memo key).
    text_key: String,
}

struct Fields {
    id: Field,
    text: Field,
    kind: Field,
    piece_kind: Field,
    persons: Field,
    document: Field,
    first_page: Field,
    last_page: Field,
}

struct Writer {
    writer: IndexWriter,
    dirty: bool,
}

/// The per-dossier index. `upsert`/`remove` are cheap; the next search commits them (and embeds
/// new passages in one batch).
pub struct Index {
    fields: Fields,
    writer: Mutex<Writer>,
    reader: IndexReader,
    entries: RwLock<HashMap<String, Entry>>,
    embedder: Option<Embedder>,
    /// Embeddings by text hash: a passage withdrawn and re-added, or two passages with the same
    /// text, are embedded once.
    embeddings: RwLock<HashMap<String, Arc<[f32]>>>,
    /// Embeddings are computed by a background worker ([`Index::embed_pending`]) rather than by
    /// the next search: searches rank by BM25 at once and by the embeddings known so far.
    background: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").field("passages", &self.len()).field("dense", &self.embedder.is_some()).finish()
    }
}

fn tantivy_err(e: impl std::fmt::Display) -> Error {
    Error::Retrieval(e.to_string())
}

impl Index {
    /// An empty BM25-only index.
    pub fn new() -> Result<Self> {
        Self::build(None)
    }

    /// An empty hybrid index (BM25 + dense embeddings).
    pub fn with_embedder(embedder: Embedder) -> Result<Self> {
        Self::build(Some(embedder))
    }

    fn build(embedder: Option<Embedder>) -> Result<Self> {
        let mut schema = Schema::builder();
        let text_options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(FRENCH).set_index_option(IndexRecordOption::WithFreqs),
        );
        let names_options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(NAMES).set_index_option(IndexRecordOption::Basic),
        );
        let fields = Fields {
            id: schema.add_text_field("id", STRING | STORED),
            text: schema.add_text_field("text", text_options),
            kind: schema.add_text_field("kind", STRING),
            piece_kind: schema.add_text_field("piece_kind", STRING),
            persons: schema.add_text_field("persons", names_options),
            document: schema.add_text_field("document", STRING),
            first_page: schema.add_u64_field("first_page", INDEXED),
            last_page: schema.add_u64_field("last_page", INDEXED),
        };
        let index = tantivy::Index::create_in_ram(schema.build());
        index.tokenizers().register(FRENCH, french_analyzer());
        index.tokenizers().register(NAMES, names_analyzer());
        let writer = index.writer_with_num_threads(1, 15_000_000).map_err(tantivy_err)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(tantivy_err)?;
        Ok(Index {
            fields,
            writer: Mutex::new(Writer { writer, dirty: false }),
            reader,
            entries: RwLock::new(HashMap::new()),
            embedder,
            embeddings: RwLock::new(HashMap::new()),
            background: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Whether dense embeddings are used.
    pub fn has_embedder(&self) -> bool {
        self.embedder.is_some()
    }

    /// Number of passages indexed.
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a passage is indexed.
    pub fn contains(&self, passage: &str) -> bool {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).contains_key(passage)
    }

    /// Add a passage, or replace the one with the same id. `piece_kind` is the id of the piece
    /// kind it belongs to; `persons` the names of the persons that piece is about.
    pub fn upsert(&self, passage: &Passage, piece_kind: Option<&str>, persons: &[String]) -> Result<()> {
        let f = &self.fields;
        let last_page = passage.spans.last().map_or(0, |s| s.page);
        let mut document = doc!(
            f.id => passage.id.as_str(),
            f.text => passage.text.as_str(),
            f.kind => kind_id(passage.kind),
            f.document => passage.document.as_str(),
            f.first_page => u64::from(passage.first_page()),
            f.last_page => u64::from(last_page),
        );
        if let Some(k) = piece_kind {
            document.add_text(f.piece_kind, k);
        }
        for p in persons {
            document.add_text(f.persons, p);
        }
        {
            let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            w.writer.delete_term(Term::from_field_text(f.id, &passage.id));
            w.writer.add_document(document).map_err(tantivy_err)?;
            w.dirty = true;
        }
        let entry = Entry {
            passage: Arc::new(passage.clone()),
            piece_kind: piece_kind.map(str::to_string),
            persons: persons.iter().flat_map(|p| fold(p)).collect(),
            last_page,
            text_key: hex::encode(Sha256::digest(passage.text.as_bytes())),
        };
        self.entries.write().unwrap_or_else(|e| e.into_inner()).insert(passage.id.clone(), entry);
        Ok(())
    }

    /// Add (or replace) a passage of `dossier`, with the kind and persons of the piece it starts in.
    pub fn upsert_in(&self, dossier: &DossierText, passage: &Passage) -> Result<()> {
        let piece = dossier.piece_of(passage);
        let persons: Vec<String> = piece
            .map(|p| p.persons.iter().map(|n| format!("{} {}", n.nom, n.prenom.as_deref().unwrap_or(""))).collect())
            .unwrap_or_default();
        self.upsert(passage, piece.map(|p| p.kind.id()), &persons)
    }

    /// Index every passage of `dossier` (pieces give kinds and persons).
    pub fn add_dossier(&self, dossier: &DossierText) -> Result<()> {
        for passage in &dossier.passages {
            self.upsert_in(dossier, passage)?;
        }
        Ok(())
    }

    /// Bring the index to `dossier`'s passages: withdraw those it no longer has, add the new
    /// ones (a passage fixed by an OCR correction is both). Returns (added, removed).
    pub fn sync_with(&self, dossier: &DossierText) -> Result<(usize, usize)> {
        let current: HashSet<&str> = dossier.passages.iter().map(|p| p.id.as_str()).collect();
        let stale: Vec<String> = {
            let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
            entries.keys().filter(|id| !current.contains(&id[..])).cloned().collect()
        };
        for id in &stale {
            self.remove(id)?;
        }
        // A passage fixed by an OCR correction keeps its id with a new text: re-indexed too.
        let changed: Vec<&Passage> = {
            let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
            dossier
                .passages
                .iter()
                .map(|p| &**p)
                .filter(|p| entries.get(&p.id).is_none_or(|e| e.passage.text != p.text))
                .collect()
        };
        let added = changed.len();
        for passage in changed {
            self.upsert_in(dossier, passage)?;
        }
        Ok((added, stale.len()))
    }

    /// Withdraw a passage (no-op when absent).
    pub fn remove(&self, passage: &str) -> Result<()> {
        if self.entries.write().unwrap_or_else(|e| e.into_inner()).remove(passage).is_none() {
            return Ok(());
        }
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        w.writer.delete_term(Term::from_field_text(self.fields.id, passage));
        w.dirty = true;
        Ok(())
    }

    /// Leave embeddings to a background worker calling [`Index::embed_pending`] (`true`), or
    /// compute them in the next search (`false`, the default).
    pub fn set_background_embedding(&self, on: bool) {
        self.background.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Make pending changes searchable: commit the full-text index and, unless a background
    /// worker does it, embed new texts.
    pub fn refresh(&self) -> Result<()> {
        self.commit()?;
        if !self.background.load(std::sync::atomic::Ordering::Relaxed) {
            self.embed_pending(usize::MAX)?;
        }
        Ok(())
    }

    /// Commit the full-text index (BM25 sees the changes).
    pub fn commit(&self) -> Result<()> {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if w.dirty {
            w.writer.commit().map_err(tantivy_err)?;
            self.reader.reload().map_err(tantivy_err)?;
            w.dirty = false;
        }
        Ok(())
    }

    /// Sentences waiting for their embedding (0 without an embedder).
    pub fn pending_embeddings(&self) -> usize {
        if self.embedder.is_none() {
            return 0;
        }
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let known = self.embeddings.read().unwrap_or_else(|e| e.into_inner());
        entries.values().filter(|e| e.passage.kind == PassageKind::Sentence && !known.contains_key(&e.text_key)).count()
    }

    /// Embed the sentences that have no embedding yet, `chunk` texts per call of the model: each
    /// chunk is searchable as soon as it is embedded. Returns how many texts were embedded.
    pub fn embed_pending(&self, chunk: usize) -> Result<usize> {
        let Some(embedder) = &self.embedder else { return Ok(0) };
        let missing: Vec<(String, Arc<Passage>)> = {
            let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
            let known = self.embeddings.read().unwrap_or_else(|e| e.into_inner());
            let mut seen = HashSet::new();
            entries
                .values()
                .filter(|e| e.passage.kind == PassageKind::Sentence)
                .filter(|e| !known.contains_key(&e.text_key) && seen.insert(e.text_key.clone()))
                .map(|e| (e.text_key.clone(), e.passage.clone()))
                .collect()
        };
        for group in missing.chunks(chunk.max(1)) {
            let texts: Vec<&str> = group.iter().map(|(_, p)| embedded_text(&p.text)).collect();
            let vectors = embedder.passages(&texts)?;
            let mut known = self.embeddings.write().unwrap_or_else(|e| e.into_inner());
            for ((key, _), v) in group.iter().zip(vectors) {
                known.insert(key.clone(), v.into());
            }
        }
        Ok(missing.len())
    }

    /// The passages best matching `query`, best first.
    pub fn search(&self, query: &Query) -> Result<Vec<Hit>> {
        self.refresh()?;
        let limit = if query.limit == 0 { 10 } else { query.limit };
        let terms = analyze(&query.text);
        let use_dense = self.embedder.is_some() && query.mode != SearchMode::Bm25;
        let use_bm25 = query.mode != SearchMode::Dense || self.embedder.is_none();

        let bm25 = if use_bm25 { self.bm25(query, &terms, CANDIDATES.max(limit))? } else { Vec::new() };
        let dense = if use_dense { self.dense(query, CANDIDATES.max(limit))? } else { Vec::new() };

        // Reciprocal rank fusion.
        let mut fused: HashMap<String, (f32, Option<f32>, Option<f32>)> = HashMap::new();
        for (rank, (id, score)) in bm25.iter().enumerate() {
            let e = fused.entry(id.clone()).or_default();
            e.0 += 1.0 / (RRF_K + rank as f32 + 1.0);
            e.1 = Some(*score);
        }
        for (rank, (id, cos)) in dense.iter().enumerate() {
            let e = fused.entry(id.clone()).or_default();
            e.0 += 1.0 / (RRF_K + rank as f32 + 1.0);
            e.2 = Some(*cos);
        }
        let mut ranked: Vec<_> = fused.into_iter().collect();
        ranked.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(limit);

        let stems: HashSet<&str> = terms.iter().map(|(t, _)| t.as_str()).collect();
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        Ok(ranked
            .into_iter()
            .filter_map(|(id, (score, bm25, cosine))| {
                let e = entries.get(&id)?;
                let highlights = merge_ranges(
                    analyze(&e.passage.text).into_iter().filter(|(t, _)| stems.contains(t.as_str())).map(|(_, r)| r),
                    &e.passage.text,
                );
                Some(Hit {
                    passage: id,
                    kind: e.passage.kind,
                    document: e.passage.document.clone(),
                    page: e.passage.first_page(),
                    piece_kind: e.piece_kind.clone(),
                    text: e.passage.text.clone(),
                    score,
                    bm25,
                    cosine,
                    highlights,
                })
            })
            .collect())
    }

    /// Inverse document frequency of an analysed term (BM25's formula), and whether any passage
    /// holds it.
    pub fn idf(&self, term: &str) -> f32 {
        let searcher = self.reader.searcher();
        let n = searcher.num_docs() as f32;
        let df = searcher.doc_freq(&Term::from_field_text(self.fields.text, term)).unwrap_or(0) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    fn filter_clauses(&self, query: &Query) -> Vec<(Occur, Box<dyn TantivyQuery>)> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
        let term_query = |field: Field, text: &str| -> Box<dyn TantivyQuery> {
            Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::Basic))
        };
        if !query.piece_kinds.is_empty() {
            let any: Vec<(Occur, Box<dyn TantivyQuery>)> =
                query.piece_kinds.iter().map(|k| (Occur::Should, term_query(f.piece_kind, k))).collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if let Some(person) = &query.person {
            for word in fold(person) {
                clauses.push((Occur::Must, term_query(f.persons, &word)));
            }
        }
        if let Some(document) = &query.document {
            clauses.push((Occur::Must, term_query(f.document, document)));
        }
        if let Some(kind) = query.passage_kind {
            clauses.push((Occur::Must, term_query(f.kind, kind_id(kind))));
        }
        if let Some((from, to)) = query.pages {
            // Overlap: first_page <= to and last_page >= from.
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Unbounded,
                    Bound::Included(Term::from_field_u64(f.first_page, u64::from(to))),
                )),
            ));
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_u64(f.last_page, u64::from(from))),
                    Bound::Unbounded,
                )),
            ));
        }
        clauses
    }

    fn bm25(&self, query: &Query, terms: &[(String, Range<usize>)], n: usize) -> Result<Vec<(String, f32)>> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let f = &self.fields;
        let words: Vec<Term> = {
            let mut seen = HashSet::new();
            terms.iter().filter(|(t, _)| seen.insert(t.clone())).map(|(t, _)| Term::from_field_text(f.text, t)).collect()
        };
        let mut clauses = self.filter_clauses(query);
        // Filters must not score: wrap them so only the words count.
        for c in &mut clauses {
            let inner = std::mem::replace(&mut c.1, Box::new(BooleanQuery::new(Vec::new())));
            c.1 = Box::new(tantivy::query::ConstScoreQuery::new(inner, 0.0));
        }
        clauses.push((Occur::Must, Box::new(BooleanQuery::new_multiterms_query(words))));
        let q = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher.search(&q, &TopDocs::with_limit(n).order_by_score()).map_err(tantivy_err)?;
        let mut out = Vec::with_capacity(top.len());
        for (score, address) in top {
            let d: TantivyDocument = searcher.doc(address).map_err(tantivy_err)?;
            if let Some(id) = d.get_first(f.id).and_then(|v| v.as_str()) {
                out.push((id.to_string(), score));
            }
        }
        Ok(out)
    }

    fn dense(&self, query: &Query, n: usize) -> Result<Vec<(String, f32)>> {
        let Some(embedder) = &self.embedder else { return Ok(Vec::new()) };
        let q = embedder.query(&query.text)?;
        let person: Vec<String> = query.person.as_deref().map(fold).unwrap_or_default();
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let known = self.embeddings.read().unwrap_or_else(|e| e.into_inner());
        let keep = |e: &Entry| {
            (query.piece_kinds.is_empty() || e.piece_kind.as_ref().is_some_and(|k| query.piece_kinds.contains(k)))
                && person.iter().all(|w| e.persons.contains(w))
                && query.document.as_ref().is_none_or(|d| &e.passage.document == d)
                && query.pages.is_none_or(|(a, b)| e.passage.first_page() <= b && e.last_page >= a)
        };
        // Sentences are embedded; a paragraph scores as its best sentence.
        let sentences: Vec<(&Entry, f32)> = entries
            .values()
            .filter(|e| e.passage.kind == PassageKind::Sentence && keep(e))
            .filter_map(|e| Some((e, embed::cosine(&q, known.get(&e.text_key)?))))
            .collect();
        let mut best: HashMap<&str, f32> = HashMap::new();
        if query.passage_kind != Some(PassageKind::Sentence) {
            let mut paragraphs: HashMap<(&str, u32), ParagraphSpans<'_>> = HashMap::new();
            for e in entries.values().filter(|e| e.passage.kind == PassageKind::Paragraph && keep(e)) {
                for span in &e.passage.spans {
                    paragraphs.entry((e.passage.document.as_str(), span.page)).or_default().push((&span.range, e.passage.id.as_str()));
                }
            }
            for (e, cos) in &sentences {
                let Some(span) = e.passage.spans.first() else { continue };
                if let Some(list) = paragraphs.get(&(e.passage.document.as_str(), span.page))
                    && let Some((_, id)) = list.iter().find(|(r, _)| r.start <= span.range.start && span.range.start < r.end)
                {
                    let slot = best.entry(id).or_insert(f32::MIN);
                    *slot = slot.max(*cos);
                }
            }
        }
        if query.passage_kind != Some(PassageKind::Paragraph) {
            for (e, cos) in &sentences {
                best.insert(e.passage.id.as_str(), *cos);
            }
        }
        let mut scored: Vec<(String, f32)> = best.into_iter().map(|(id, c)| (id.to_string(), c)).collect();
        let n = n.min(scored.len());
        if n == 0 {
            return Ok(Vec::new());
        }
        scored.select_nth_unstable_by(n - 1, |a, b| b.1.total_cmp(&a.1));
        scored.truncate(n);
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(scored)
    }
}

/// The spans of the paragraphs printed on one page: (byte range on the page, paragraph id).
type ParagraphSpans<'a> = Vec<(&'a Range<usize>, &'a str)>;

/// What is embedded of a sentence: its first 48 words (the engine's cost grows fast with
/// length, and a sentence's topic is in its first words).
pub fn embedded_text(text: &str) -> &str {
    match text.split_whitespace().nth(48) {
        Some(word) => {
            let end = word.as_ptr() as usize - text.as_ptr() as usize;
            text[..end].trim_end()
        }
        None => text,
    }
}

fn kind_id(kind: PassageKind) -> &'static str {
    match kind {
        PassageKind::Sentence => "sentence",
        PassageKind::Paragraph => "paragraph",
    }
}

/// Sorted ranges, those separated by blanks only merged into one.
fn merge_ranges(ranges: impl Iterator<Item = Range<usize>>, text: &str) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for r in ranges {
        if let Some(last) = out.last_mut()
            && r.start >= last.end
            && text.get(last.end..r.start).is_some_and(|gap| gap.trim().is_empty())
        {
            last.end = r.end;
            continue;
        }
        out.push(r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passage::PassageSpan;

    fn passage(id: &str, text: &str, page: u32) -> Passage {
        Passage {
            id: id.into(),
            kind: PassageKind::Sentence,
            document: "doc1".into(),
            text: text.into(),
            spans: vec![PassageSpan { page, range: 0..text.len(), boxes: vec![] }],
        }
    }

    #[test]
    fn analyzer_folds_accents_stems_and_drops_stop_words() {
        let terms: Vec<String> = analyze("Les élèves de l'école").into_iter().map(|(t, _)| t).collect();
        let plain: Vec<String> = analyze("eleve ecoles").into_iter().map(|(t, _)| t).collect();
        assert_eq!(terms, plain, "{terms:?} vs {plain:?}");
        assert!(!terms.iter().any(|t| t == "les" || t == "de" || t == "l"));
    }

    #[test]
    fn upsert_replace_remove_and_filters() {
        let index = Index::new().unwrap();
        index.upsert(&passage("a", "Le témoin a vu un couteau dans la main du mis en cause.", 2), Some("audition_temoin"), &["DUPONT Marie".into()]).unwrap();
        index.upsert(&passage("b", "La victime présente une plaie au bras.", 5), Some("certificat_medical"), &[]).unwrap();
        let hits = index.search(&Query::new("couteau")).unwrap();
        assert_eq!(hits.iter().map(|h| h.passage.as_str()).collect::<Vec<_>>(), ["a"]);
        assert_eq!(&hits[0].text[hits[0].highlights[0].clone()], "couteau");

        // Filters.
        let q = |f: &dyn Fn(&mut Query)| {
            let mut q = Query::new("couteau plaie");
            f(&mut q);
            index.search(&q).unwrap().into_iter().map(|h| h.passage).collect::<Vec<_>>()
        };
        assert_eq!(q(&|q| q.piece_kinds = vec!["certificat_medical".into()]), ["b"]);
        assert_eq!(q(&|q| q.person = Some("dupont".into())), ["a"]);
        assert_eq!(q(&|q| q.pages = Some((4, 9))), ["b"]);
        assert_eq!(q(&|q| q.pages = Some((1, 2))), ["a"]);

        // Replacement by id: the old text is gone.
        index.upsert(&passage("a", "Le témoin a vu un pistolet.", 2), Some("audition_temoin"), &[]).unwrap();
        assert!(index.search(&Query::new("couteau")).unwrap().is_empty());
        assert_eq!(index.search(&Query::new("pistolet")).unwrap()[0].passage, "a");
        index.remove("a").unwrap();
        assert!(index.search(&Query::new("pistolet")).unwrap().is_empty());
        assert_eq!(index.len(), 1);
    }
}
