//! The room of one dossier, sans IO: a Yjs document and its awareness, driven by y-sync messages.
//!
//! The edge (`web/`) owns sockets, the durable log and timers; the room only turns an incoming
//! message into [`Effects`]: frames to send (to the sender, to the others, to everyone), updates
//! that must be logged, and corrections to record. The edge must commit [`Effects::durable`] to the
//! log *before* it sends any frame of the same batch, which is what makes "acknowledged" mean
//! "durable": no client ever sees an update the log could lose.
//!
//! Protocol (y-sync, as `y-websocket` speaks it, one message per frame):
//! - on join the room sends sync step 1 (its state vector) and the current awareness states;
//! - a client's sync step 1 gets a sync step 2 (what the client misses);
//! - a client's sync step 2 or update is checked, applied, logged and broadcast to the others;
//! - awareness updates are applied and broadcast; a leaving client's states are removed.
//!
//! Refusals leave the document intact: a `lecteur` gets an `auth` "permission denied" message for
//! any non-empty update; an undecodable message is refused before it touches the document; an
//! update that writes a server-only type, or that makes `yrs` fail or panic while applying, is
//! reported as [`Verdict::Poisoned`]: the edge reloads the room from the log (which never saw it)
//! with [`Room::reload`].

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use yrs::encoding::read::Cursor;
use yrs::sync::protocol::{MessageReader, MSG_SYNC};
use yrs::sync::{Awareness, AwarenessUpdate, Message, SyncMessage};
use yrs::types::ToJson;
use yrs::types::Change;
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{
    Any, Array, ClientID, Doc, Map, Observable, Origin, ReadTxn, StateVector, Text, Transact, Update, Xml,
    XmlElementPrelim, XmlFragment, XmlFragmentRef, XmlTextPrelim,
};

use crate::access::Role;
use crate::error::{Error, Result};
use crate::log::StoredRoom;

/// Root type names of a dossier's document (see `workspace/README.md` for their fields).
pub mod shared {
    /// `Y.Map`: annotation id → annotation object.
    pub const ANNOTATIONS: &str = "annotations";
    /// `Y.XmlFragment`: the synthesis, ProseMirror nodes as `y-prosemirror` stores them.
    pub const SYNTHESIS: &str = "synthesis";
    /// `Y.Array`: correction objects appended by clients (engine inputs).
    pub const CORRECTIONS: &str = "corrections";
    /// `Y.Map`, written by the server only: correction id → status of its recording.
    pub const CORRECTION_STATUS: &str = "correctionStatus";
    /// `Y.Map`, written by the server only: facts about the document (e.g. synthesis initialised).
    pub const SERVER: &str = "server";
}

/// Origin of the transactions the server itself makes.
const SERVER_ORIGIN: &str = "assistant-parquet";

/// Id of a connection, unique within the process.
pub type ConnId = u64;

/// Who receives a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Only this connection.
    Conn(ConnId),
    /// Every connection of the room except this one.
    AllExcept(ConnId),
    /// Every connection of the room.
    All,
}

/// How the room judged a message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Verdict {
    /// Applied (or nothing to do).
    #[default]
    Accepted,
    /// A read-only member tried to write; the document is unchanged, the connection may stay.
    ReadOnly,
    /// Not a y-sync message or not a decodable update; the document is unchanged.
    Malformed(String),
    /// Applying it failed half-way or touched a server-only type: the in-memory document can no
    /// longer be trusted and must be reloaded from the log ([`Room::reload`]).
    Poisoned(String),
}

/// A correction seen in the `corrections` array, parsed or not.
#[derive(Debug, Clone)]
pub struct ObservedCorrection {
    /// The id found in the object (`None` when it has none).
    pub id: Option<String>,
    /// The parsed correction, or why it could not be read (French).
    pub parsed: std::result::Result<ap_engine::Correction, String>,
}

/// What the edge must do after the room handled something.
#[derive(Debug, Default)]
pub struct Effects {
    /// Frames to send, in order, once `durable` is committed.
    pub frames: Vec<(Target, Vec<u8>)>,
    /// Yjs v1 updates to append to the log before any frame goes out.
    pub durable: Vec<Vec<u8>>,
    /// Corrections added by this message, to record after `durable` is committed.
    pub corrections: Vec<ObservedCorrection>,
    /// How the message was judged.
    pub verdict: Verdict,
}

impl Effects {
    /// Append `other` after `self`.
    pub fn extend(&mut self, other: Effects) {
        self.frames.extend(other.frames);
        self.durable.extend(other.durable);
        self.corrections.extend(other.corrections);
        if self.verdict == Verdict::Accepted {
            self.verdict = other.verdict;
        }
    }
}

/// Where the room's observers report, from inside `yrs` transactions.
#[derive(Debug, Default)]
struct Observed {
    corrections: Vec<ObservedCorrection>,
    server_type_written_by_client: bool,
}

#[derive(Debug)]
struct Member {
    role: Role,
    /// Awareness client ids this connection announced.
    clients: HashSet<ClientID>,
}

/// The live state of one dossier.
pub struct Room {
    dossier: String,
    awareness: Awareness,
    observed: Arc<Mutex<Observed>>,
    members: HashMap<ConnId, Member>,
}

impl std::fmt::Debug for Room {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Room").field("dossier", &self.dossier).field("members", &self.members.len()).finish()
    }
}

/// Run `f`, turning a panic inside `yrs` into `None` (the caller then refuses the input).
fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    catch_unwind(AssertUnwindSafe(f)).ok()
}

fn encode(message: &Message) -> Vec<u8> {
    message.encode_v1()
}

/// Build a fresh document from what the log stored, with the room's observers attached afterwards
/// (replaying the log must not report old corrections again).
fn restore(dossier: &str, stored: &StoredRoom, observed: &Arc<Mutex<Observed>>) -> Result<Doc> {
    let doc = Doc::new();
    {
        let mut txn = doc.transact_mut_with(SERVER_ORIGIN);
        let corrupt = |reason: String| Error::CorruptLog { dossier: dossier.to_string(), reason };
        if let Some(snapshot) = &stored.snapshot {
            guarded(|| Update::decode_v1(snapshot).map_err(|e| e.to_string()).and_then(|u| txn.apply_update(u).map_err(|e| e.to_string())))
                .unwrap_or_else(|| Err("panique de yrs".into()))
                .map_err(|e| corrupt(format!("instantané : {e}")))?;
        }
        for (seq, data) in &stored.updates {
            guarded(|| Update::decode_v1(data).map_err(|e| e.to_string()).and_then(|u| txn.apply_update(u).map_err(|e| e.to_string())))
                .unwrap_or_else(|| Err("panique de yrs".into()))
                .map_err(|e| corrupt(format!("mise à jour {seq} : {e}")))?;
        }
    }
    attach_observers(&doc, observed);
    Ok(doc)
}

fn is_server(origin: Option<&Origin>) -> bool {
    origin.is_some_and(|o| o.as_ref() == SERVER_ORIGIN.as_bytes())
}

fn attach_observers(doc: &Doc, observed: &Arc<Mutex<Observed>>) {
    let corrections = doc.get_or_insert_array(shared::CORRECTIONS);
    let sink = observed.clone();
    corrections.observe("corrections", move |txn, event| {
        let mut seen = Vec::new();
        for change in event.delta(txn) {
            if let Change::Added(values) = change {
                for value in values {
                    seen.push(parse_correction(&value.to_json(txn)));
                }
            }
        }
        sink.lock().expect("observer lock").corrections.extend(seen);
    });
    for name in [shared::CORRECTION_STATUS, shared::SERVER] {
        let map = doc.get_or_insert_map(name);
        let flag = observed.clone();
        map.observe("server-only", move |txn, _event| {
            if !is_server(txn.origin()) {
                flag.lock().expect("observer lock").server_type_written_by_client = true;
            }
        });
    }
}

/// Read one entry of the `corrections` array as an engine [`ap_engine::Correction`].
fn parse_correction(value: &Any) -> ObservedCorrection {
    let mut json = String::new();
    value.to_json(&mut json);
    let value: serde_json::Value = match serde_json::from_str(&json) {
        Ok(v) => v,
        Err(e) => return ObservedCorrection { id: None, parsed: Err(format!("correction illisible : {e}")) },
    };
    let id = value.get("id").and_then(|v| v.as_str()).map(str::to_string);
    let parsed = serde_json::from_value::<ap_engine::Correction>(value)
        .map_err(|e| format!("correction mal formée : {e}"))
        .and_then(|c| c.validate().map(|()| c));
    ObservedCorrection { id, parsed }
}

impl Room {
    /// Restore the room of `dossier` from what the log stored (empty for a new dossier).
    pub fn open(dossier: &str, stored: &StoredRoom) -> Result<Self> {
        let observed = Arc::new(Mutex::new(Observed::default()));
        let doc = restore(dossier, stored, &observed)?;
        Ok(Self { dossier: dossier.to_string(), awareness: Awareness::new(doc), observed, members: HashMap::new() })
    }

    /// The dossier id.
    pub fn dossier(&self) -> &str {
        &self.dossier
    }

    /// The document (read it with `transact()`; writes go through messages).
    pub fn doc(&self) -> &Doc {
        self.awareness.doc()
    }

    /// Number of connections in the room.
    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    /// The whole document as one v1 update: the snapshot the log compacts to.
    pub fn snapshot(&self) -> Vec<u8> {
        self.doc().transact().encode_state_as_update_v1(&StateVector::default())
    }

    /// Rebuild the document from the log after a [`Verdict::Poisoned`] message, keeping the
    /// connections and their presence.
    pub fn reload(&mut self, stored: &StoredRoom) -> Result<()> {
        let observed = Arc::new(Mutex::new(Observed::default()));
        let doc = restore(&self.dossier, stored, &observed)?;
        let mut awareness = Awareness::new(doc);
        if let Ok(states) = self.awareness.update() {
            let _ = awareness.apply_update(states);
        }
        self.awareness = awareness;
        self.observed = observed;
        Ok(())
    }

    /// A connection joins: it gets sync step 1 and the presence of the others.
    pub fn connect(&mut self, conn: ConnId, role: Role) -> Effects {
        self.members.insert(conn, Member { role, clients: HashSet::new() });
        let sv = self.doc().transact().state_vector();
        let mut effects = Effects::default();
        effects.frames.push((Target::Conn(conn), encode(&Message::Sync(SyncMessage::SyncStep1(sv)))));
        if let Ok(states) = self.awareness.update()
            && !states.clients.is_empty()
        {
            effects.frames.push((Target::Conn(conn), encode(&Message::Awareness(states))));
        }
        effects
    }

    /// A connection left (or was dropped): its presence is removed for the others.
    pub fn disconnect(&mut self, conn: ConnId) -> Effects {
        let mut effects = Effects::default();
        let Some(member) = self.members.remove(&conn) else { return effects };
        let clients: Vec<ClientID> = member.clients.into_iter().collect();
        for &client in &clients {
            self.awareness.remove_state(client);
        }
        if !clients.is_empty()
            && let Ok(update) = self.awareness.update_with_clients(clients)
        {
            effects.frames.push((Target::All, encode(&Message::Awareness(update))));
        }
        effects
    }

    /// Handle one WebSocket frame from `conn` (one or more y-sync messages).
    pub fn receive(&mut self, conn: ConnId, frame: &[u8]) -> Effects {
        let Some(role) = self.members.get(&conn).map(|m| m.role) else {
            return Effects { verdict: Verdict::Malformed("connexion inconnue".into()), ..Effects::default() };
        };
        // Decode the whole frame first: a frame that is not entirely valid changes nothing.
        // `yrs` asserts on some impossible values (e.g. client ids wider than 53 bits) instead of
        // returning an error, so decoding untrusted bytes is guarded against panics too.
        let decoded = guarded(|| {
            let mut decoder = DecoderV1::new(Cursor::new(frame));
            MessageReader::new(&mut decoder).collect::<std::result::Result<Vec<Message>, _>>()
        });
        let messages = match decoded {
            Some(Ok(messages)) => messages,
            Some(Err(e)) => return Effects { verdict: Verdict::Malformed(format!("{e}")), ..Effects::default() },
            None => return Effects { verdict: Verdict::Malformed("message indécodable".into()), ..Effects::default() },
        };
        if messages.is_empty() {
            return Effects { verdict: Verdict::Malformed("message vide".into()), ..Effects::default() };
        }
        let mut effects = Effects::default();
        for message in messages {
            let one = self.handle(conn, role, message);
            let stop = matches!(one.verdict, Verdict::Malformed(_) | Verdict::Poisoned(_));
            effects.extend(one);
            if stop {
                break;
            }
        }
        effects
    }

    fn handle(&mut self, conn: ConnId, role: Role, message: Message) -> Effects {
        let mut effects = Effects::default();
        match message {
            Message::Sync(SyncMessage::SyncStep1(sv)) => {
                let update = self.doc().transact().encode_state_as_update_v1(&sv);
                effects.frames.push((Target::Conn(conn), encode(&Message::Sync(SyncMessage::SyncStep2(update)))));
            }
            Message::Sync(SyncMessage::SyncStep2(data)) | Message::Sync(SyncMessage::Update(data)) => {
                return self.apply_client_update(conn, role, data);
            }
            Message::Awareness(update) => self.apply_awareness(conn, update, &mut effects),
            Message::AwarenessQuery => {
                if let Ok(states) = self.awareness.update() {
                    effects.frames.push((Target::Conn(conn), encode(&Message::Awareness(states))));
                }
            }
            // Clients do not authenticate in-band (the token was checked at connection).
            Message::Auth(_) => {}
            // Unknown extensions are ignored, as y-websocket servers do.
            Message::Custom(tag, _) => tracing::debug!(tag, "custom y-sync message ignored"),
        }
        effects
    }

    fn apply_awareness(&mut self, conn: ConnId, update: AwarenessUpdate, effects: &mut Effects) {
        let frame = encode(&Message::Awareness(update.clone()));
        match self.awareness.apply_update_summary(update) {
            Ok(Some(summary)) => {
                if let Some(member) = self.members.get_mut(&conn) {
                    member.clients.extend(summary.added.iter().chain(summary.updated.iter()).copied());
                    for removed in &summary.removed {
                        member.clients.remove(removed);
                    }
                }
                effects.frames.push((Target::AllExcept(conn), frame));
            }
            Ok(None) => {}
            Err(e) => effects.verdict = Verdict::Malformed(format!("présence invalide : {e}")),
        }
    }

    fn apply_client_update(&mut self, conn: ConnId, role: Role, data: Vec<u8>) -> Effects {
        let mut effects = Effects::default();
        let update = match guarded(|| Update::decode_v1(&data)) {
            Some(Ok(u)) => u,
            Some(Err(e)) => {
                effects.verdict = Verdict::Malformed(format!("mise à jour illisible : {e}"));
                return effects;
            }
            None => {
                effects.verdict = Verdict::Malformed("mise à jour indécodable".into());
                return effects;
            }
        };
        if update.is_empty() {
            return effects;
        }
        if !role.can_write() {
            let deny = Message::Auth(Some("lecture seule : vos modifications ne sont pas enregistrées".into()));
            effects.frames.push((Target::Conn(conn), encode(&deny)));
            effects.verdict = Verdict::ReadOnly;
            return effects;
        }
        let doc = self.doc().clone();
        let applied = guarded(|| {
            let mut txn = doc.transact_mut_with(format!("conn-{conn}"));
            txn.apply_update(update)
        });
        let mut observed = self.observed.lock().expect("observer lock");
        let corrections = std::mem::take(&mut observed.corrections);
        let forbidden = std::mem::take(&mut observed.server_type_written_by_client);
        drop(observed);
        match applied {
            None => effects.verdict = Verdict::Poisoned("l'application de la mise à jour a échoué".into()),
            Some(Err(e)) => effects.verdict = Verdict::Poisoned(format!("mise à jour inapplicable : {e}")),
            Some(Ok(())) if forbidden => {
                effects.verdict = Verdict::Poisoned("écriture d'un type réservé au serveur".into());
            }
            Some(Ok(())) => {
                effects.frames.push((Target::AllExcept(conn), encode(&Message::Sync(SyncMessage::Update(data.clone())))));
                effects.durable.push(data);
                effects.corrections = corrections;
            }
        }
        effects
    }

    /// Write the outcome of recording corrections into the server-only status map; the returned
    /// effects carry the update to log and broadcast to everyone. `outcomes` are
    /// (correction id, Ok(()) when recorded or Err(reason in French)).
    pub fn acknowledge_corrections(&mut self, outcomes: &[(String, std::result::Result<(), String>)]) -> Effects {
        let status = self.doc().get_or_insert_map(shared::CORRECTION_STATUS);
        self.server_write(|txn| {
            for (id, outcome) in outcomes {
                let mut entry = HashMap::new();
                match outcome {
                    Ok(()) => {
                        entry.insert("statut".to_string(), Any::from("enregistrée"));
                    }
                    Err(reason) => {
                        entry.insert("statut".to_string(), Any::from("refusée"));
                        entry.insert("motif".to_string(), Any::from(reason.as_str()));
                    }
                }
                status.insert(txn, id.as_str(), Any::from(entry));
            }
        })
    }

    /// Corrections present in the document that have no status yet (e.g. the server stopped
    /// between logging an update and recording its corrections): recorded again on restart.
    pub fn unacknowledged_corrections(&self) -> Vec<ObservedCorrection> {
        // Root refs first: `get_or_insert_*` takes a write transaction.
        let status = self.doc().get_or_insert_map(shared::CORRECTION_STATUS);
        let corrections = self.doc().get_or_insert_array(shared::CORRECTIONS);
        let txn = self.doc().transact();
        corrections
            .iter(&txn)
            .map(|value| parse_correction(&value.to_json(&txn)))
            .filter(|c| c.id.as_ref().is_some_and(|id| status.get(&txn, id).is_none()))
            .collect()
    }

    /// Initialise the synthesis once with a draft (one paragraph per entry): only when it was
    /// never initialised and is empty. Returns `None` when there is nothing to do.
    pub fn initialize_synthesis(&mut self, paragraphs: &[String]) -> Option<Effects> {
        let blocks: Vec<DraftBlock> =
            paragraphs.iter().map(|p| DraftBlock { heading: false, text: p.clone(), citations: Vec::new() }).collect();
        self.initialize_synthesis_blocks(&blocks)
    }

    /// Initialise the synthesis once with a draft of headings and cited paragraphs, in the
    /// format the web editor writes (see README: each citation is the run ` (label)` carrying
    /// a `citation` mark). Only when it was never initialised and is empty; `None` otherwise.
    pub fn initialize_synthesis_blocks(&mut self, blocks: &[DraftBlock]) -> Option<Effects> {
        let server = self.doc().get_or_insert_map(shared::SERVER);
        let synthesis: XmlFragmentRef = self.doc().get_or_insert_xml_fragment(shared::SYNTHESIS);
        {
            let txn = self.doc().transact();
            if blocks.is_empty() || server.get(&txn, "synthesisInitialized").is_some() || synthesis.len(&txn) > 0 {
                return None;
            }
        }
        Some(self.server_write(|txn| {
            for block in blocks {
                let element = synthesis.push_back(txn, XmlElementPrelim::empty(if block.heading { "heading" } else { "paragraph" }));
                if block.heading {
                    element.insert_attribute(txn, "level", Any::from(2));
                }
                let text = element.push_back(txn, XmlTextPrelim::new(block.text.as_str()));
                for c in &block.citations {
                    // Text typed after a mark inherits it: the separator says it has none.
                    let end = text.len(txn);
                    let plain: yrs::types::Attrs = HashMap::from([(Arc::<str>::from("citation"), Any::Null)]);
                    text.insert_with_attributes(txn, end, " ", plain);
                    let mark = Any::from(HashMap::from([
                        ("document".to_string(), Any::from(c.document.as_str())),
                        ("page".to_string(), Any::from(f64::from(c.page))),
                        ("label".to_string(), Any::from(c.label.as_str())),
                        ("quote".to_string(), Any::from(c.quote.as_str())),
                    ]));
                    let attrs: yrs::types::Attrs = HashMap::from([(Arc::<str>::from("citation"), mark)]);
                    let end = text.len(txn);
                    text.insert_with_attributes(txn, end, &format!("({})", c.label), attrs);
                }
            }
            server.insert(txn, "synthesisInitialized", true);
        }))
    }

    /// Append a correction made outside the document (the HTTP API) to the `corrections` array,
    /// so every client sees it; the returned effects carry the update to log and broadcast, and
    /// the correction to record like one a client appended.
    pub fn append_correction(&mut self, correction: &ap_engine::Correction) -> Result<Effects> {
        let json = serde_json::to_string(correction).map_err(|e| Error::Malformed(e.to_string()))?;
        let value: Any = Any::from_json(&json).map_err(|e| Error::Malformed(e.to_string()))?;
        let corrections = self.doc().get_or_insert_array(shared::CORRECTIONS);
        let mut effects = self.server_write(|txn| {
            corrections.push_back(txn, value);
        });
        effects.corrections.push(ObservedCorrection { id: Some(correction.id.clone()), parsed: Ok(correction.clone()) });
        Ok(effects)
    }

    /// The synthesis as paragraphs of runs (text and the formatting attributes `y-prosemirror`
    /// stores marks as, e.g. `citation`), one entry per top-level node, with the node's name.
    pub fn synthesis_blocks(&self) -> Vec<SynthesisBlock> {
        let synthesis: XmlFragmentRef = self.doc().get_or_insert_xml_fragment(shared::SYNTHESIS);
        let txn = self.doc().transact();
        let mut blocks = Vec::new();
        for node in synthesis.children(&txn) {
            let mut block = SynthesisBlock::default();
            collect_runs(&txn, &node, &mut block);
            blocks.push(block);
        }
        blocks
    }

    /// Make a server transaction; its update is logged and sent to everyone.
    fn server_write(&mut self, write: impl FnOnce(&mut yrs::TransactionMut<'_>)) -> Effects {
        let doc = self.doc().clone();
        let update = {
            let mut txn = doc.transact_mut_with(SERVER_ORIGIN);
            write(&mut txn);
            txn.encode_update_v1()
        };
        // Server writes never add corrections; clear what observers may hold anyway.
        *self.observed.lock().expect("observer lock") = Observed::default();
        let mut effects = Effects::default();
        effects.frames.push((Target::All, encode(&Message::Sync(SyncMessage::Update(update.clone())))));
        effects.durable.push(update);
        effects
    }
}

/// A block of a draft written into the synthesis by the server.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftBlock {
    /// A section title (ProseMirror `heading`, level 2) rather than a paragraph.
    pub heading: bool,
    pub text: String,
    /// Where the paragraph's text is said, each written after it as ` (label)` with its mark.
    pub citations: Vec<DraftCitation>,
}

/// A citation of a draft paragraph, as the `citation` mark holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftCitation {
    pub document: String,
    pub page: u32,
    /// Footnote text, e.g. « PV d'audition de X, p. 12 ».
    pub label: String,
    pub quote: String,
}

/// A top-level node of the synthesis: its name (`paragraph`, `heading`, …) and its text runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SynthesisBlock {
    /// ProseMirror node name of the block.
    pub node: String,
    /// Node attributes (e.g. `level` of a heading), as JSON.
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Text runs in order.
    pub runs: Vec<SynthesisRun>,
}

/// A run of synthesis text with its marks (`y-prosemirror` formatting attributes, as JSON).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SynthesisRun {
    pub text: String,
    pub marks: serde_json::Map<String, serde_json::Value>,
}

fn any_json(value: &Any) -> serde_json::Value {
    let mut json = String::new();
    value.to_json(&mut json);
    serde_json::from_str(&json).unwrap_or(serde_json::Value::Null)
}

fn collect_runs<T: ReadTxn>(txn: &T, node: &yrs::XmlOut, block: &mut SynthesisBlock) {
    use yrs::types::text::YChange;
    use yrs::{Text, Xml};
    match node {
        yrs::XmlOut::Element(e) => {
            if block.node.is_empty() {
                block.node = e.tag().to_string();
                for (k, v) in e.attributes(txn) {
                    block.attributes.insert(k.to_string(), serde_json::Value::String(v.to_string(txn)));
                }
            }
            for child in e.children(txn) {
                collect_runs(txn, &child, block);
            }
        }
        yrs::XmlOut::Text(t) => {
            for diff in t.diff(txn, YChange::identity) {
                let text = match &diff.insert {
                    yrs::Out::Any(Any::String(s)) => s.to_string(),
                    _ => continue,
                };
                let marks = diff
                    .attributes
                    .map(|attrs| attrs.iter().map(|(k, v)| (k.to_string(), any_json(v))).collect())
                    .unwrap_or_default();
                block.runs.push(SynthesisRun { text, marks });
            }
        }
        yrs::XmlOut::Fragment(f) => {
            for child in f.children(txn) {
                collect_runs(txn, &child, block);
            }
        }
    }
}

/// Whether an encoded frame is a y-sync update message (what the room broadcasts for each
/// accepted update): the edge coalesces these per batch.
pub fn is_update_message(frame: &[u8]) -> bool {
    frame.first() == Some(&MSG_SYNC) && frame.get(1) == Some(&yrs::sync::protocol::MSG_SYNC_UPDATE)
}

// The edge moves rooms between tasks: keep them `Send`.
const _: fn() = || {
    fn is_send<T: Send>() {}
    is_send::<Room>();
};

#[cfg(test)]
mod tests;
