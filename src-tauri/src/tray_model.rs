//! What the tray menu says, computed from the transfer list without touching any UI toolkit.
//!
//! Linux trays have no tooltips and no click events, so the status lives in menu-item text that is
//! recomputed whenever transfers change; keeping it a pure function makes it testable.

/// The subset of a transfer's state the tray cares about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferSnapshot {
    /// Whether the transfer is queued or running (as opposed to paused or finished).
    pub active: bool,
    /// Whether the transfer is paused by the user.
    pub paused: bool,
    /// Bytes already transferred.
    pub done: u64,
    /// Total bytes of the transfer.
    pub total: u64,
}

/// The language of the tray texts (the UI's language setting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrayLanguage {
    /// English.
    En,
    /// Simplified Chinese.
    ZhCn,
}

/// The labels and enabled states of the tray menu.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrayMenuModel {
    /// The first, disabled line: active count and overall progress.
    pub status: String,
    /// Label of "pause all"; enabled only when something is active.
    pub pause_all: String,
    /// Whether "pause all" can do anything.
    pub pause_enabled: bool,
    /// Label of "resume all"; enabled only when something is paused.
    pub resume_all: String,
    /// Whether "resume all" can do anything.
    pub resume_enabled: bool,
    /// Label of "open window".
    pub open: String,
    /// Label of "quit".
    pub quit: String,
}

impl TrayMenuModel {
    /// Computes the menu for the given transfers.
    pub fn from_transfers(transfers: &[TransferSnapshot], lang: TrayLanguage) -> Self {
        let active: Vec<&TransferSnapshot> = transfers.iter().filter(|t| t.active).collect();
        let paused = transfers.iter().filter(|t| t.paused).count();
        let (done, total) = active.iter().fold((0u64, 0u64), |(d, t), s| {
            (d + s.done.min(s.total), t + s.total)
        });
        let percent = (done * 100).checked_div(total).unwrap_or(0);
        let status = match (lang, active.len()) {
            (TrayLanguage::En, 0) => "No active transfers".to_string(),
            (TrayLanguage::En, 1) => format!("1 active transfer · {percent}%"),
            (TrayLanguage::En, n) => format!("{n} active transfers · {percent}%"),
            (TrayLanguage::ZhCn, 0) => "没有进行中的传输".to_string(),
            (TrayLanguage::ZhCn, n) => format!("{n} 个传输进行中 · {percent}%"),
        };
        let (pause_all, resume_all, open, quit) = match lang {
            TrayLanguage::En => ("Pause all", "Resume all", "Open Cirrus", "Quit"),
            TrayLanguage::ZhCn => ("全部暂停", "全部继续", "打开 Cirrus", "退出"),
        };
        TrayMenuModel {
            status,
            pause_all: pause_all.into(),
            pause_enabled: !active.is_empty(),
            resume_all: resume_all.into(),
            resume_enabled: paused > 0,
            open: open.into(),
            quit: quit.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(active: bool, paused: bool, done: u64, total: u64) -> TransferSnapshot {
        TransferSnapshot {
            active,
            paused,
            done,
            total,
        }
    }

    #[test]
    fn idle_tray_says_nothing_is_running_and_disables_both_actions() {
        let m = TrayMenuModel::from_transfers(&[t(false, false, 10, 10)], TrayLanguage::En);
        assert_eq!(m.status, "No active transfers");
        assert!(!m.pause_enabled);
        assert!(!m.resume_enabled);
    }

    #[test]
    fn overall_progress_is_weighted_by_bytes_of_active_transfers_only() {
        let list = [
            t(true, false, 50, 100),
            t(true, false, 0, 300),
            t(false, false, 7, 7),
        ];
        let m = TrayMenuModel::from_transfers(&list, TrayLanguage::En);
        assert_eq!(m.status, "2 active transfers · 12%");
        assert!(m.pause_enabled);
    }

    #[test]
    fn paused_transfers_enable_resume_and_the_texts_follow_the_language() {
        let list = [t(false, true, 1, 2), t(true, false, 1, 2)];
        let m = TrayMenuModel::from_transfers(&list, TrayLanguage::ZhCn);
        assert_eq!(m.status, "1 个传输进行中 · 50%");
        assert!(m.resume_enabled);
        assert_eq!(m.quit, "退出");
    }

    #[test]
    fn progress_never_exceeds_one_hundred_percent() {
        let m = TrayMenuModel::from_transfers(&[t(true, false, 500, 100)], TrayLanguage::En);
        assert_eq!(m.status, "1 active transfer · 100%");
    }
}
