//! The WebSocket edge of the collaborative workspace: one task per open room, one reader and one
//! writer per connection.
//!
//! `GET /ws/{dossier}?token=…` (or `Authorization: Bearer …`) is checked *before* the upgrade:
//! unknown token → 401, not a member → 403, so a refused client never receives a document byte.
//! Then:
//!
//! - a **room task** owns the sans-IO [`Room`] of the dossier. It takes commands in batches, lets
//!   the room handle them and hands every accepted update of the batch to the server's
//!   [`LogWriter`] thread, which commits what all rooms handed over while its previous fsync ran
//!   in **one fsynced transaction** (group commit). The room does not wait: it goes on with the
//!   next messages while the commit is in flight (pipelining), and keeps each batch's frames in a
//!   queue, in order, until the log says the batch is committed. So no frame leaves before every
//!   update produced before it is on disk: an update anyone sees (broadcast, or inside a sync
//!   step 2) is durable. Corrections are recorded once their update is committed (the room waits
//!   for everything in flight first, as it does before a snapshot or a reload);
//! - each connection has a **reader** (rate limit, then forward to the room) and a **writer** fed
//!   by a bounded queue. The room never waits on a client: when a queue is full the client is
//!   dropped (close 1013) and the others go on. The room fans out in join order; a writer sends
//!   what queued up for its client in one write (one flush for several frames);
//! - the room snapshots (compacts the log) every `snapshot_every` updates and when it empties, and
//!   is unloaded from memory when its last connection leaves.
//!
//! The connection handler is generic over `Sink + Stream` of WebSocket messages (axum's
//! `testing-websockets` example), so the tests below drive it with in-memory channels.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Display;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::{mpsc, oneshot};
use yrs::updates::encoder::Encode;

use ap_workspace::corrections::record_all;
use ap_workspace::room::{ConnId, Effects, Room, Target, Verdict};
use ap_workspace::{CorrectionSink, LogWriter, Role, UpdateLog};

/// Limits of the workspace edge (flags of `serve`).
#[derive(Debug, Clone, clap::Args)]
pub struct Limits {
    /// Largest WebSocket message a client may send, in bytes.
    #[arg(long = "ws-max-message-bytes", env = "ASSISTANT_PARQUET_WS_MAX_MESSAGE_BYTES", default_value_t = 8 << 20)]
    pub max_message_bytes: usize,
    /// Messages per second a connection may send on average (bursts up to twice that).
    #[arg(long = "ws-max-messages-per-second", env = "ASSISTANT_PARQUET_WS_MAX_MESSAGES_PER_SECOND", default_value_t = 200)]
    pub max_messages_per_second: u32,
    /// Frames queued for a connection before it counts as too slow and is dropped.
    #[arg(long = "ws-outbound-queue", env = "ASSISTANT_PARQUET_WS_OUTBOUND_QUEUE", default_value_t = 4096)]
    pub outbound_queue: usize,
    /// Milliseconds without any frame to a client after which the server sends it an empty
    /// presence message, so y-websocket's 30 s liveness timeout never fires while a room loads a
    /// large dossier or computes a large initial sync.
    #[arg(long = "ws-keepalive-ms", env = "ASSISTANT_PARQUET_WS_KEEPALIVE_MS", default_value_t = 10_000)]
    pub keepalive_ms: u64,
    /// Logged updates after which a room compacts its log into a snapshot.
    #[arg(long = "ws-snapshot-every", env = "ASSISTANT_PARQUET_WS_SNAPSHOT_EVERY", default_value_t = 2000)]
    pub snapshot_every: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 8 << 20,
            max_messages_per_second: 200,
            outbound_queue: 4096,
            keepalive_ms: 10_000,
            snapshot_every: 2000,
        }
    }
}

/// The room's handle on a connection: its outbound queue, and a way to drop it even while its
/// writer is blocked on a socket that does not drain.
#[derive(Debug)]
struct Peer {
    out: mpsc::Sender<Outbound>,
    kick: Arc<tokio::sync::Notify>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.kick.notify_one();
    }
}

/// What the room task sends a connection's writer.
#[derive(Debug)]
enum Outbound {
    Frame(Bytes),
    Close(u16, String),
}

#[derive(Debug)]
enum Command {
    Join { conn: ConnId, role: Role, out: Peer },
    Frame { conn: ConnId, data: Bytes },
    Leave { conn: ConnId },
    /// A correction made through the HTTP API: appended to the `corrections` array (so every
    /// client sees it) and recorded like one a client appended; the reply carries the outcome.
    Append { correction: ap_engine::Correction, reply: oneshot::Sender<Result<(), String>> },
    /// The dossier is deleted: drop every connection and unload without a snapshot.
    Close { reply: oneshot::Sender<()> },
}

/// The open rooms of the process and what they share.
pub struct Hub {
    rooms: Mutex<HashMap<String, mpsc::UnboundedSender<Command>>>,
    log: LogWriter,
    sink: Arc<dyn CorrectionSink>,
    next_conn: AtomicU64,
    pub limits: Limits,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl Hub {
    /// A hub over the update log (handed to its writer thread) and the correction sink.
    pub fn new(log: UpdateLog, sink: Arc<dyn CorrectionSink>, limits: Limits) -> ap_workspace::Result<Arc<Self>> {
        Ok(Arc::new(Self {
            rooms: Mutex::new(HashMap::new()),
            log: LogWriter::start(log)?,
            sink,
            next_conn: AtomicU64::new(1),
            limits,
        }))
    }

    /// Run `f` on the log, on the writer thread, after every append handed over before.
    async fn with_log<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut UpdateLog) -> ap_workspace::Result<T> + Send + 'static,
    ) -> ap_workspace::Result<T> {
        let (tx, rx) = oneshot::channel();
        self.log.run(move |log| {
            let _ = tx.send(f(log));
        });
        rx.await.unwrap_or_else(|_| Err(ap_workspace::Error::Log("le fil d'écriture du journal est arrêté".into())))
    }

    /// Hand `updates` of `dossier` to the writer; the receiver resolves once they are committed.
    fn append(&self, dossier: &str, updates: Vec<Vec<u8>>) -> oneshot::Receiver<ap_workspace::Result<i64>> {
        let (tx, rx) = oneshot::channel();
        self.log.append(dossier, updates, move |seq| {
            let _ = tx.send(seq);
        });
        rx
    }

    /// Number of rooms in memory.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn open_rooms(&self) -> usize {
        self.rooms.lock().expect("rooms lock").len()
    }

    /// Send `Join` to the dossier's room task, starting it when the room is not in memory.
    fn join(self: &Arc<Self>, dossier: &str, conn: ConnId, role: Role, out: Peer) -> mpsc::UnboundedSender<Command> {
        self.dispatch(dossier, Command::Join { conn, role, out })
    }

    /// Append a correction made outside the document (HTTP API) to the dossier's room, opening
    /// the room when needed. Returns once it is logged and recorded by the engine, or why not.
    pub async fn append_correction(self: &Arc<Self>, dossier: &str, correction: ap_engine::Correction) -> Result<(), String> {
        let (reply, rx) = oneshot::channel();
        self.dispatch(dossier, Command::Append { correction, reply });
        rx.await.unwrap_or_else(|_| Err("salle de travail indisponible (erreur d'enregistrement)".into()))
    }

    /// Close a deleted dossier's room (its connections are dropped) and forget its log.
    pub async fn delete_room(self: &Arc<Self>, dossier: &str) -> ap_workspace::Result<()> {
        let open = self.rooms.lock().expect("rooms lock").get(dossier).cloned();
        if let Some(tx) = open {
            let (reply, rx) = oneshot::channel();
            if tx.send(Command::Close { reply }).is_ok() {
                let _ = rx.await;
            }
        }
        let name = dossier.to_string();
        self.with_log(move |log| log.delete(&name)).await
    }

    /// The synthesis of a dossier as the log holds it (every acknowledged edit is there).
    pub async fn synthesis(self: &Arc<Self>, dossier: &str) -> ap_workspace::Result<Vec<ap_workspace::room::SynthesisBlock>> {
        let name = dossier.to_string();
        let stored = self.with_log(move |log| log.load(&name)).await?;
        let name = dossier.to_string();
        blocking(move || Ok(Room::open(&name, &stored)?.synthesis_blocks())).await
    }

    /// Hand `command` to the dossier's room task, starting the task when the room is not in memory.
    fn dispatch(self: &Arc<Self>, dossier: &str, command: Command) -> mpsc::UnboundedSender<Command> {
        let mut rooms = self.rooms.lock().expect("rooms lock");
        let mut command = command;
        if let Some(tx) = rooms.get(dossier) {
            match tx.send(command) {
                Ok(()) => return tx.clone(),
                Err(mpsc::error::SendError(c)) => command = c,
            }
        }
        let (tx, rx) = mpsc::unbounded_channel();
        tx.send(command).expect("receiver alive");
        rooms.insert(dossier.to_string(), tx.clone());
        tokio::spawn(RoomTask::run(self.clone(), dossier.to_string(), rx));
        tx
    }
}

/// Run a blocking closure on the blocking pool (opening a room, recording corrections).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("blocking task panicked")
}

/// A batch handed to the log writer, and the frames waiting for its commit.
struct InFlight {
    committed: oneshot::Receiver<ap_workspace::Result<i64>>,
    updates: usize,
    /// Frames produced with the batch or after it (before the next batch), sent in this order
    /// once it is committed.
    frames: Vec<(Target, Vec<u8>)>,
}

/// What woke the room task up.
enum Next {
    Committed(ap_workspace::Result<i64>),
    Command(Option<Command>),
}

/// Wait for the oldest batch in flight to be committed (forever when none is).
async fn oldest_committed(in_flight: &mut VecDeque<InFlight>) -> ap_workspace::Result<i64> {
    match in_flight.front_mut() {
        Some(batch) => (&mut batch.committed)
            .await
            .unwrap_or_else(|_| Err(ap_workspace::Error::Log("le fil d'écriture du journal est arrêté".into()))),
        None => std::future::pending().await,
    }
}

struct RoomTask {
    hub: Arc<Hub>,
    dossier: String,
    room: Room,
    /// Connections by id: ids grow with each join, so the fan-out goes in join order.
    conns: BTreeMap<ConnId, Peer>,
    /// Sequence number of the last committed update.
    last_seq: i64,
    /// Committed updates since the last snapshot.
    since_snapshot: usize,
    /// Batches handed to the log writer, oldest first; their frames wait here.
    in_flight: VecDeque<InFlight>,
}

impl RoomTask {
    async fn run(hub: Arc<Hub>, dossier: String, mut rx: mpsc::UnboundedReceiver<Command>) {
        let name = dossier.clone();
        let opened = match hub.with_log(move |log| log.load(&name)).await {
            Ok(stored) => {
                let name = dossier.clone();
                blocking(move || {
                    let room = Room::open(&name, &stored)?;
                    Ok::<_, ap_workspace::Error>((room, stored.last_seq(), stored.updates.len()))
                })
                .await
            }
            Err(e) => Err(e),
        };
        let (room, last_seq, since_snapshot) = match opened {
            Ok(x) => x,
            Err(e) => {
                tracing::error!(dossier, error = %e, "room could not be opened");
                let mut rooms = hub.rooms.lock().expect("rooms lock");
                rooms.remove(&dossier);
                rx.close();
                while let Ok(cmd) = rx.try_recv() {
                    match cmd {
                        Command::Join { out, .. } => {
                            let _ = out.out.try_send(Outbound::Close(1011, "dossier illisible sur le serveur".into()));
                        }
                        Command::Append { reply, .. } => {
                            let _ = reply.send(Err("dossier illisible sur le serveur".into()));
                        }
                        Command::Close { reply } => {
                            let _ = reply.send(());
                        }
                        Command::Frame { .. } | Command::Leave { .. } => {}
                    }
                }
                return;
            }
        };
        let mut task =
            RoomTask { hub, dossier, room, conns: BTreeMap::new(), last_seq, since_snapshot, in_flight: VecDeque::new() };
        tracing::debug!(dossier = task.dossier, "room opened");
        let mut synthesis_offered = false;
        if task.offer_draft(&mut synthesis_offered).await.is_err() {
            return task.fail();
        }

        // Corrections logged but never recorded (the server stopped in between): record them now.
        let pending = task.room.unacknowledged_corrections();
        if !pending.is_empty() {
            let effects = Effects { corrections: pending, ..Effects::default() };
            if task.flush(effects).await.is_err() {
                return task.fail();
            }
        }

        let mut carry = None;
        loop {
            let first = match carry.take() {
                Some(c) => c,
                None => {
                    // Commits first: their frames are ready to go.
                    let next = tokio::select! {
                        biased;
                        committed = oldest_committed(&mut task.in_flight) => Next::Committed(committed),
                        command = rx.recv() => Next::Command(command),
                    };
                    match next {
                        Next::Committed(committed) => {
                            if task.settle_oldest(committed).is_err() {
                                return task.fail();
                            }
                            continue;
                        }
                        Next::Command(Some(c)) => c,
                        Next::Command(None) => break,
                    }
                }
            };
            let mut batch = vec![first];
            while batch.len() < 1024 {
                match rx.try_recv() {
                    Ok(c) => batch.push(c),
                    Err(_) => break,
                }
            }
            let closing = batch.iter().any(|c| matches!(c, Command::Close { .. }));
            if task.handle_batch(batch).await.is_err() {
                return task.fail();
            }
            // The engine's draft may have appeared since the room opened (documents uploaded
            // while users are in it): offered at the next activity, once.
            if !closing && task.offer_draft(&mut synthesis_offered).await.is_err() {
                return task.fail();
            }
            if closing {
                if task.drain().await.is_err() {
                    return task.fail();
                }
                task.hub.rooms.lock().expect("rooms lock").remove(&task.dossier);
                tracing::info!(dossier = task.dossier, "room closed: dossier deleted");
                return;
            }
            if task.since_snapshot >= task.hub.limits.snapshot_every && task.compact().await.is_err() {
                return task.fail();
            }
            if task.conns.is_empty() {
                if task.drain().await.is_err() {
                    return task.fail();
                }
                if task.since_snapshot > 0 && task.compact().await.is_err() {
                    return task.fail();
                }
                // Unload, unless a join slipped in: joins are sent under this lock.
                let mut rooms = task.hub.rooms.lock().expect("rooms lock");
                match rx.try_recv() {
                    Ok(cmd) => carry = Some(cmd),
                    Err(_) => {
                        rooms.remove(&task.dossier);
                        tracing::debug!(dossier = task.dossier, "room unloaded");
                        return;
                    }
                }
            }
        }
        if task.drain().await.is_err() {
            task.fail();
        }
    }

    /// Initialise the synthesis with the engine's draft résumé des faits, once per room (the
    /// room itself refuses when it was ever initialised or is not empty).
    async fn offer_draft(&mut self, offered: &mut bool) -> Result<(), ()> {
        if *offered {
            return Ok(());
        }
        let Some(blocks) = self.hub.sink.draft_synthesis(&self.dossier) else { return Ok(()) };
        *offered = true;
        match self.room.initialize_synthesis_blocks(&blocks) {
            Some(effects) => self.flush(effects).await.map(|_| ()),
            None => Ok(()),
        }
    }

    /// Storage failed: drop every connection (their clients keep their edits and resync them on
    /// reconnect) and unload, so the next join restarts from what the log really holds.
    fn fail(mut self) {
        tracing::error!(dossier = self.dossier, "room stopped after a storage failure");
        self.hub.rooms.lock().expect("rooms lock").remove(&self.dossier);
        for (_, out) in std::mem::take(&mut self.conns) {
            let _ = out.out.try_send(Outbound::Close(1011, "erreur d'enregistrement sur le serveur".into()));
        }
    }

    async fn handle_batch(&mut self, batch: Vec<Command>) -> Result<(), ()> {
        let mut effects = Effects::default();
        let mut closes: Vec<(ConnId, u16, String)> = Vec::new();
        for command in batch {
            match command {
                Command::Join { conn, role, out } => {
                    self.conns.insert(conn, out);
                    effects.extend(self.room.connect(conn, role));
                }
                Command::Leave { conn } => {
                    self.conns.remove(&conn);
                    effects.extend(self.room.disconnect(conn));
                }
                Command::Append { correction, reply } => {
                    // What came before is flushed first, so the reply speaks of this one only.
                    self.flush(std::mem::take(&mut effects)).await?;
                    match self.room.append_correction(&correction) {
                        Ok(fx) => {
                            let outcomes = self.flush(fx).await?;
                            let outcome = outcomes
                                .into_iter()
                                .find(|(id, _)| *id == correction.id)
                                .map_or(Err("correction non enregistrée".to_string()), |(_, o)| o);
                            let _ = reply.send(outcome);
                        }
                        Err(e) => {
                            let _ = reply.send(Err(e.to_string()));
                        }
                    }
                }
                Command::Close { reply } => {
                    for (_, peer) in std::mem::take(&mut self.conns) {
                        let _ = peer.out.try_send(Outbound::Close(1000, "dossier supprimé".into()));
                    }
                    let _ = reply.send(());
                }
                Command::Frame { conn, data } => {
                    if !self.conns.contains_key(&conn) {
                        continue;
                    }
                    let mut fx = self.room.receive(conn, &data);
                    match std::mem::take(&mut fx.verdict) {
                        Verdict::Accepted | Verdict::ReadOnly => effects.extend(fx),
                        Verdict::Malformed(reason) => {
                            tracing::warn!(dossier = self.dossier, conn, reason, "malformed message refused");
                            effects.extend(fx);
                            closes.push((conn, 1003, format!("message invalide : {reason}")));
                        }
                        Verdict::Poisoned(reason) => {
                            tracing::warn!(dossier = self.dossier, conn, reason, "update refused, room reloaded from the log");
                            // What came before is valid: make it durable, then rebuild from the log.
                            self.flush(std::mem::take(&mut effects)).await?;
                            self.drain().await?;
                            let name = self.dossier.clone();
                            let stored = self.hub.with_log(move |log| log.load(&name)).await.map_err(|e| {
                                tracing::error!(error = %e, "reload failed");
                            })?;
                            self.room.reload(&stored).map_err(|e| tracing::error!(error = %e, "reload failed"))?;
                            closes.push((conn, 1008, format!("mise à jour refusée : {reason}")));
                        }
                    }
                }
            }
        }
        for (conn, code, reason) in closes {
            if let Some(peer) = self.conns.remove(&conn) {
                // The writer finds this close frame when the dropped peer kicks it.
                let _ = peer.out.try_send(Outbound::Close(code, reason));
            }
            effects.extend(self.room.disconnect(conn));
        }
        self.flush(effects).await.map(drop)
    }

    /// Hand the batch's updates to the log writer and queue its frames behind them; when it
    /// carries corrections, wait until it is committed, record them and commit their status.
    /// Returns the outcome of recording each correction, by id.
    async fn flush(&mut self, mut effects: Effects) -> Result<Vec<(String, Result<(), String>)>, ()> {
        let durable = std::mem::take(&mut effects.durable);
        if durable.len() > 1 {
            coalesce_updates(&mut effects.frames, &durable);
        }
        let frames = std::mem::take(&mut effects.frames);
        if effects.corrections.is_empty() {
            self.submit(durable, frames);
            return Ok(Vec::new());
        }
        // A correction is an engine input only once the update that carries it is durable.
        self.submit(durable, frames);
        self.drain().await?;
        let sink = self.hub.sink.clone();
        let dossier = self.dossier.clone();
        let observed = std::mem::take(&mut effects.corrections);
        let outcomes = blocking(move || record_all(sink.as_ref(), &dossier, &observed)).await;
        if !outcomes.is_empty() {
            let mut ack = self.room.acknowledge_corrections(&outcomes);
            self.submit(std::mem::take(&mut ack.durable), ack.frames);
            self.drain().await?;
        }
        Ok(outcomes)
    }

    /// Hand `durable` to the log writer (when not empty) with `frames` to send once it is
    /// committed. Frames without updates go out at once when nothing is in flight, else they
    /// wait behind the last batch in flight (a frame never overtakes an update made before it).
    fn submit(&mut self, durable: Vec<Vec<u8>>, frames: Vec<(Target, Vec<u8>)>) {
        if durable.is_empty() {
            match self.in_flight.back_mut() {
                Some(last) => last.frames.extend(frames),
                None => self.send(frames),
            }
            return;
        }
        let updates = durable.len();
        let committed = self.hub.append(&self.dossier, durable);
        self.in_flight.push_back(InFlight { committed, updates, frames });
    }

    /// The oldest batch in flight is committed (or failed): account for it and send its frames.
    fn settle_oldest(&mut self, committed: ap_workspace::Result<i64>) -> Result<(), ()> {
        let Some(batch) = self.in_flight.pop_front() else { return Ok(()) };
        match committed {
            Ok(seq) => {
                self.last_seq = seq;
                self.since_snapshot += batch.updates;
                self.send(batch.frames);
                Ok(())
            }
            Err(e) => {
                // Its frames are dropped: nobody sees an update the log may not hold.
                tracing::error!(dossier = self.dossier, error = %e, "update log append failed");
                Err(())
            }
        }
    }

    /// Wait until every batch in flight is committed, sending their frames in order.
    async fn drain(&mut self) -> Result<(), ()> {
        while !self.in_flight.is_empty() {
            let committed = oldest_committed(&mut self.in_flight).await;
            self.settle_oldest(committed)?;
        }
        Ok(())
    }

    async fn compact(&mut self) -> Result<(), ()> {
        // The snapshot must cover exactly what the log holds up to `last_seq`.
        self.drain().await?;
        let state = self.room.snapshot();
        let (dossier, seq) = (self.dossier.clone(), self.last_seq);
        match self.hub.with_log(move |log| log.compact(&dossier, &state, seq)).await {
            Ok(()) => {
                self.since_snapshot = 0;
                Ok(())
            }
            Err(e) => {
                tracing::error!(dossier = self.dossier, error = %e, "snapshot failed");
                Err(())
            }
        }
    }

    /// Send frames without ever waiting: a connection whose queue is full is dropped.
    fn send(&mut self, frames: Vec<(Target, Vec<u8>)>) {
        let mut pending: std::collections::VecDeque<_> = frames.into();
        while let Some((target, frame)) = pending.pop_front() {
            let frame = Bytes::from(frame);
            let mut slow = Vec::new();
            for (&id, out) in &self.conns {
                let wanted = match target {
                    Target::Conn(c) => c == id,
                    Target::AllExcept(c) => c != id,
                    Target::All => true,
                };
                if wanted && out.out.try_send(Outbound::Frame(frame.clone())).is_err() {
                    slow.push(id);
                }
            }
            for id in slow {
                tracing::warn!(dossier = self.dossier, conn = id, "slow client dropped");
                // Dropping its peer kicks the writer, which closes the socket (1013).
                self.conns.remove(&id);
                pending.extend(self.room.disconnect(id).frames);
            }
        }
    }
}

/// Replace the broadcast of each update of a batch by one merged update sent to everyone.
///
/// Every update broadcast in a batch is also in its `durable` list; under load a batch holds
/// hundreds of them, and one merged frame per connection instead of one per update keeps the
/// fan-out cheap and the outbound queues short. The senders get their own edits back, which Yjs
/// ignores (updates are idempotent).
fn coalesce_updates(frames: &mut Vec<(Target, Vec<u8>)>, durable: &[Vec<u8>]) {
    let Ok(merged) = yrs::merge_updates_v1(durable.iter().map(Vec::as_slice)) else { return };
    frames.retain(|(target, frame)| matches!(target, Target::Conn(_)) || !ap_workspace::room::is_update_message(frame));
    frames.push((Target::All, yrs::sync::Message::Sync(yrs::sync::SyncMessage::Update(merged)).encode_v1()));
}

/// A close frame's reason fits in 123 bytes (RFC 6455 §5.5): cut at a character boundary.
fn close_reason(reason: &str) -> String {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_string()
}

/// A token bucket: `rate` messages per second on average, bursts up to `2 × rate`.
#[derive(Debug)]
struct RateLimit {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    fn new(rate: u32) -> Self {
        let rate = f64::from(rate.max(1));
        Self { rate, tokens: 2.0 * rate, last: Instant::now() }
    }

    fn allow(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(2.0 * self.rate);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Frames a writer sends with one flush at most.
const FRAMES_PER_FLUSH: usize = 64;

/// Send `first` and the frames already queued behind it (up to [`FRAMES_PER_FLUSH`]), each in its
/// own WebSocket message, with one flush: under load a client gets several frames per write
/// instead of one write each. A close found in the queue stops there and is left in `close`.
async fn send_queued<S>(
    sink: &mut S,
    first: Bytes,
    out_rx: &mut mpsc::Receiver<Outbound>,
    close: &mut Option<(u16, String)>,
) -> Result<(), S::Error>
where
    S: Sink<Message> + Unpin,
{
    sink.feed(Message::Binary(first)).await?;
    for _ in 1..FRAMES_PER_FLUSH {
        match out_rx.try_recv() {
            Ok(Outbound::Frame(frame)) => sink.feed(Message::Binary(frame)).await?,
            Ok(Outbound::Close(code, reason)) => {
                *close = Some((code, reason));
                break;
            }
            Err(_) => break,
        }
    }
    sink.flush().await
}

/// Serve one accepted WebSocket connection of `role` in `dossier` until it closes.
pub async fn serve_connection<S, E>(hub: Arc<Hub>, socket: S, dossier: String, role: Role)
where
    S: Sink<Message> + Stream<Item = Result<Message, E>> + Send + 'static,
    <S as Sink<Message>>::Error: Display,
    E: Display,
{
    let conn = hub.next_conn.fetch_add(1, Ordering::Relaxed);
    let (out_tx, mut out_rx) = mpsc::channel::<Outbound>(hub.limits.outbound_queue.max(1));
    let kick = Arc::new(tokio::sync::Notify::new());
    let room = hub.join(&dossier, conn, role, Peer { out: out_tx, kick: kick.clone() });
    let (mut sink, mut stream) = socket.split();
    let (close_tx, mut close_rx) = oneshot::channel::<(u16, String)>();

    let keepalive = Duration::from_millis(hub.limits.keepalive_ms.max(10));
    // An awareness update for no client: y-websocket applies it as a no-op, but counts it as a
    // message received.
    let ping = Bytes::from(yrs::sync::Message::Awareness(yrs::sync::AwarenessUpdate { clients: HashMap::new() }).encode_v1());
    let mut writer = tokio::spawn(async move {
        // The room dropped this connection: the reader's close, a close the room queued, or
        // "too slow".
        fn kicked(
            out_rx: &mut mpsc::Receiver<Outbound>,
            close_rx: &mut oneshot::Receiver<(u16, String)>,
        ) -> Option<(u16, String)> {
            if let Ok(close) = close_rx.try_recv() {
                return Some(close);
            }
            while let Ok(out) = out_rx.try_recv() {
                if let Outbound::Close(code, reason) = out {
                    return Some((code, reason));
                }
            }
            Some((1013, "client trop lent, reconnectez-vous".to_string()))
        }
        let mut idle_until = tokio::time::Instant::now() + keepalive;
        let close = loop {
            tokio::select! {
                biased;
                out = out_rx.recv() => match out {
                    Some(Outbound::Frame(frame)) => {
                        idle_until = tokio::time::Instant::now() + keepalive;
                        let mut queued_close = None;
                        let sent = tokio::select! {
                            sent = send_queued(&mut sink, frame, &mut out_rx, &mut queued_close) => Some(sent.is_ok()),
                            () = kick.notified() => None,
                        };
                        match sent {
                            None => break kicked(&mut out_rx, &mut close_rx),
                            Some(false) => return,
                            Some(true) => {
                                if let Some(close) = queued_close {
                                    break Some(close);
                                }
                            }
                        }
                    }
                    Some(Outbound::Close(code, reason)) => break Some((code, reason)),
                    None => break kicked(&mut out_rx, &mut close_rx),
                },
                close = &mut close_rx => break close.ok(),
                () = kick.notified() => break kicked(&mut out_rx, &mut close_rx),
                () = tokio::time::sleep_until(idle_until) => {
                    idle_until = tokio::time::Instant::now() + keepalive;
                    if sink.send(Message::Binary(ping.clone())).await.is_err() {
                        return;
                    }
                }
            }
        };
        if let Some((code, reason)) = close {
            let frame = CloseFrame { code, reason: close_reason(&reason).into() };
            let _ = tokio::time::timeout(Duration::from_secs(2), sink.send(Message::Close(Some(frame)))).await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), sink.close()).await;
    });

    let mut limit = RateLimit::new(hub.limits.max_messages_per_second);
    let close = loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Binary(data))) => {
                    if !limit.allow() {
                        tracing::warn!(dossier, conn, "rate limit exceeded, connection closed");
                        break Some((1008, "trop de messages : débit maximal dépassé".to_string()));
                    }
                    if room.send(Command::Frame { conn, data }).is_err() {
                        break None;
                    }
                }
                Some(Ok(Message::Text(_))) => break Some((1003, "messages binaires y-sync attendus".to_string())),
                Some(Ok(Message::Close(_))) | None => break None,
                Some(Ok(_)) => {} // ping/pong: answered by the WebSocket layer
                Some(Err(e)) => {
                    tracing::warn!(dossier, conn, error = %e, "connection error");
                    break Some((1009, "message refusé (trop gros ou invalide)".to_string()));
                }
            },
            _ = &mut writer => break None,
        }
    };
    // Tell the writer how to close before the room lets go of this connection.
    if let Some(close) = close {
        let _ = close_tx.send(close);
    } else {
        drop(close_tx);
    }
    let _ = room.send(Command::Leave { conn });
    if !writer.is_finished() && tokio::time::timeout(Duration::from_secs(3), &mut writer).await.is_err() {
        writer.abort();
    }
}

#[cfg(test)]
mod tests;
