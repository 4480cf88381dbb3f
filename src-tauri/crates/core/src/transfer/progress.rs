//! Progress events for the UI and the CLI, throttled per item.

use super::item::{Direction, ItemId, ItemState, Progress, TransferPhase};
use serde::Serialize;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::time::Instant;

/// One update about one item. State changes are always sent; byte progress at most every
/// `interval` per item.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferEvent {
    /// The item.
    pub id: ItemId,
    /// Its folder item, if any.
    pub parent_id: Option<ItemId>,
    /// Upload or download.
    pub direction: Direction,
    /// Destination name.
    pub name: String,
    /// State after this event.
    pub state: ItemState,
    /// Bytes, speed and ETA.
    pub progress: Progress,
    /// Error message when the item failed.
    pub error: Option<String>,
    /// What a running item is doing (hashing first, or moving bytes), or that it completed
    /// as an instant upload.
    pub phase: TransferPhase,
    /// Bytes of the local file hashed so far while `phase` is `Checking` (`progress` keeps
    /// counting the bytes transferred).
    pub checked_bytes: u64,
}

/// What an engine broadcasts: one item's update, or many items moved to one state together.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineEvent {
    /// One item changed (state, bytes, phase).
    Item(TransferEvent),
    /// These items moved to `state` and nothing else about them changed ("Pause all" or
    /// "Resume all" of thousands of waiting files): one event instead of one per item, which
    /// overflowed every subscriber and made the UI reload the whole list.
    States {
        /// The items that moved, in queue order.
        ids: std::sync::Arc<[ItemId]>,
        /// Their state now.
        state: ItemState,
    },
}

impl EngineEvent {
    /// The single item's update, if this is one.
    pub fn item(&self) -> Option<&TransferEvent> {
        match self {
            EngineEvent::Item(e) => Some(e),
            EngineEvent::States { .. } => None,
        }
    }
}

/// Per-item progress tracker: counts bytes, smooths the speed, throttles events.
pub struct ProgressTracker {
    event: TransferEvent,
    sender: broadcast::Sender<EngineEvent>,
    interval: Duration,
    last_sent: Option<Instant>,
    sample_at: Instant,
    sample_bytes: u64,
}

impl ProgressTracker {
    /// A tracker starting at `bytes_done` of `total`.
    pub fn new(
        sender: broadcast::Sender<EngineEvent>,
        interval: Duration,
        base: TransferEvent,
    ) -> Self {
        let sample_bytes = base.progress.bytes_done;
        Self {
            event: base,
            sender,
            interval,
            last_sent: None,
            sample_at: Instant::now(),
            sample_bytes,
        }
    }

    /// Bytes done so far.
    pub fn bytes_done(&self) -> u64 {
        self.event.progress.bytes_done
    }

    /// Adds `n` bytes; emits an event if the throttle interval has passed.
    pub fn add(&mut self, n: u64) {
        self.event.progress.bytes_done += n;
        self.update_speed();
        if self.last_sent.is_none_or(|t| t.elapsed() >= self.interval) {
            self.send();
        }
    }

    /// Sets the total (folders, or when a download learns the size).
    pub fn set_total(&mut self, total: u64) {
        self.event.progress.total = total;
    }

    /// Resets bytes (an upload that starts over).
    pub fn reset(&mut self, bytes_done: u64) {
        self.event.progress.bytes_done = bytes_done;
        self.sample_bytes = bytes_done;
        self.sample_at = Instant::now();
    }

    /// Starts or ends a phase; emits the change immediately.
    pub fn set_phase(&mut self, phase: TransferPhase) {
        self.event.phase = phase;
        self.event.checked_bytes = 0;
        self.send();
    }

    /// Records how the item ended (instant upload or not) for the final state event, without
    /// emitting anything.
    pub fn end_phase(&mut self, instant: bool) {
        self.event.phase = if instant {
            TransferPhase::Instant
        } else {
            TransferPhase::Transfer
        };
        self.event.checked_bytes = 0;
    }

    /// Bytes hashed so far in the checking phase; emits if the throttle interval has passed.
    pub fn checked(&mut self, bytes: u64) {
        self.event.checked_bytes = bytes;
        // The end of the pass always shows, however quick it was.
        if bytes >= self.event.progress.total
            || self.last_sent.is_none_or(|t| t.elapsed() >= self.interval)
        {
            self.send();
        }
    }

    /// Emits a state change immediately.
    pub fn state(&mut self, state: ItemState, error: Option<String>) {
        self.event.state = state;
        self.event.error = error;
        if state.is_finished() || state == ItemState::Paused {
            self.event.progress.bytes_per_sec = 0.0;
            self.event.progress.eta_secs = None;
        }
        self.send();
    }

    fn update_speed(&mut self) {
        let elapsed = self.sample_at.elapsed();
        if elapsed < Duration::from_millis(200) {
            return;
        }
        let instant =
            (self.event.progress.bytes_done - self.sample_bytes) as f64 / elapsed.as_secs_f64();
        let p = &mut self.event.progress;
        // Exponential smoothing keeps the ETA from jumping with every chunk.
        p.bytes_per_sec = if p.bytes_per_sec == 0.0 {
            instant
        } else {
            0.7 * p.bytes_per_sec + 0.3 * instant
        };
        p.eta_secs = (p.bytes_per_sec > 0.0)
            .then(|| (p.total.saturating_sub(p.bytes_done) as f64 / p.bytes_per_sec).ceil() as u64);
        self.sample_at = Instant::now();
        self.sample_bytes = p.bytes_done;
    }

    fn send(&mut self) {
        self.last_sent = Some(Instant::now());
        // No subscriber is fine: nobody is watching.
        let _ = self.sender.send(EngineEvent::Item(self.event.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> TransferEvent {
        TransferEvent {
            id: 1,
            parent_id: None,
            direction: Direction::Upload,
            name: "a".into(),
            state: ItemState::Running,
            progress: Progress {
                total: 1000,
                ..Default::default()
            },
            error: None,
            phase: TransferPhase::Transfer,
            checked_bytes: 0,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn byte_updates_are_throttled_but_state_changes_are_not() {
        let (tx, mut rx) = broadcast::channel(64);
        let mut t = ProgressTracker::new(tx, Duration::from_millis(250), base());
        for _ in 0..10 {
            t.add(10);
        }
        let mut next = || match rx.try_recv() {
            Ok(EngineEvent::Item(e)) => Some(e),
            _ => None,
        };
        assert_eq!(next().unwrap().progress.bytes_done, 10);
        assert!(next().is_none(), "throttled");
        tokio::time::advance(Duration::from_millis(300)).await;
        t.add(100);
        let e = next().unwrap();
        assert_eq!(e.progress.bytes_done, 200);
        assert!(e.progress.bytes_per_sec > 0.0);
        assert!(e.progress.eta_secs.is_some());
        t.state(ItemState::Completed, None);
        let e = next().unwrap();
        assert_eq!(e.state, ItemState::Completed);
        assert_eq!(e.progress.eta_secs, None);
    }
}
