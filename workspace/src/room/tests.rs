//! Room tests with `yrs` documents playing the clients, and the real SQLite log.

use super::*;
use crate::log::UpdateLog;
use yrs::{GetString, Text, TextRef};

/// A client: its own document, speaking y-sync to the room directly.
struct Client {
    doc: Doc,
    conn: ConnId,
}

impl Client {
    fn new(conn: ConnId) -> Self {
        Self { doc: Doc::new(), conn }
    }

    fn text(&self) -> TextRef {
        self.doc.get_or_insert_text("t")
    }

    fn sync_step1(&self) -> Vec<u8> {
        encode(&Message::Sync(SyncMessage::SyncStep1(self.doc.transact().state_vector())))
    }

    /// Insert `s` at the end of the text and return the update frame it produces.
    fn type_text(&self, s: &str) -> Vec<u8> {
        let text = self.text();
        let mut txn = self.doc.transact_mut();
        let len = text.len(&txn);
        text.insert(&mut txn, len, s);
        let update = txn.encode_update_v1();
        encode(&Message::Sync(SyncMessage::Update(update)))
    }

    /// Apply every sync frame addressed to this client.
    fn receive(&self, effects: &Effects) {
        for (target, frame) in &effects.frames {
            let mine = match target {
                Target::Conn(c) => *c == self.conn,
                Target::AllExcept(c) => *c != self.conn,
                Target::All => true,
            };
            if !mine {
                continue;
            }
            if let Ok(Message::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u))) = Message::decode_v1(frame) {
                self.doc.transact_mut().apply_update(Update::decode_v1(&u).unwrap()).unwrap();
            }
        }
    }

    fn content(&self) -> String {
        self.text().get_string(&self.doc.transact())
    }
}

fn room_text(room: &Room) -> String {
    room.doc().get_or_insert_text("t").get_string(&room.doc().transact())
}

fn join(room: &mut Room, client: &Client, role: Role) {
    let hello = room.connect(client.conn, role);
    assert!(matches!(Message::decode_v1(&hello.frames[0].1).unwrap(), Message::Sync(SyncMessage::SyncStep1(_))));
    let reply = room.receive(client.conn, &client.sync_step1());
    client.receive(&reply);
}

#[test]
fn two_writers_converge_and_each_update_is_logged_then_broadcast_to_the_others() {
    let mut room = Room::open("d", &StoredRoom::default()).unwrap();
    let (a, b) = (Client::new(1), Client::new(2));
    join(&mut room, &a, Role::Redacteur);
    join(&mut room, &b, Role::Redacteur);

    let fx = room.receive(1, &a.type_text("Le mis en cause "));
    assert_eq!(fx.verdict, Verdict::Accepted);
    assert_eq!(fx.durable.len(), 1);
    assert_eq!(fx.frames.len(), 1);
    assert_eq!(fx.frames[0].0, Target::AllExcept(1));
    b.receive(&fx);
    let fx = room.receive(2, &b.type_text("reconnaît les faits."));
    a.receive(&fx);

    assert_eq!(room_text(&room), "Le mis en cause reconnaît les faits.");
    assert_eq!(a.content(), room_text(&room));
    assert_eq!(b.content(), room_text(&room));
}

#[test]
fn a_late_joiner_gets_everything_through_sync_step_2() {
    let mut room = Room::open("d", &StoredRoom::default()).unwrap();
    let a = Client::new(1);
    join(&mut room, &a, Role::Redacteur);
    for i in 0..50 {
        room.receive(1, &a.type_text(&format!("{i} ")));
    }
    let late = Client::new(9);
    join(&mut room, &late, Role::Lecteur);
    assert_eq!(late.content(), a.content());
    assert!(late.content().starts_with("0 1 2 "));
}

#[test]
fn a_reader_cannot_write_and_the_document_stays_intact() {
    let mut room = Room::open("d", &StoredRoom::default()).unwrap();
    let (w, r) = (Client::new(1), Client::new(2));
    join(&mut room, &w, Role::Redacteur);
    join(&mut room, &r, Role::Lecteur);
    room.receive(1, &w.type_text("texte"));
    let before = room.snapshot();

    let fx = room.receive(2, &r.type_text("vandalisme"));
    assert_eq!(fx.verdict, Verdict::ReadOnly);
    assert!(fx.durable.is_empty());
    assert_eq!(fx.frames.len(), 1, "only the refusal, to the reader");
    assert_eq!(fx.frames[0].0, Target::Conn(2));
    assert!(matches!(Message::decode_v1(&fx.frames[0].1).unwrap(), Message::Auth(Some(_))));
    assert_eq!(room.snapshot(), before);
    assert_eq!(room_text(&room), "texte");
}

#[test]
fn malformed_and_truncated_messages_change_nothing() {
    let mut room = Room::open("d", &StoredRoom::default()).unwrap();
    let w = Client::new(1);
    join(&mut room, &w, Role::Redacteur);
    room.receive(1, &w.type_text("intact"));
    let before = room.snapshot();

    let good = w.type_text(" et plus");
    for bad in [&good[..good.len() - 3], &[0, 2, 200, 1, 7][..], &[][..], &[0, 9][..], &[1, 255, 255, 255, 255, 15][..]] {
        let fx = room.receive(1, bad);
        assert!(matches!(fx.verdict, Verdict::Malformed(_)), "{bad:?} → {:?}", fx.verdict);
        assert!(fx.durable.is_empty() && fx.frames.is_empty());
        assert_eq!(room.snapshot(), before);
    }
    // A truncated update inside a well-formed sync message.
    let Message::Sync(SyncMessage::Update(u)) = Message::decode_v1(&good).unwrap() else { panic!() };
    let cut = encode(&Message::Sync(SyncMessage::Update(u[..u.len() / 2].to_vec())));
    let fx = room.receive(1, &cut);
    assert!(matches!(fx.verdict, Verdict::Malformed(_) | Verdict::Poisoned(_)), "{:?}", fx.verdict);
    assert!(fx.durable.is_empty());
    assert_eq!(room_text(&room), "intact");
}

#[test]
fn a_client_writing_a_server_only_type_poisons_and_reload_restores_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = UpdateLog::open(&dir.path().join("log.sqlite3")).unwrap();
    let mut room = Room::open("d", &log.load("d").unwrap()).unwrap();
    let w = Client::new(1);
    join(&mut room, &w, Role::Redacteur);
    let fx = room.receive(1, &w.type_text("propre"));
    log.append("d", &fx.durable).unwrap();

    let forged = {
        let status = w.doc.get_or_insert_map(shared::CORRECTION_STATUS);
        let mut txn = w.doc.transact_mut();
        status.insert(&mut txn, "c1", "enregistrée");
        encode(&Message::Sync(SyncMessage::Update(txn.encode_update_v1())))
    };
    let fx = room.receive(1, &forged);
    assert!(matches!(fx.verdict, Verdict::Poisoned(_)), "{:?}", fx.verdict);
    assert!(fx.durable.is_empty() && fx.frames.is_empty());
    room.reload(&log.load("d").unwrap()).unwrap();
    let status = room.doc().get_or_insert_map(shared::CORRECTION_STATUS);
    assert_eq!(status.len(&room.doc().transact()), 0);
    assert_eq!(room_text(&room), "propre");
    assert_eq!(room.member_count(), 1, "connections survive the reload");
}

#[test]
fn restart_from_snapshot_plus_log_gives_the_same_document() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.sqlite3");
    let mut log = UpdateLog::open(&path).unwrap();
    let mut room = Room::open("d", &log.load("d").unwrap()).unwrap();
    let w = Client::new(1);
    join(&mut room, &w, Role::Redacteur);
    for i in 0..30 {
        let fx = room.receive(1, &w.type_text(&format!("[{i}]")));
        let seq = log.append("d", &fx.durable).unwrap();
        if i == 19 {
            log.compact("d", &room.snapshot(), seq).unwrap();
        }
    }
    assert_eq!(log.pending_count("d").unwrap(), 10);
    let expected = room_text(&room);
    drop((room, log));

    let log = UpdateLog::open(&path).unwrap();
    let stored = log.load("d").unwrap();
    assert!(stored.snapshot.is_some());
    assert_eq!(stored.updates.len(), 10);
    let room = Room::open("d", &stored).unwrap();
    assert_eq!(room_text(&room), expected);
    assert!(expected.ends_with("[29]"));
}

#[test]
fn corrections_are_observed_parsed_and_acknowledged_in_the_server_map() {
    let mut room = Room::open("d", &StoredRoom::default()).unwrap();
    let (w, other) = (Client::new(1), Client::new(2));
    join(&mut room, &w, Role::Redacteur);
    join(&mut room, &other, Role::Redacteur);
    let frame = {
        let corrections = w.doc.get_or_insert_array(shared::CORRECTIONS);
        let mut txn = w.doc.transact_mut();
        let good: Any = serde_json::from_value::<Any>(serde_json::json!({
            "id": "c1", "author": "substitut.b", "time": "2024-03-12T14:30:00Z",
            "change": { "kind": "offence_rejected", "offence": "CP 222-13", "reason": "ITT de 10 jours" }
        }))
        .unwrap();
        let bad: Any = serde_json::from_value::<Any>(serde_json::json!({ "id": "c2", "author": "x" })).unwrap();
        corrections.push_back(&mut txn, good);
        corrections.push_back(&mut txn, bad);
        encode(&Message::Sync(SyncMessage::Update(txn.encode_update_v1())))
    };
    let fx = room.receive(1, &frame);
    assert_eq!(fx.verdict, Verdict::Accepted);
    assert_eq!(fx.corrections.len(), 2);
    let c1 = fx.corrections[0].parsed.as_ref().unwrap();
    assert_eq!(c1.change, ap_engine::Change::OffenceRejected { offence: "CP 222-13".into(), reason: Some("ITT de 10 jours".into()) });
    assert!(fx.corrections[1].parsed.is_err());
    assert_eq!(room.unacknowledged_corrections().len(), 2);

    let ack = room.acknowledge_corrections(&[("c1".into(), Ok(())), ("c2".into(), Err("mal formée".into()))]);
    assert_eq!(ack.verdict, Verdict::Accepted);
    assert_eq!(ack.durable.len(), 1);
    assert_eq!(ack.frames[0].0, Target::All);
    other.receive(&ack);
    let status = other.doc.get_or_insert_map(shared::CORRECTION_STATUS);
    let txn = other.doc.transact();
    let c1 = status.get(&txn, "c1").unwrap().to_json(&txn);
    let mut json = String::new();
    c1.to_json(&mut json);
    assert!(json.contains("enregistrée"), "{json}");
    drop(txn);
    assert!(room.unacknowledged_corrections().is_empty());
}

#[test]
fn presence_is_relayed_and_removed_when_a_connection_leaves() {
    let mut room = Room::open("d", &StoredRoom::default()).unwrap();
    let (a, b) = (Client::new(1), Client::new(2));
    join(&mut room, &a, Role::Redacteur);
    join(&mut room, &b, Role::Lecteur);
    let mut presence = Awareness::new(a.doc.clone());
    presence.set_local_state(serde_json::json!({ "user": { "name": "Substitut A" }, "page": 12 })).unwrap();
    let frame = encode(&Message::Awareness(presence.update().unwrap()));
    let fx = room.receive(1, &frame);
    assert_eq!(fx.frames.len(), 1);
    assert_eq!(fx.frames[0].0, Target::AllExcept(1));

    // A reader may show presence too.
    let mut presence_b = Awareness::new(b.doc.clone());
    presence_b.set_local_state(serde_json::json!({ "user": { "name": "Lecteur" } })).unwrap();
    let fx = room.receive(2, &encode(&Message::Awareness(presence_b.update().unwrap())));
    assert_eq!(fx.verdict, Verdict::Accepted);
    assert_eq!(fx.frames.len(), 1);

    let fx = room.disconnect(1);
    assert_eq!(fx.frames.len(), 1);
    let Message::Awareness(update) = Message::decode_v1(&fx.frames[0].1).unwrap() else { panic!() };
    let entry = &update.clients[&a.doc.client_id()];
    assert_eq!(&*entry.json, "null", "the leaver's state is cleared");
    assert_eq!(room.member_count(), 1);
}

#[test]
fn the_synthesis_is_initialised_once() {
    let mut room = Room::open("d", &StoredRoom::default()).unwrap();
    let draft = vec!["Le 12 mars 2024, M. DUPONT a frappé son épouse.".to_string(), "ITT de 3 jours.".to_string()];
    let fx = room.initialize_synthesis(&draft).unwrap();
    assert_eq!(fx.durable.len(), 1);
    let fragment = room.doc().get_or_insert_xml_fragment(shared::SYNTHESIS);
    let xml = fragment.get_string(&room.doc().transact());
    assert!(xml.contains("<paragraph>Le 12 mars 2024"), "{xml}");
    assert!(room.initialize_synthesis(&draft).is_none(), "second call does nothing");

    // A restarted room knows it was initialised.
    let stored = StoredRoom { updates: vec![(1, fx.durable[0].clone())], ..StoredRoom::default() };
    let mut again = Room::open("d", &stored).unwrap();
    assert!(again.initialize_synthesis(&draft).is_none());
}

#[test]
fn a_cited_draft_is_written_as_the_editor_writes_it() {
    let mut room = Room::open("d", &StoredRoom::default()).unwrap();
    let draft = vec![
        DraftBlock { heading: true, text: "Les faits".into(), citations: vec![] },
        DraftBlock {
            heading: false,
            text: "La victime déclare avoir été frappée.".into(),
            citations: vec![DraftCitation {
                document: "doc1".into(),
                page: 3,
                label: "PV de plainte, p. 3".into(),
                quote: "il m'a frappé".into(),
            }],
        },
    ];
    room.initialize_synthesis_blocks(&draft).unwrap();
    let blocks = room.synthesis_blocks();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].node, "heading");
    let level = blocks[0].attributes.get("level").map(|v| v.to_string().trim_matches('"').to_string());
    assert_eq!(level.as_deref(), Some("2"));
    assert_eq!(blocks[1].node, "paragraph");
    let text: String = blocks[1].runs.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(text, "La victime déclare avoir été frappée. (PV de plainte, p. 3)");
    let cited = blocks[1].runs.iter().find(|r| r.marks.contains_key("citation")).expect("a run with the citation mark");
    assert_eq!(cited.text, "(PV de plainte, p. 3)");
    assert_eq!(cited.marks["citation"]["page"], serde_json::json!(3));
    assert_eq!(cited.marks["citation"]["document"], "doc1");
    assert!(room.initialize_synthesis_blocks(&draft).is_none(), "once only");
}

#[test]
fn a_frame_with_several_messages_is_handled_in_order() {
    let mut room = Room::open("d", &StoredRoom::default()).unwrap();
    let w = Client::new(1);
    room.connect(1, Role::Redacteur);
    let mut frame = w.type_text("a");
    frame.extend(w.type_text("b"));
    let fx = room.receive(1, &frame);
    assert_eq!(fx.durable.len(), 2);
    assert_eq!(room_text(&room), "ab");
}

mod random_input {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        /// Random frames, and random bytes inside a sync-update envelope, never crash the room and
        /// never change the document unless the verdict says it was accepted.
        #[test]
        fn random_bytes_never_crash_or_corrupt(bytes in proptest::collection::vec(any::<u8>(), 0..200), wrap in any::<bool>()) {
            let mut room = Room::open("d", &StoredRoom::default()).unwrap();
            let w = Client::new(1);
            room.connect(1, Role::Redacteur);
            room.receive(1, &w.type_text("base"));
            let before = room.snapshot();
            let frame = if wrap { encode(&Message::Sync(SyncMessage::Update(bytes))) } else { bytes };
            let fx = room.receive(1, &frame);
            match fx.verdict {
                Verdict::Accepted => {}
                _ => {
                    prop_assert!(fx.durable.is_empty());
                    if matches!(fx.verdict, Verdict::Malformed(_)) {
                        prop_assert_eq!(room.snapshot(), before);
                    }
                }
            }
        }
    }
}
