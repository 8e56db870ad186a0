//! The store, on whichever backend the suite runs (`BATON_TEST_STORE`): atomic write sets, the database's own guards (one open handoff per
//! conversation, message order, conditional updates), keys, and reopening.

use baton::store::*;
use baton_plugin_sdk::{Customer, Message, Priority, Role};

fn conversation(id: &str, count: i64) -> ConversationRow {
    ConversationRow {
        id: id.into(),
        channel: "sms".into(),
        customer: Customer {
            name: "Dana".into(),
            ..Customer::default()
        },
        customer_key: "+15555550117".into(),
        message_count: count,
        created_ms: 1,
        updated_ms: 2,
    }
}

fn message(seq: i64, text: &str) -> MessageRow {
    MessageRow {
        seq,
        message: Message {
            role: Role::Customer,
            text: text.into(),
            at_ms: 1000 + seq,
            intent: None,
            confidence: None,
        },
        agent_id: None,
    }
}

fn handoff(id: &str, conversation: &str) -> HandoffRow {
    HandoffRow {
        id: id.into(),
        conversation_id: conversation.into(),
        state: HandoffState::Offered,
        reason: "explicit_request".into(),
        priority: Priority::High,
        tags: vec![],
        queue: "general".into(),
        route: vec!["sam".into()],
        declined_by: vec![],
        offered_to: Some("sam".into()),
        offer_expires_ms: Some(5_000),
        accepted_by: None,
        opened_ms: 1_000,
        accepted_ms: None,
        closed_ms: None,
        closed_seq: None,
        outcome: None,
        csat: None,
        note: None,
        policy_version: "v1".into(),
        trigger_seq: 0,
        explanation: String::new(),
        after_hours: false,
        routing_note: String::new(),
    }
}

async fn open() -> (tempfile::TempDir, SharedStore) {
    let dir = tempfile::tempdir().unwrap();
    let data = if crate::pg::hosts_use_postgres() {
        crate::pg::fresh_database().await
    } else {
        dir.path().to_str().unwrap().to_string()
    };
    (dir, baton::store::open(&data).await.unwrap())
}

#[tokio::test]
async fn a_write_set_commits_whole_and_reads_back() {
    let (_dir, store) = open().await;
    let applied = store
        .apply(
            "acme",
            WriteSet {
                conversation: Some(conversation("c1", 1)),
                messages: vec![message(0, "hi")],
                new_handoffs: vec![handoff("h1", "c1")],
                events: vec![NewEvent {
                    kind: "handoff.opened".into(),
                    handoff_id: Some("h1".into()),
                    conversation_id: Some("c1".into()),
                    data: serde_json::json!({"x": 1}),
                    at_ms: 10,
                }],
                deliveries: destinations()
                    .into_iter()
                    .map(|to| NewDelivery { event: 0, to })
                    .collect(),
                idempotency: Some((
                    "k1".into(),
                    StoredResponse {
                        status: 201,
                        body: "{}".into(),
                        request: "r1".into(),
                    },
                )),
                ..WriteSet::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(applied.event_ids.len(), 1);
    assert_eq!(store.messages("acme", "c1").await.unwrap().len(), 1);
    assert_eq!(
        store.open_handoff("acme", "c1").await.unwrap().unwrap().id,
        "h1"
    );
    assert_eq!(
        store
            .idempotent_response("acme", "k1")
            .await
            .unwrap()
            .unwrap(),
        StoredResponse {
            status: 201,
            body: "{}".into(),
            request: "r1".into(),
        }
    );
    assert_eq!(store.events_after("acme", 0, 10).await.unwrap().len(), 1);
    // Each destination comes back as it went in, its kind counted by name.
    let due: Vec<_> = store
        .due_deliveries(i64::MAX, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.to)
        .collect();
    assert_eq!(due, destinations());
    let kinds: Vec<_> = store
        .outbox_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.kind)
        .collect();
    assert_eq!(kinds, ["alert_email", "alert_sms", "sms", "webhook"]);
    // Another tenant sees none of it.
    assert!(store.conversation("other", "c1").await.unwrap().is_none());
    assert!(store.handoff("other", "h1").await.unwrap().is_none());
    assert!(store.events_after("other", 0, 10).await.unwrap().is_empty());
    assert!(store
        .idempotent_response("other", "k1")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_failing_write_set_leaves_nothing_behind() {
    let (_dir, store) = open().await;
    let first = WriteSet {
        conversation: Some(conversation("c1", 1)),
        messages: vec![message(0, "hi")],
        new_handoffs: vec![handoff("h1", "c1")],
        ..WriteSet::default()
    };
    store.apply("acme", first).await.unwrap();
    // A second open handoff for the same conversation is refused by the database, and the
    // message written in the same set is rolled back with it.
    let second = WriteSet {
        conversation: Some(conversation("c1", 2)),
        messages: vec![message(1, "again")],
        new_handoffs: vec![handoff("h2", "c1")],
        ..WriteSet::default()
    };
    let err = store.apply("acme", second).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert_eq!(store.messages("acme", "c1").await.unwrap().len(), 1);
    // A message with a taken position lost a race with another writer: nothing changed,
    // and the operation may run again on fresh reads.
    let clash = WriteSet {
        conversation: Some(conversation("c1", 1)),
        messages: vec![message(0, "dup")],
        ..WriteSet::default()
    };
    assert!(matches!(
        store.apply("acme", clash).await,
        Err(StoreError::Raced(_))
    ));
    assert_eq!(
        store.messages("acme", "c1").await.unwrap()[0].message.text,
        "hi"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_updates_let_exactly_one_accept_win() {
    let (_dir, store) = open().await;
    let setup = WriteSet {
        conversation: Some(conversation("c1", 0)),
        new_handoffs: vec![handoff("h1", "c1")],
        ..WriteSet::default()
    };
    store.apply("acme", setup).await.unwrap();
    let accept = |agent: &str| {
        let mut row = handoff("h1", "c1");
        row.state = HandoffState::Accepted;
        row.accepted_by = Some(agent.into());
        WriteSet {
            handoff_updates: vec![HandoffUpdate {
                id: "h1".into(),
                expect_states: vec![HandoffState::Offered, HandoffState::Queued],
                expect_agent: None,
                room: None,
                row,
            }],
            ..WriteSet::default()
        }
    };
    let tasks: Vec<_> = ["sam", "ana", "lee", "kim"]
        .into_iter()
        .map(|a| {
            let (store, w) = (store.clone(), accept(a));
            tokio::spawn(async move { store.apply("acme", w).await.is_ok() })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        wins += t.await.unwrap() as usize;
    }
    assert_eq!(wins, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn offers_that_need_room_never_fill_a_seat_twice() {
    let (_dir, store) = open().await;
    // Sam holds one accepted handoff and has room for two; four queued ones are offered to
    // him at once, each as if by a different host that read the roster before the others.
    for n in 0..5 {
        let mut h = handoff(&format!("h{n}"), &format!("c{n}"));
        h.state = HandoffState::Queued;
        h.offered_to = None;
        if n == 0 {
            h.state = HandoffState::Accepted;
            h.accepted_by = Some("sam".into());
        }
        store
            .apply(
                "acme",
                WriteSet {
                    conversation: Some(conversation(&h.conversation_id, 0)),
                    new_handoffs: vec![h],
                    ..WriteSet::default()
                },
            )
            .await
            .unwrap();
    }
    let offer = |id: String| {
        let mut row = handoff(&id, &id.replace('h', "c"));
        row.state = HandoffState::Offered;
        WriteSet {
            handoff_updates: vec![HandoffUpdate {
                id,
                expect_states: vec![HandoffState::Queued],
                expect_agent: None,
                room: Some(Room {
                    agent: "sam".into(),
                    capacity: 2,
                }),
                row,
            }],
            ..WriteSet::default()
        }
    };
    let tasks: Vec<_> = (1..5)
        .map(|n| {
            let (store, w) = (store.clone(), offer(format!("h{n}")));
            tokio::spawn(async move { store.apply("acme", w).await })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(StoreError::Conflict(why)) => assert!(why.contains("no room"), "{why}"),
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(wins, 1, "one seat was free");
    let offered = store
        .handoffs(
            "acme",
            &HandoffFilter {
                state: Some(HandoffState::Offered),
                limit: 10,
                ..HandoffFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(offered.len(), 1);
    // Re-offering the same handoff counts it once: its own row is not another seat.
    let again = offer(offered[0].id.clone());
    let mut again = again;
    again.handoff_updates[0].expect_states = vec![HandoffState::Offered];
    store.apply("acme", again).await.unwrap();
}

#[tokio::test]
async fn keys_are_stored_as_hashes_and_can_be_revoked() {
    let (_dir, store) = open().await;
    let key = new_key();
    store
        .insert_key(KeyRow {
            id: key.id.clone(),
            hash: key.hash.clone(),
            tenant: Some("acme".into()),
            role: KeyRole::Agent,
            agent_id: Some("sam".into()),
            created_ms: 1,
            revoked_ms: None,
            expires_ms: None,
        })
        .await
        .unwrap();
    let found = store
        .key_by_hash(&hash_key(&key.secret))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.agent_id.as_deref(), Some("sam"));
    assert_ne!(found.hash, key.secret);
    assert_eq!(found.state(1), KeyState::Live);
    assert!(store.revoke_key(&key.id, 5).await.unwrap());
    // A revoked key is still found, as revoked (so a caller can be told so).
    let revoked = store.key_by_hash(&key.hash).await.unwrap().unwrap();
    assert_eq!(
        (revoked.revoked_ms, revoked.state(6)),
        (Some(5), KeyState::Revoked)
    );
    assert_eq!(store.key_by_id(&key.id).await.unwrap(), Some(revoked));
    assert!(!store.revoke_key(&key.id, 7).await.unwrap());
}

#[tokio::test]
async fn data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        let w = WriteSet {
            conversation: Some(conversation("c1", 1)),
            messages: vec![message(0, "hi")],
            ..WriteSet::default()
        };
        store.apply("acme", w).await.unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(
        store.messages("acme", "c1").await.unwrap()[0].message.text,
        "hi"
    );
}

/// One outbox destination of each kind.
fn destinations() -> Vec<Destination> {
    vec![
        Destination::Webhook {
            url: "http://127.0.0.1:9/hook".into(),
            secret_env: "S".into(),
        },
        Destination::CustomerSms {
            number: "+15555550117".into(),
        },
        Destination::AgentSms {
            phone: "+15555550100".into(),
        },
        Destination::AgentEmail {
            address: "sam@acme.example".into(),
        },
    ]
}
