//! SQLite storage of account metadata (no secrets) and the active-account setting.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;

use crate::error::{Error, Result};

use super::{Account, ProviderKind};

/// The accounts database (`accounts.sqlite3` in the data dir).
pub struct AccountStore {
    conn: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    server_url TEXT NOT NULL,
    provider TEXT NOT NULL,
    server_version TEXT NOT NULL,
    email TEXT NOT NULL,
    user_id TEXT NOT NULL,
    nickname TEXT NOT NULL,
    pinned_cert_sha256 TEXT,
    remember_password INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

impl AccountStore {
    /// Open (or create) the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(AccountStore { conn })
    }

    fn active_id(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM settings WHERE key = 'active_account'",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// All accounts, oldest first.
    pub fn list(&self) -> Result<Vec<Account>> {
        let active = self.active_id()?;
        let mut st = self.conn.prepare(
            "SELECT id, label, server_url, provider, server_version, email, user_id, nickname,
                    pinned_cert_sha256, remember_password, created_at FROM accounts ORDER BY created_at, id",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, bool>(9)?,
                r.get::<_, String>(10)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                id,
                label,
                server_url,
                provider,
                server_version,
                email,
                user_id,
                nickname,
                pin,
                remember,
                created,
            ) = row?;
            out.push(Account {
                active: active.as_deref() == Some(id.as_str()),
                provider: ProviderKind::parse(&provider).ok_or_else(|| {
                    Error::io(format!("Unknown provider {provider} in the database."))
                })?,
                created_at: DateTime::parse_from_rfc3339(&created)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_default(),
                id,
                label,
                server_url,
                server_version,
                email,
                user_id,
                nickname,
                pinned_cert_sha256: pin,
                remember_password: remember,
            });
        }
        Ok(out)
    }

    /// Insert or update an account.
    pub fn upsert(&self, a: &Account) -> Result<()> {
        self.conn.execute(
            "INSERT INTO accounts (id, label, server_url, provider, server_version, email, user_id, nickname,
                                   pinned_cert_sha256, remember_password, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT(id) DO UPDATE SET label = ?2, server_url = ?3, provider = ?4, server_version = ?5,
                 email = ?6, user_id = ?7, nickname = ?8, pinned_cert_sha256 = ?9, remember_password = ?10",
            params![
                a.id,
                a.label,
                a.server_url,
                a.provider.as_str(),
                a.server_version,
                a.email,
                a.user_id,
                a.nickname,
                a.pinned_cert_sha256,
                a.remember_password,
                a.created_at.to_rfc3339()
            ],
        )?;
        Ok(())
    }

    /// Make `id` the active account (None clears it).
    pub fn set_active(&self, id: Option<&str>) -> Result<()> {
        match id {
            Some(id) => self.conn.execute(
                "INSERT INTO settings (key, value) VALUES ('active_account', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = ?1",
                params![id],
            )?,
            None => self
                .conn
                .execute("DELETE FROM settings WHERE key = 'active_account'", [])?,
        };
        Ok(())
    }

    /// Change the label.
    pub fn rename(&self, id: &str, label: &str) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE accounts SET label = ?2 WHERE id = ?1",
            params![id, label],
        )?;
        if n == 0 {
            Err(Error::invalid(format!("No account {id}.")))
        } else {
            Ok(())
        }
    }

    /// Delete an account row (and clear it as active).
    pub fn remove(&self, id: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM accounts WHERE id = ?1", params![id])?;
        if self.active_id()?.as_deref() == Some(id) {
            self.set_active(None)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(id: &str, email: &str) -> Account {
        Account {
            id: id.into(),
            label: format!("{email} @ h"),
            server_url: "https://h.example".into(),
            provider: ProviderKind::CloudreveV4,
            server_version: "4.18.0".into(),
            email: email.into(),
            user_id: "u1".into(),
            nickname: "n".into(),
            pinned_cert_sha256: None,
            remember_password: false,
            created_at: Utc::now(),
            active: false,
        }
    }

    #[test]
    fn crud_and_active() {
        let dir = tempfile::tempdir().unwrap();
        let s = AccountStore::open(&dir.path().join("a.sqlite3")).unwrap();
        s.upsert(&acc("1", "a@x")).unwrap();
        s.upsert(&acc("2", "b@x")).unwrap();
        s.set_active(Some("2")).unwrap();
        let l = s.list().unwrap();
        assert_eq!(l.len(), 2);
        assert!(l.iter().find(|a| a.id == "2").unwrap().active);
        s.rename("1", "Work").unwrap();
        assert_eq!(s.list().unwrap()[0].label, "Work");
        s.remove("2").unwrap();
        let l = s.list().unwrap();
        assert_eq!(l.len(), 1);
        assert!(!l[0].active);
        assert!(s.rename("zzz", "x").is_err());
    }
}
