//! The edge driven without sockets: in-memory `Sink + Stream` connections, the real SQLite log.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use ap_workspace::CorrectionSink;
use yrs::sync::{Message as Y, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, Text, Transact, Update};

use super::*;

/// One side of an in-memory WebSocket; `stuck` never accepts a frame (a client that stopped reading).
struct TestSocket {
    incoming: mpsc::UnboundedReceiver<Message>,
    outgoing: mpsc::UnboundedSender<Message>,
    stuck: bool,
}

impl Stream for TestSocket {
    type Item = Result<Message, Infallible>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().incoming.poll_recv(cx).map(|m| m.map(Ok))
    }
}

impl Sink<Message> for TestSocket {
    type Error = String;
    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), String>> {
        if self.stuck { Poll::Pending } else { Poll::Ready(Ok(())) }
    }
    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), String> {
        self.outgoing.send(item).map_err(|e| e.to_string())
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), String>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), String>> {
        Poll::Ready(Ok(()))
    }
}

/// A test client: its document, what it sends, what it receives.
struct Client {
    doc: Doc,
    task: tokio::task::JoinHandle<()>,
    send: mpsc::UnboundedSender<Message>,
    recv: mpsc::UnboundedReceiver<Message>,
}

impl Client {
    fn connect(hub: &Arc<Hub>, dossier: &str, role: Role, stuck: bool) -> Self {
        let (send, incoming) = mpsc::unbounded_channel();
        let (outgoing, recv) = mpsc::unbounded_channel();
        let socket = TestSocket { incoming, outgoing, stuck };
        let task = tokio::spawn(serve_connection(hub.clone(), socket, dossier.to_string(), role));
        let client = Self { doc: Doc::new(), task, send, recv };
        let sv = client.doc.transact().state_vector();
        client.frame(Y::Sync(SyncMessage::SyncStep1(sv)));
        client
    }

    fn frame(&self, message: Y) {
        let _ = self.send.send(Message::Binary(message.encode_v1().into()));
    }

    fn type_text(&self, s: &str) {
        let text = self.doc.get_or_insert_text("t");
        let update = {
            let mut txn = self.doc.transact_mut();
            let len = text.len(&txn);
            text.insert(&mut txn, len, s);
            txn.encode_update_v1()
        };
        self.frame(Y::Sync(SyncMessage::Update(update)));
    }

    /// Apply what arrives until the text equals `expected` (or time out).
    async fn until_text(&mut self, expected: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.doc.get_or_insert_text("t");
            let now = text.get_string(&self.doc.transact());
            if now == expected {
                return now;
            }
            match tokio::time::timeout_at(deadline, self.recv.recv()).await {
                Ok(Some(Message::Binary(b))) => {
                    if let Ok(Y::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u))) = Y::decode_v1(&b) {
                        self.doc.transact_mut().apply_update(Update::decode_v1(&u).unwrap()).unwrap();
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return now,
            }
        }
    }

    /// Wait until the room answers with a sync step 2 carrying a non-empty update (the answer to
    /// a sync step 1 sent with an empty state vector, after the first one).
    async fn round_trip(&mut self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, self.recv.recv()).await {
                Ok(Some(Message::Binary(b))) => {
                    if let Ok(Y::Sync(SyncMessage::SyncStep2(u))) = Y::decode_v1(&b)
                        && u.as_slice() != Update::EMPTY_V1
                    {
                        return;
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => panic!("no answer from the room"),
            }
        }
    }

    /// Wait for a close frame; returns its code.
    async fn closed(&mut self) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, self.recv.recv()).await {
                Ok(Some(Message::Close(frame))) => return frame.map(|f| f.code),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return None,
            }
        }
    }
}

#[derive(Default)]
struct MemorySink(Mutex<Vec<ap_engine::Correction>>);
impl CorrectionSink for MemorySink {
    fn record(&self, _dossier: &str, c: &ap_engine::Correction) -> ap_workspace::Result<()> {
        self.0.lock().unwrap().push(c.clone());
        Ok(())
    }
}

fn hub(dir: &std::path::Path, limits: Limits) -> Arc<Hub> {
    let log = UpdateLog::open(&dir.join("workspace.sqlite3")).unwrap();
    Hub::new(log, Arc::new(MemorySink::default()), limits).unwrap()
}

fn logged_text(dir: &std::path::Path, dossier: &str) -> String {
    let stored = UpdateLog::open(&dir.join("workspace.sqlite3")).unwrap().load(dossier).unwrap();
    let room = Room::open(dossier, &stored).unwrap();
    let text = room.doc().get_or_insert_text("t");
    text.get_string(&room.doc().transact())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_client_receives_is_already_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path(), Limits::default());
    let a = Client::connect(&hub, "d", Role::Redacteur, false);
    let mut b = Client::connect(&hub, "d", Role::Redacteur, false);
    for i in 0..20 {
        a.type_text(&format!("{i};"));
    }
    let expected: String = (0..20).map(|i| format!("{i};")).collect();
    assert_eq!(b.until_text(&expected).await, expected);
    // b saw it, so the log holds it: a fresh room from the log has the same text.
    assert_eq!(logged_text(dir.path(), "d"), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_the_log_fails_to_commit_reaches_nobody_and_the_room_closes() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path(), Limits::default());
    let a = Client::connect(&hub, "d", Role::Redacteur, false);
    let mut b = Client::connect(&hub, "d", Role::Redacteur, false);
    a.type_text("gardé");
    assert_eq!(b.until_text("gardé").await, "gardé");
    // Break the log under the writer thread: its next commit fails.
    let db = rusqlite::Connection::open(dir.path().join("workspace.sqlite3")).unwrap();
    db.busy_timeout(Duration::from_secs(10)).unwrap();
    db.execute_batch("DROP TABLE updates").unwrap();
    a.type_text(" perdu");
    // b gets the storage-error close, and never the update that was not committed.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let code = loop {
        match tokio::time::timeout_at(deadline, b.recv.recv()).await {
            Ok(Some(Message::Binary(bytes))) => {
                if let Ok(Y::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u))) = Y::decode_v1(&bytes) {
                    b.doc.transact_mut().apply_update(Update::decode_v1(&u).unwrap()).unwrap();
                }
            }
            Ok(Some(Message::Close(frame))) => break frame.map(|f| f.code),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break None,
        }
    };
    assert_eq!(code, Some(1011));
    let text = b.doc.get_or_insert_text("t");
    assert_eq!(text.get_string(&b.doc.transact()), "gardé");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_client_is_dropped_and_the_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path(), Limits { outbound_queue: 16, ..Limits::default() });
    let stuck = Client::connect(&hub, "d", Role::Lecteur, true);
    let writer = Client::connect(&hub, "d", Role::Redacteur, false);
    let mut reader = Client::connect(&hub, "d", Role::Lecteur, false);
    for i in 0..100 {
        writer.type_text(&format!("{i},"));
        // Separate batches, so the stuck client's queue (16 frames) overflows.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let expected: String = (0..100).map(|i| format!("{i},")).collect();
    assert_eq!(reader.until_text(&expected).await, expected);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !stuck.task.is_finished() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(stuck.task.is_finished(), "the stuck connection was dropped");
    assert!(!reader.task.is_finished(), "the healthy one is still connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_closes_the_connection_and_flooding_is_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path(), Limits { max_messages_per_second: 20, ..Limits::default() });
    let writer = Client::connect(&hub, "d", Role::Redacteur, false);
    let mut observer = Client::connect(&hub, "d", Role::Lecteur, false);
    writer.type_text("intact");
    assert_eq!(observer.until_text("intact").await, "intact");

    let mut garbage = Client::connect(&hub, "d", Role::Redacteur, false);
    let _ = garbage.send.send(Message::Binary(vec![0, 2, 9, 1, 2].into()));
    assert_eq!(garbage.closed().await, Some(1003));

    let mut flood = Client::connect(&hub, "d", Role::Lecteur, false);
    for _ in 0..200 {
        flood.frame(Y::AwarenessQuery);
    }
    assert_eq!(flood.closed().await, Some(1008));
    assert_eq!(logged_text(dir.path(), "d"), "intact");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_room_is_unloaded_and_reopens_from_its_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path(), Limits::default());
    {
        let mut a = Client::connect(&hub, "d", Role::Redacteur, false);
        a.type_text("persisté");
        // Round trip: once the room answers a later sync step 1, the edit was handled.
        a.frame(Y::Sync(SyncMessage::SyncStep1(Default::default())));
        a.round_trip().await;
        assert_eq!(hub.open_rooms(), 1);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while hub.open_rooms() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(hub.open_rooms(), 0, "the room left memory");
    let stored = hub.with_log(|log| log.load("d")).await.unwrap();
    assert!(stored.snapshot.is_some() && stored.updates.is_empty(), "compacted on unload");
    let mut late = Client::connect(&hub, "d", Role::Lecteur, false);
    assert_eq!(late.until_text("persisté").await, "persisté");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_client_keeps_receiving_messages_so_its_liveness_timer_never_fires() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path(), Limits { keepalive_ms: 50, ..Limits::default() });
    let mut idle = Client::connect(&hub, "d", Role::Lecteur, false);
    let start = tokio::time::Instant::now();
    let mut empty_presence = 0;
    while start.elapsed() < Duration::from_millis(400) {
        if let Ok(Some(Message::Binary(b))) = tokio::time::timeout(Duration::from_millis(200), idle.recv.recv()).await
            && let Ok(Y::Awareness(update)) = Y::decode_v1(&b)
            && update.clients.is_empty()
        {
            empty_presence += 1;
        }
    }
    assert!(empty_presence >= 3, "{empty_presence} keepalive messages in 400 ms");
}
