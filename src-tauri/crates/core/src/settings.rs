//! User preferences shared by the desktop app and the CLI, stored as JSON in the data dir.
//!
//! Only preferences live here: never tokens or passwords (those go to the secret store).

use crate::error::{Error, Result};
use crate::net::proxy::{AccountProxy, ProxySetting};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What to do when an upload or download meets an existing item of the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum ConflictPreference {
    /// Ask before any byte is sent.
    #[default]
    Ask,
    /// Replace the existing item.
    Overwrite,
    /// Keep both, renaming the new one `name (1).ext`.
    KeepBoth,
    /// Leave the existing item and skip the new one.
    Skip,
}

/// The colour theme of the desktop app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Theme {
    /// Light colours.
    Light,
    /// Dark colours.
    Dark,
    /// Follow the operating system.
    #[default]
    System,
}

/// The interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Language {
    /// English.
    #[default]
    #[serde(rename = "en")]
    En,
    /// Simplified Chinese.
    #[serde(rename = "zh-CN")]
    ZhCn,
}

/// All user preferences. Unknown or missing fields fall back to defaults so old files keep working.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// How many files transfer at the same time.
    pub parallel_transfers: u32,
    /// Upload limit in KiB/s; `None` means unlimited.
    pub upload_limit_kbps: Option<u64>,
    /// Download limit in KiB/s; `None` means unlimited.
    pub download_limit_kbps: Option<u64>,
    /// Where downloads go unless the user picks another folder.
    pub download_folder: String,
    /// The default answer to name conflicts.
    pub conflict_policy: ConflictPreference,
    /// The colour theme.
    pub theme: Theme,
    /// The interface language.
    pub language: Language,
    /// The proxy of every connection (Settings → Network); the system's by default.
    pub proxy: ProxySetting,
    /// Accounts that do not use the app's proxy setting, by account id.
    pub account_proxies: BTreeMap<String, AccountProxy>,
}

impl Default for Settings {
    fn default() -> Self {
        let download_folder = directories::UserDirs::new()
            .and_then(|d| d.download_dir().map(Path::to_path_buf))
            .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().join("Downloads")))
            .unwrap_or_else(|| PathBuf::from("Downloads"));
        Settings {
            parallel_transfers: 3,
            upload_limit_kbps: None,
            download_limit_kbps: None,
            download_folder: download_folder.to_string_lossy().into_owned(),
            conflict_policy: ConflictPreference::Ask,
            theme: Theme::System,
            language: Language::En,
            proxy: ProxySetting::System,
            account_proxies: BTreeMap::new(),
        }
    }
}

impl Settings {
    /// The smallest and largest number of parallel transfers accepted.
    pub const PARALLEL_RANGE: std::ops::RangeInclusive<u32> = 1..=16;

    /// The file the settings live in, inside the app's data dir.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("settings.json")
    }

    /// Reads the settings; a missing file gives the defaults, a damaged one an error.
    pub fn load(data_dir: &Path) -> Result<Settings> {
        let path = Self::path(data_dir);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<Settings>(&bytes)
                .map(Settings::clamped)
                .map_err(|e| {
                    Error::io(format!(
                        "The settings file {} is damaged: {e}",
                        path.display()
                    ))
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(Error::io(format!("Cannot read {}: {e}", path.display()))),
        }
    }

    /// Validates and writes the settings atomically (write to a temp file, then rename).
    pub fn save(&self, data_dir: &Path) -> Result<()> {
        self.validate()?;
        std::fs::create_dir_all(data_dir)
            .map_err(|e| Error::io(format!("Cannot create {}: {e}", data_dir.display())))?;
        let path = Self::path(data_dir);
        let tmp = path.with_extension("json.tmp");
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::io(e.to_string()))?;
        std::fs::write(&tmp, json)
            .map_err(|e| Error::io(format!("Cannot write {}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, &path)
            .map_err(|e| Error::io(format!("Cannot write {}: {e}", path.display())))
    }

    /// Rejects values the app cannot honour, with a message that names the field.
    pub fn validate(&self) -> Result<()> {
        if !Self::PARALLEL_RANGE.contains(&self.parallel_transfers) {
            return Err(Error::invalid(format!(
                "Parallel transfers must be between {} and {}.",
                Self::PARALLEL_RANGE.start(),
                Self::PARALLEL_RANGE.end()
            )));
        }
        if self.upload_limit_kbps == Some(0) || self.download_limit_kbps == Some(0) {
            return Err(Error::invalid(
                "A bandwidth limit must be above 0 KiB/s (leave it empty for no limit).",
            ));
        }
        if self.download_folder.trim().is_empty() {
            return Err(Error::invalid("The download folder cannot be empty."));
        }
        if let ProxySetting::Manual(p) = &self.proxy {
            p.validate()?;
        }
        for p in self.account_proxies.values() {
            if let AccountProxy::Manual(p) = p {
                p.validate()?;
            }
        }
        Ok(())
    }

    fn clamped(mut self) -> Settings {
        self.parallel_transfers = self
            .parallel_transfers
            .clamp(*Self::PARALLEL_RANGE.start(), *Self::PARALLEL_RANGE.end());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults_and_saved_settings_read_back_equal() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load(dir.path()).unwrap(), Settings::default());
        let s = Settings {
            parallel_transfers: 5,
            upload_limit_kbps: Some(512),
            language: Language::ZhCn,
            theme: Theme::Dark,
            conflict_policy: ConflictPreference::KeepBoth,
            ..Settings::default()
        };
        s.save(dir.path()).unwrap();
        assert_eq!(Settings::load(dir.path()).unwrap(), s);
    }

    #[test]
    fn json_uses_the_ui_field_names_and_language_codes() {
        let json = serde_json::to_value(Settings {
            language: Language::ZhCn,
            ..Settings::default()
        })
        .unwrap();
        assert_eq!(json["language"], "zh-CN");
        assert_eq!(json["conflictPolicy"], "ask");
        assert_eq!(json["parallelTransfers"], 3);
    }

    #[test]
    fn invalid_values_are_rejected_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let bad = Settings {
            parallel_transfers: 0,
            ..Settings::default()
        };
        assert!(bad.save(dir.path()).is_err());
        assert!(!Settings::path(dir.path()).exists());
        let bad = Settings {
            download_limit_kbps: Some(0),
            ..Settings::default()
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn proxy_settings_round_trip_and_are_validated() {
        use crate::net::proxy::ManualProxy;
        let dir = tempfile::tempdir().unwrap();
        let manual = ManualProxy {
            host: "proxy.lan".into(),
            port: 3128,
            username: Some("me".into()),
            ..Default::default()
        };
        let mut s = Settings {
            proxy: ProxySetting::Manual(manual.clone()),
            ..Settings::default()
        };
        s.account_proxies.insert("acc".into(), AccountProxy::None);
        s.save(dir.path()).unwrap();
        let text = std::fs::read_to_string(Settings::path(dir.path())).unwrap();
        assert!(text.contains("\"accountProxies\""), "{text}");
        assert_eq!(Settings::load(dir.path()).unwrap(), s);
        s.proxy = ProxySetting::Manual(ManualProxy { port: 0, ..manual });
        assert!(s.validate().is_err());
        // A file from before proxies existed reads as the system proxy.
        std::fs::write(Settings::path(dir.path()), br#"{"parallelTransfers": 2}"#).unwrap();
        assert_eq!(
            Settings::load(dir.path()).unwrap().proxy,
            ProxySetting::System
        );
    }

    #[test]
    fn a_damaged_file_is_an_error_not_silently_reset() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(Settings::path(dir.path()), b"{not json").unwrap();
        assert!(Settings::load(dir.path()).is_err());
    }

    #[test]
    fn out_of_range_parallelism_in_an_old_file_is_clamped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(Settings::path(dir.path()), br#"{"parallelTransfers": 99}"#).unwrap();
        assert_eq!(Settings::load(dir.path()).unwrap().parallel_transfers, 16);
    }
}
