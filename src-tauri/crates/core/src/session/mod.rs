//! Signed-in sessions: the token pair, proactive refresh before expiry, one refresh after an
//! unexpected rejection, and a single-flight lock so concurrent requests share one refresh.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Mutex;

use crate::error::{Error, ErrorKind, Result};

/// Access + refresh token pair. `Debug` never prints the tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    /// Bearer token for API calls.
    pub access_token: String,
    /// Token to obtain a new pair.
    pub refresh_token: String,
    /// When the access token stops working.
    pub access_expires: DateTime<Utc>,
    /// When the refresh token stops working.
    pub refresh_expires: DateTime<Utc>,
    /// When this pair was received (to size the refresh margin to the token lifetime).
    pub obtained_at: DateTime<Utc>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("access_expires", &self.access_expires)
            .field("refresh_expires", &self.refresh_expires)
            .finish()
    }
}

impl TokenSet {
    /// Refresh this long before expiry: a fifth of the lifetime, at most five minutes, so a
    /// one-hour token is renewed at 55 min and a two-second test token at 1.6 s.
    pub fn refresh_margin(&self) -> Duration {
        let lifetime = self.access_expires - self.obtained_at;
        (lifetime / 5).clamp(Duration::zero(), Duration::minutes(5))
    }

    /// Whether the access token should be renewed before use at `now`.
    pub fn needs_refresh(&self, now: DateTime<Utc>) -> bool {
        now + self.refresh_margin() >= self.access_expires
    }

    /// Whether the refresh token itself has expired.
    pub fn refresh_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.refresh_expires
    }
}

/// Exchanges a refresh token for a new pair (provider-specific).
#[async_trait]
pub trait TokenRefresher: Send + Sync {
    /// Obtain a new pair; a rejected refresh token must yield `ErrorKind::SignInAgain`.
    async fn refresh(&self, refresh_token: &str) -> Result<TokenSet>;
}

/// Told about every new token pair so it can be persisted (secret store).
pub trait TokenSink: Send + Sync {
    /// Persist `tokens`.
    fn store(&self, tokens: &TokenSet);
}

/// The live session of one account.
pub struct Session {
    tokens: Mutex<Option<TokenSet>>,
    refresher: Arc<dyn TokenRefresher>,
    sink: Option<Arc<dyn TokenSink>>,
    refreshes: AtomicU64,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("refreshes", &self.refreshes.load(Ordering::Relaxed))
            .finish()
    }
}

impl Session {
    /// A session starting from `tokens`.
    pub fn new(
        tokens: TokenSet,
        refresher: Arc<dyn TokenRefresher>,
        sink: Option<Arc<dyn TokenSink>>,
    ) -> Self {
        Session {
            tokens: Mutex::new(Some(tokens)),
            refresher,
            sink,
            refreshes: AtomicU64::new(0),
        }
    }

    /// How many refreshes this session performed (for tests and diagnostics).
    pub fn refresh_count(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// A copy of the current tokens (None once the session ended).
    pub async fn tokens(&self) -> Option<TokenSet> {
        self.tokens.lock().await.clone()
    }

    /// A usable access token, refreshing first if it expires soon. Concurrent callers wait
    /// on the same lock, so only the first one refreshes.
    pub async fn access_token(&self) -> Result<String> {
        let mut guard = self.tokens.lock().await;
        let current = guard
            .as_ref()
            .ok_or_else(|| Error::new(ErrorKind::SignInAgain))?;
        if !current.needs_refresh(Utc::now()) {
            return Ok(current.access_token.clone());
        }
        self.refresh_locked(&mut guard).await
    }

    /// The server rejected `rejected` although we thought it valid: refresh once, unless
    /// another request already replaced it, in which case the newer token is returned.
    pub async fn refresh_after_rejection(&self, rejected: &str) -> Result<String> {
        let mut guard = self.tokens.lock().await;
        let current = guard
            .as_ref()
            .ok_or_else(|| Error::new(ErrorKind::SignInAgain))?;
        if current.access_token != rejected {
            return Ok(current.access_token.clone());
        }
        self.refresh_locked(&mut guard).await
    }

    /// The server replaced the credential itself (Cloudreve 3 re-issues its session cookie
    /// with a response): keep and persist `new`, unless `sent` was already replaced.
    pub async fn replace_tokens(&self, sent: &str, new: TokenSet) {
        let mut guard = self.tokens.lock().await;
        if guard.as_ref().is_some_and(|t| t.access_token == sent) {
            if let Some(sink) = &self.sink {
                sink.store(&new);
            }
            *guard = Some(new);
        }
    }

    async fn refresh_locked(&self, guard: &mut Option<TokenSet>) -> Result<String> {
        let Some(current) = guard.as_ref() else {
            return Err(Error::new(ErrorKind::SignInAgain));
        };
        if current.refresh_expired(Utc::now()) {
            *guard = None;
            return Err(Error::new(ErrorKind::SignInAgain));
        }
        tracing::debug!("refreshing access token");
        match self.refresher.refresh(&current.refresh_token).await {
            Ok(new) => {
                self.refreshes.fetch_add(1, Ordering::Relaxed);
                if let Some(sink) = &self.sink {
                    sink.store(&new);
                }
                let access = new.access_token.clone();
                *guard = Some(new);
                Ok(access)
            }
            Err(e) if e.kind() == ErrorKind::SignInAgain => {
                tracing::info!("refresh token rejected; the account must sign in again");
                *guard = None;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    struct CountingRefresher {
        calls: AtomicU32,
        reject: bool,
    }

    #[async_trait]
    impl TokenRefresher for CountingRefresher {
        async fn refresh(&self, _rt: &str) -> Result<TokenSet> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            if self.reject {
                return Err(Error::new(ErrorKind::SignInAgain));
            }
            Ok(pair(&format!("access-{n}"), 3600))
        }
    }

    fn pair(access: &str, ttl: i64) -> TokenSet {
        let now = Utc::now();
        TokenSet {
            access_token: access.into(),
            refresh_token: "refresh".into(),
            access_expires: now + Duration::seconds(ttl),
            refresh_expires: now + Duration::days(14),
            obtained_at: now,
        }
    }

    #[test]
    fn debug_redacts_tokens() {
        let t = pair("secret-access", 10);
        let d = format!("{t:?}");
        assert!(!d.contains("secret-access") && !d.contains("refresh\""));
    }

    #[test]
    fn margin_scales_with_lifetime() {
        assert_eq!(pair("a", 3600).refresh_margin(), Duration::minutes(5));
        assert_eq!(pair("a", 10).refresh_margin(), Duration::seconds(2));
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_refresh() {
        let r = Arc::new(CountingRefresher {
            calls: AtomicU32::new(0),
            reject: false,
        });
        let s = Arc::new(Session::new(pair("old", 0), r.clone(), None));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.access_token().await.unwrap() })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), "access-1");
        }
        assert_eq!(r.calls.load(Ordering::SeqCst), 1);
        // A rejection of a token that was already replaced does not refresh again.
        assert_eq!(s.refresh_after_rejection("old").await.unwrap(), "access-1");
        assert_eq!(r.calls.load(Ordering::SeqCst), 1);
        assert_eq!(
            s.refresh_after_rejection("access-1").await.unwrap(),
            "access-2"
        );
    }

    #[tokio::test]
    async fn rejected_refresh_means_sign_in_again() {
        let r = Arc::new(CountingRefresher {
            calls: AtomicU32::new(0),
            reject: true,
        });
        let s = Session::new(pair("old", 0), r, None);
        assert_eq!(
            s.access_token().await.unwrap_err().kind(),
            ErrorKind::SignInAgain
        );
        assert_eq!(
            s.access_token().await.unwrap_err().kind(),
            ErrorKind::SignInAgain
        );
    }
}
