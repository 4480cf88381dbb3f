//! A burst of transfer events (thousands of files queued, then paused, at once) outruns the
//! hub's subscribers; none of it may be lost silently. A subscriber that rebuilds the list
//! from events, reloading from `list()` whenever it is told it fell behind, must end with
//! exactly the items and states the queue holds.

mod common;

use std::collections::BTreeMap;

use cirrus_core::transfer::{ConflictPolicy, EngineEvent, ItemState};
use cirrus_core::transfer_hub::{HubSelection, TransferHub};
use cirrus_sandbox::SandboxConfig;
use tokio::sync::broadcast::error::TryRecvError;

/// More events than the engine's channel holds (1 024), so its relay to the hub falls behind.
const FILES: usize = 3_000;

type Rows = BTreeMap<(String, i64), ItemState>;

async fn rows_of(hub: &TransferHub) -> Rows {
    hub.list()
        .await
        .unwrap()
        .into_iter()
        .map(|h| ((h.account_id, h.item.id), h.item.state))
        .collect()
}

// One thread: the burst runs without yielding, as a big drop does on a busy runtime, so the
// relay tasks only get to read once it is over.
#[tokio::test(flavor = "current_thread")]
async fn a_slow_subscriber_ends_with_every_item_of_a_burst() {
    common::use_file_secrets();
    let sandbox = common::sandbox(SandboxConfig::default()).await;
    let common::HubEnv {
        hub,
        engine,
        provider,
        ..
    } = common::hub_env(&sandbox).await;
    let local = tempfile::tempdir().unwrap();
    let mut files = Vec::with_capacity(FILES);
    for i in 0..FILES {
        let path = local.path().join(format!("f{i:05}.txt"));
        std::fs::write(&path, format!("file {i}")).unwrap();
        files.push(path);
    }

    let mut rx = hub.subscribe();
    for path in &files {
        engine
            .enqueue_upload(path, &provider.root(), ConflictPolicy::Ask)
            .unwrap();
    }
    hub.pause(&HubSelection::All).await.unwrap();
    engine.wait_idle().await.unwrap();
    // Let the relays catch up with what the engine sent.
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }

    let mut seen = Rows::new();
    let mut reloads = 0;
    loop {
        match rx.try_recv() {
            Ok(e) => match e.event {
                EngineEvent::Item(item) => {
                    seen.insert((e.account_id, item.id), item.state);
                }
                EngineEvent::States { ids, state } => {
                    for id in ids.iter() {
                        seen.insert((e.account_id.clone(), *id), state);
                    }
                }
            },
            Err(TryRecvError::Lagged(_)) => {
                reloads += 1;
                seen = rows_of(&hub).await;
            }
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Closed) => panic!("the hub closed its channel"),
        }
    }
    let expected = rows_of(&hub).await;
    assert_eq!(expected.len(), FILES, "the queue holds every file");
    assert!(
        expected.values().all(|s| *s == ItemState::Paused),
        "every file was paused before it could start"
    );
    assert_eq!(
        seen.len(),
        expected.len(),
        "rows rebuilt from events (after {reloads} reloads)"
    );
    assert_eq!(seen, expected, "states rebuilt from events");
    assert!(reloads > 0, "the burst outran the channel and said so");
    hub.shutdown().await;
}

#[test]
fn transition_many_moves_only_the_items_still_in_the_from_state() {
    use cirrus_core::transfer::{NewItem, TransferQueue};
    let dir = tempfile::tempdir().unwrap();
    let q = TransferQueue::open(&dir.path().join("q.sqlite3")).unwrap();
    let add = |name: &str| {
        q.add(&NewItem::upload_file(
            &dir.path().join(name),
            "cloudreve://my",
            1,
            ConflictPolicy::Ask,
        ))
        .unwrap()
    };
    let (a, b, c) = (add("a"), add("b"), add("c"));
    assert!(q.transition(b, ItemState::Running).unwrap());
    assert_eq!(
        q.transition_many(&[a, b, c], ItemState::Queued, ItemState::Paused)
            .unwrap(),
        vec![a, c],
        "the running one is left alone"
    );
    let state = |id| q.get(id).unwrap().state;
    assert_eq!(
        (state(a), state(b), state(c)),
        (ItemState::Paused, ItemState::Running, ItemState::Paused)
    );
    assert!(
        q.transition_many(&[a], ItemState::Completed, ItemState::Paused)
            .is_err(),
        "the state machine still applies"
    );
}

#[test]
fn transition_all_moves_every_waiting_file_and_unexpanded_folder_in_one_statement() {
    use cirrus_core::transfer::{ItemKind, NewItem, TransferQueue};
    let dir = tempfile::tempdir().unwrap();
    let q = TransferQueue::open(&dir.path().join("q.sqlite3")).unwrap();
    let upload = |name: &str| {
        NewItem::upload_file(
            &dir.path().join(name),
            "cloudreve://my",
            1,
            ConflictPolicy::Ask,
        )
    };
    let folder = |name: &str| NewItem {
        kind: ItemKind::Folder,
        ..upload(name)
    };
    let waiting = q.add(&upload("waiting")).unwrap();
    let running = q.add(&upload("running")).unwrap();
    assert!(q.transition(running, ItemState::Running).unwrap());
    let done = q.add(&upload("done")).unwrap();
    assert!(q.transition(done, ItemState::Running).unwrap());
    assert!(q.transition(done, ItemState::Completed).unwrap());
    let unexpanded = q.add(&folder("unexpanded")).unwrap();
    let expanded = q.add(&folder("expanded")).unwrap();
    let inside = q
        .prepare_folder(
            expanded,
            &[NewItem {
                parent_id: Some(expanded),
                ..upload("inside")
            }],
            1,
        )
        .unwrap()[0];

    assert_eq!(
        q.transition_all(ItemState::Queued, ItemState::Paused)
            .unwrap(),
        vec![
            (waiting, None),
            (unexpanded, None),
            (inside, Some(expanded))
        ],
        "the waiting file, the folder not expanded yet and the file inside the expanded one"
    );
    let state = |id| q.get(id).unwrap().state;
    assert_eq!(
        [waiting, running, done, unexpanded, expanded, inside].map(state),
        [
            ItemState::Paused,
            ItemState::Running,
            ItemState::Completed,
            ItemState::Paused,
            ItemState::Running,
            ItemState::Paused
        ],
        "running and finished items and the expanded folder are left alone"
    );
    assert_eq!(
        q.transition_all(ItemState::Paused, ItemState::Queued)
            .unwrap()
            .len(),
        3
    );
    assert!(
        q.transition_all(ItemState::Completed, ItemState::Paused)
            .is_err(),
        "the state machine still applies"
    );
}
