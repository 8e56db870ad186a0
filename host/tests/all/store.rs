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
                deliveries: vec![NewDelivery {
                    event: 0,
                    url: "http://127.0.0.1:9/hook".into(),
                    secret_env: "S".into(),
                }],
                idempotency: Some((
                    "k1".into(),
                    StoredResponse {
                        status: 201,
                        body: "{}".into(),
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
            .unwrap()
            .status,
        201
    );
    assert_eq!(store.events_after("acme", 0, 10).await.unwrap().len(), 1);
    assert_eq!(store.due_deliveries(i64::MAX, 10).await.unwrap().len(), 1);
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
    assert!(store.revoke_key(&key.id).await.unwrap());
    assert!(store.key_by_hash(&key.hash).await.unwrap().is_none());
    assert!(!store.revoke_key(&key.id).await.unwrap());
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
