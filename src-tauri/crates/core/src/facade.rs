//! `Cirrus`: the one entry point the CLI and the desktop app share — accounts, sign-in
//! (with the 2FA step), switching, and signed-in providers.

use chrono::Utc;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

use crate::account::{
    Account, AccountStore, ProviderKind, ServerInfo, has_explicit_scheme, normalize_server_url,
    probe_server, server_string,
};
use crate::error::{Error, ErrorKind, Result};
use crate::net::proxy::{self as net_proxy, AccountProxy, ProxyConfig, ProxySetting};
use crate::net::{HttpOptions, build_client};
use crate::provider::Provider;
use crate::provider::cloudreve_v3::CloudreveV3;
use crate::provider::cloudreve_v3::auth::{self as auth_v3, V3Relogin};
use crate::provider::cloudreve_v4::CloudreveV4;
use crate::provider::cloudreve_v4::auth::{self, LoginResult, V4Refresher};
use crate::provider::model::UserInfo;
use crate::provider::pan123::Pan123;
use crate::provider::pan123::api::DEFAULT_API_BASE;
use crate::provider::pan123::auth::{self as auth_123, Pan123Auth};
use crate::provider::pan123::limiter::RateLimiter;
use crate::secrets::{self, SecretStore, SecretStoreInfo, open_secret_store};
use crate::session::{Session, TokenSet, TokenSink};

/// What the user entered to add (or re-sign-in to) an account. `Debug` hides the password.
#[derive(Clone, Default)]
pub struct AddAccount {
    /// Server address as typed (normalised for them).
    pub server_url: String,
    /// Sign-in email.
    pub email: String,
    /// Password (kept only in memory unless `remember_password`).
    pub password: String,
    /// Keep the password in the secret store.
    pub remember_password: bool,
    /// Optional label.
    pub label: Option<String>,
    /// Trust exactly this certificate (self-signed servers; explicit opt-in).
    pub pinned_cert_sha256: Option<String>,
    /// Which service. `None` signs in to a Cloudreve server and detects its version (3 or 4).
    /// `Some(ProviderKind::Pan123)` signs in to the 123pan Open Platform: `email` is the
    /// developer client id, `password` the client secret, and an empty `server_url` means the
    /// official API host.
    pub provider: Option<ProviderKind>,
}

impl fmt::Debug for AddAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddAccount")
            .field("server_url", &self.server_url)
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("remember_password", &self.remember_password)
            .field("provider", &self.provider)
            .finish()
    }
}

/// Result of `add_account`.
#[derive(Clone, Debug)]
pub enum AddAccountOutcome {
    /// Signed in and saved.
    Added(Account),
    /// Needs a one-time code: call `complete_2fa(pending_id, code)` within 10 minutes.
    TwoFactorRequired {
        /// Handle of the pending sign-in.
        pending_id: String,
    },
}

/// Which API an account is saved with, and the version to show.
struct AccountKind {
    provider: ProviderKind,
    version: String,
}

impl From<ServerInfo> for AccountKind {
    fn from(info: ServerInfo) -> Self {
        AccountKind {
            provider: ProviderKind::for_major(info.major).unwrap_or(ProviderKind::CloudreveV4),
            version: info.version,
        }
    }
}

struct PendingLogin {
    req: AddAccount,
    server: Url,
    info: ServerInfo,
    session_id: String,
    started: Instant,
}

/// Persists refreshed tokens to the secret store.
struct SecretTokenSink {
    store: Arc<dyn SecretStore>,
    account_id: String,
}

impl TokenSink for SecretTokenSink {
    fn store(&self, tokens: &TokenSet) {
        match serde_json::to_string(tokens) {
            Ok(json) => {
                if let Err(e) = self.store.set(&self.account_id, secrets::TOKENS, &json) {
                    tracing::warn!("could not save refreshed tokens: {}", e.message());
                }
            }
            Err(e) => tracing::warn!("could not encode tokens: {e}"),
        }
    }
}

/// The Cirrus core facade.
pub struct Cirrus {
    data_dir: PathBuf,
    db: Mutex<AccountStore>,
    secrets: Arc<dyn SecretStore>,
    secret_info: SecretStoreInfo,
    providers: Mutex<HashMap<String, Arc<CloudreveV4>>>,
    providers_v3: Mutex<HashMap<String, Arc<CloudreveV3>>>,
    providers_pan123: Mutex<HashMap<String, Arc<Pan123>>>,
    pending: Mutex<HashMap<String, PendingLogin>>,
    /// A proxy that beats every setting (the CLI's `--proxy` / `--no-proxy`).
    proxy_override: Mutex<Option<ProxyConfig>>,
}

impl fmt::Debug for Cirrus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cirrus")
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Cirrus {
    /// The data dir: `CIRRUS_DATA_DIR`, else the XDG data dir (`~/.local/share/cirrus`).
    pub fn default_data_dir() -> Result<PathBuf> {
        if let Some(d) = std::env::var_os("CIRRUS_DATA_DIR").filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(d));
        }
        directories::ProjectDirs::from("", "", "cirrus")
            .map(|p| p.data_dir().to_path_buf())
            .ok_or_else(|| {
                Error::io("Could not determine the data directory; set CIRRUS_DATA_DIR.")
            })
    }

    /// Open the default data dir.
    pub fn open_default() -> Result<Self> {
        Self::open(Self::default_data_dir()?)
    }

    /// Open (creating if needed) the data dir: accounts database and secret store.
    pub fn open(data_dir: impl Into<PathBuf>) -> Result<Self> {
        let data_dir = data_dir.into();
        std::fs::create_dir_all(&data_dir)?;
        let db = AccountStore::open(&data_dir.join("accounts.sqlite3"))?;
        let (secrets, secret_info) = open_secret_store(&data_dir)?;
        Ok(Cirrus {
            data_dir,
            db: Mutex::new(db),
            secrets,
            secret_info,
            providers: Mutex::new(HashMap::new()),
            providers_v3: Mutex::new(HashMap::new()),
            providers_pan123: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            proxy_override: Mutex::new(None),
        })
    }

    /// The data directory in use.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Which secret store is used, and why if it is the file fallback.
    pub fn secret_store_info(&self) -> &SecretStoreInfo {
        &self.secret_info
    }

    /// All accounts.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        lock(&self.db).list()
    }

    /// The active account, if any.
    pub fn active_account(&self) -> Result<Option<Account>> {
        Ok(self.accounts()?.into_iter().find(|a| a.active))
    }

    /// Find an account by id, id prefix, label or email (case-insensitive).
    pub fn account(&self, selector: &str) -> Result<Account> {
        let all = self.accounts()?;
        let sel = selector.trim();
        if let Some(a) = all.iter().find(|a| a.id == sel) {
            return Ok(a.clone());
        }
        let matches: Vec<&Account> = all
            .iter()
            .filter(|a| {
                a.label.eq_ignore_ascii_case(sel)
                    || a.email.eq_ignore_ascii_case(sel)
                    || (sel.len() >= 4 && a.id.starts_with(sel))
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::invalid(format!("No account matches \"{sel}\"."))),
            _ => Err(Error::invalid(format!(
                "Several accounts match \"{sel}\"; use the account id."
            ))),
        }
    }

    /// The account named by `selector`, or the active one.
    pub fn account_or_active(&self, selector: Option<&str>) -> Result<Account> {
        match selector {
            Some(s) => self.account(s),
            None => self.active_account()?.ok_or_else(|| {
                Error::with_message(
                    ErrorKind::SignInAgain,
                    "No account yet. Sign in first (cirrus login).",
                )
            }),
        }
    }

    /// Check a server address: normalised URL and what runs there.
    ///
    /// An address typed without a scheme is tried with https first; when nothing speaks https
    /// there (a TLS failure, or nothing listening) but a Cloudreve answers over plain http, the
    /// http address is used. The caller sees that from the returned URL
    /// ([`Account::is_encrypted`]) and must warn that the connection is not encrypted.
    pub async fn probe(
        &self,
        server_url: &str,
        pinned_cert_sha256: Option<&str>,
    ) -> Result<(Url, ServerInfo)> {
        let proxy = self.proxy_for(None)?;
        self.probe_direct_or_proxied(server_url, pinned_cert_sha256)
            .await
            .map_err(|e| proxy.explain(e))
    }

    async fn probe_direct_or_proxied(
        &self,
        server_url: &str,
        pinned_cert_sha256: Option<&str>,
    ) -> Result<(Url, ServerInfo)> {
        let server = normalize_server_url(server_url)?;
        let http = build_client(&self.http_options(None, pinned_cert_sha256.map(str::to_string))?)?;
        match probe_server(&http, &server).await {
            Ok(info) => Ok((server, info)),
            Err(e)
                if !has_explicit_scheme(server_url)
                    && pinned_cert_sha256.is_none()
                    && matches!(e.kind(), ErrorKind::Tls | ErrorKind::Unreachable) =>
            {
                let mut plain = server.clone();
                if plain.set_scheme("http").is_err() {
                    return Err(e);
                }
                match probe_server(&http, &plain).await {
                    Ok(info) => {
                        tracing::warn!(
                            "{} does not speak https; using plain http (not encrypted)",
                            server_string(&plain)
                        );
                        Ok((plain, info))
                    }
                    // The https failure says more about what the user asked for.
                    Err(_) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The proxy the connections of an account (or, with `None`, of a sign-in) go through:
    /// the command line's choice, else the account's override, else the app setting. A
    /// manual proxy's password comes from the secret store.
    pub fn proxy_for(&self, account_id: Option<&str>) -> Result<ProxyConfig> {
        if let Some(p) = lock(&self.proxy_override).clone() {
            return Ok(p);
        }
        let settings = crate::settings::Settings::load(&self.data_dir)?;
        let account = account_id.and_then(|id| settings.account_proxies.get(id));
        let (manual, scope) = match (account, &settings.proxy) {
            (Some(AccountProxy::None), _) => return Ok(ProxyConfig::Direct),
            (Some(AccountProxy::Manual(m)), _) => (m.clone(), account_id.unwrap_or_default()),
            (_, ProxySetting::System) => return Ok(ProxyConfig::System),
            (_, ProxySetting::None) => return Ok(ProxyConfig::Direct),
            (_, ProxySetting::Manual(m)) => (m.clone(), net_proxy::APP_SCOPE),
        };
        let password = if manual.username.is_some() {
            self.secrets.get(scope, net_proxy::PROXY_PASSWORD)?
        } else {
            None
        };
        Ok(ProxyConfig::Manual {
            proxy: manual,
            password,
        })
    }

    /// Makes every connection of this process use `proxy` whatever the settings say
    /// (`None` goes back to the settings). Providers already made are dropped.
    pub fn set_proxy_override(&self, proxy: Option<ProxyConfig>) {
        *lock(&self.proxy_override) = proxy;
        self.reset_connections();
    }

    /// Keeps (or with `None`, forgets) a manual proxy's password in the secret store: the
    /// app-wide one when `account_id` is `None`, else the account's override.
    pub fn set_proxy_password(
        &self,
        account_id: Option<&str>,
        password: Option<&str>,
    ) -> Result<()> {
        let scope = account_id.unwrap_or(net_proxy::APP_SCOPE);
        match password.filter(|p| !p.is_empty()) {
            Some(p) => self.secrets.set(scope, net_proxy::PROXY_PASSWORD, p),
            None => self.secrets.delete(scope, net_proxy::PROXY_PASSWORD),
        }
    }

    /// Whether a manual proxy password is kept for the app (`None`) or an account.
    pub fn has_proxy_password(&self, account_id: Option<&str>) -> Result<bool> {
        let scope = account_id.unwrap_or(net_proxy::APP_SCOPE);
        Ok(self
            .secrets
            .get(scope, net_proxy::PROXY_PASSWORD)?
            .is_some())
    }

    /// Drops the cached providers so the next use builds new clients (after the proxy
    /// settings changed). Transfers already running keep the connections they have.
    pub fn reset_connections(&self) {
        lock(&self.providers).clear();
        lock(&self.providers_v3).clear();
        lock(&self.providers_pan123).clear();
    }

    fn http_options(
        &self,
        account_id: Option<&str>,
        pinned_cert_sha256: Option<String>,
    ) -> Result<HttpOptions> {
        Ok(HttpOptions {
            pinned_cert_sha256,
            proxy: self.proxy_for(account_id)?,
        })
    }

    /// Sign in and save the account (updating it if this server+email is already known).
    pub async fn add_account(&self, mut req: AddAccount) -> Result<AddAccountOutcome> {
        if let Some(pin) = &req.pinned_cert_sha256 {
            req.pinned_cert_sha256 = Some(crate::net::pinning::normalize_fingerprint(pin)?);
        }
        if req.provider == Some(ProviderKind::Pan123) {
            return self.add_account_pan123(req).await;
        }
        let (server, info) = self
            .probe(&req.server_url, req.pinned_cert_sha256.as_deref())
            .await?;
        if ProviderKind::for_major(info.major).is_none() {
            return Err(Error::with_message(
                ErrorKind::NotCloudreve,
                format!(
                    "Cloudreve {} is not supported; Cirrus needs Cloudreve 3.8 or 4.",
                    info.version
                ),
            ));
        }
        let http = build_client(&self.http_options(None, req.pinned_cert_sha256.clone())?)?;
        if info.major == 3 {
            return self.add_account_v3(req, http, server, info).await;
        }
        if auth::login_captcha_required(&http, &server)
            .await
            .unwrap_or(false)
        {
            return Err(Error::new(ErrorKind::CaptchaRequired));
        }
        match auth::sign_in(&http, &server, req.email.trim(), &req.password).await? {
            LoginResult::SignedIn { user, tokens } => Ok(AddAccountOutcome::Added(
                self.save_account(&req, &server, &info.into(), user, tokens)?,
            )),
            LoginResult::TwoFactor { session_id } => Ok(self.pend(req, server, info, session_id)),
        }
    }

    /// Sign-in to the 123pan Open Platform: `email` is the developer client id, `password`
    /// the client secret. The secret is always kept in the secret store (it is what gets the
    /// next access token when this one expires or is pushed out by a newer one).
    async fn add_account_pan123(&self, mut req: AddAccount) -> Result<AddAccountOutcome> {
        let typed = req.server_url.trim();
        let base = normalize_server_url(if typed.is_empty() {
            DEFAULT_API_BASE
        } else {
            typed
        })?;
        let client_id = req.email.trim().to_string();
        if client_id.is_empty() || req.password.is_empty() {
            return Err(Error::invalid(
                "Enter the client ID and client secret from the 123pan developer console.",
            ));
        }
        let http = build_client(&self.http_options(None, req.pinned_cert_sha256.clone())?)?;
        let tokens =
            auth_123::request_token(&http, &base, &client_id, &req.password, &RateLimiter::new())
                .await?;
        let secret = req.password.clone();
        let auth = Arc::new(Pan123Auth::new(
            http.clone(),
            base.clone(),
            client_id.clone(),
            Arc::new(move || Some(secret.clone())),
        ));
        let session = Arc::new(Session::new(tokens, auth, None));
        let probe = Pan123::new(http, base.clone(), session.clone());
        let user = crate::provider::Provider::whoami(&probe).await?;
        let tokens = session
            .tokens()
            .await
            .ok_or_else(|| Error::new(ErrorKind::SignInAgain))?;
        req.email = client_id.clone();
        req.remember_password = true;
        let info = AccountKind {
            provider: ProviderKind::Pan123,
            version: "open platform".into(),
        };
        let user = UserInfo {
            email: Some(client_id),
            ..user
        };
        Ok(AddAccountOutcome::Added(
            self.save_account(&req, &base, &info, user, tokens)?,
        ))
    }

    /// Sign-in to a Cloudreve 3 server: the session cookie is the credential.
    async fn add_account_v3(
        &self,
        req: AddAccount,
        http: reqwest::Client,
        server: Url,
        info: ServerInfo,
    ) -> Result<AddAccountOutcome> {
        if auth_v3::login_captcha_required(&http, &server)
            .await
            .unwrap_or(false)
        {
            return Err(Error::new(ErrorKind::CaptchaRequired));
        }
        match auth_v3::sign_in(&http, &server, req.email.trim(), &req.password).await? {
            auth_v3::LoginResult::SignedIn { user, tokens } => Ok(AddAccountOutcome::Added(
                self.save_account(&req, &server, &info.into(), user, tokens)?,
            )),
            auth_v3::LoginResult::TwoFactor { cookie } => Ok(self.pend(req, server, info, cookie)),
        }
    }

    fn pend(
        &self,
        req: AddAccount,
        server: Url,
        info: ServerInfo,
        session_id: String,
    ) -> AddAccountOutcome {
        let pending_id = uuid::Uuid::new_v4().to_string();
        let mut pending = lock(&self.pending);
        pending.retain(|_, p| p.started.elapsed() < Duration::from_secs(600));
        pending.insert(
            pending_id.clone(),
            PendingLogin {
                req,
                server,
                info,
                session_id,
                started: Instant::now(),
            },
        );
        AddAccountOutcome::TwoFactorRequired { pending_id }
    }

    /// Finish a sign-in that needed a one-time code. A wrong code can be retried.
    pub async fn complete_2fa(&self, pending_id: &str, otp: &str) -> Result<Account> {
        let (req, server, info, session_id) = {
            let pending = lock(&self.pending);
            let p = pending
                .get(pending_id)
                .filter(|p| p.started.elapsed() < Duration::from_secs(600))
                .ok_or_else(|| {
                    Error::with_message(
                        ErrorKind::TwoFactorWrong,
                        "The sign-in step expired; please sign in again.",
                    )
                })?;
            (
                p.req.clone(),
                p.server.clone(),
                p.info.clone(),
                p.session_id.clone(),
            )
        };
        let http = build_client(&self.http_options(None, req.pinned_cert_sha256.clone())?)?;
        if info.major == 3 {
            return match auth_v3::sign_in_2fa(&http, &server, &session_id, otp).await? {
                auth_v3::LoginResult::SignedIn { user, tokens } => {
                    lock(&self.pending).remove(pending_id);
                    self.save_account(&req, &server, &info.into(), user, tokens)
                }
                auth_v3::LoginResult::TwoFactor { .. } => {
                    Err(Error::protocol("The server asked for a second code."))
                }
            };
        }
        match auth::sign_in_2fa(&http, &server, &session_id, otp).await? {
            LoginResult::SignedIn { user, tokens } => {
                lock(&self.pending).remove(pending_id);
                self.save_account(&req, &server, &info.into(), user, tokens)
            }
            LoginResult::TwoFactor { .. } => {
                Err(Error::protocol("The server asked for a second code."))
            }
        }
    }

    fn save_account(
        &self,
        req: &AddAccount,
        server: &Url,
        info: &AccountKind,
        user: UserInfo,
        tokens: TokenSet,
    ) -> Result<Account> {
        let server_url = server_string(server);
        let email = user
            .email
            .clone()
            .unwrap_or_else(|| req.email.trim().to_string());
        let existing = self
            .accounts()?
            .into_iter()
            .find(|a| a.server_url == server_url && a.email.eq_ignore_ascii_case(&email));
        let host = server.host_str().unwrap_or_default();
        let account = Account {
            id: existing
                .as_ref()
                .map(|a| a.id.clone())
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            label: req
                .label
                .clone()
                .or_else(|| existing.as_ref().map(|a| a.label.clone()))
                .unwrap_or_else(|| format!("{email} @ {host}")),
            server_url,
            provider: info.provider,
            server_version: info.version.clone(),
            email,
            user_id: user.id,
            nickname: user.nickname,
            pinned_cert_sha256: req.pinned_cert_sha256.clone(),
            remember_password: req.remember_password,
            created_at: existing
                .as_ref()
                .map(|a| a.created_at)
                .unwrap_or_else(Utc::now),
            active: true,
        };
        self.secrets.set(
            &account.id,
            secrets::TOKENS,
            &serde_json::to_string(&tokens)?,
        )?;
        if req.remember_password {
            self.secrets
                .set(&account.id, secrets::PASSWORD, &req.password)?;
        } else {
            self.secrets.delete(&account.id, secrets::PASSWORD)?;
        }
        {
            let db = lock(&self.db);
            db.upsert(&account)?;
            db.set_active(Some(&account.id))?;
        }
        lock(&self.providers).remove(&account.id);
        lock(&self.providers_v3).remove(&account.id);
        lock(&self.providers_pan123).remove(&account.id);
        tracing::info!(account = %account.id, "signed in");
        Ok(account)
    }

    /// Make an account the active one.
    pub fn switch_account(&self, selector: &str) -> Result<Account> {
        let a = self.account(selector)?;
        lock(&self.db).set_active(Some(&a.id))?;
        Ok(Account { active: true, ..a })
    }

    /// Change an account's label.
    pub fn rename_account(&self, selector: &str, label: &str) -> Result<Account> {
        let a = self.account(selector)?;
        let label = label.trim();
        if label.is_empty() {
            return Err(Error::invalid("The label cannot be empty."));
        }
        lock(&self.db).rename(&a.id, label)?;
        Ok(Account {
            label: label.to_string(),
            ..a
        })
    }

    /// Sign out: revoke the session on the server (best effort) and forget the tokens and any
    /// remembered password. The account stays listed and can sign in again.
    pub async fn sign_out(&self, selector: &str) -> Result<Account> {
        let a = self.account(selector)?;
        if let Some(tokens) = self.load_tokens(&a.id)? {
            let http =
                build_client(&self.http_options(Some(&a.id), a.pinned_cert_sha256.clone())?)?;
            let signed_out = match Url::parse(&a.server_url) {
                Ok(server) if a.provider == ProviderKind::CloudreveV3 => {
                    auth_v3::sign_out(&http, &server, &tokens.access_token).await
                }
                // 123pan cannot revoke a developer token; forgetting it is all there is.
                Ok(_) if a.provider == ProviderKind::Pan123 => Ok(()),
                Ok(server) => auth::sign_out(&http, &server, &tokens.refresh_token).await,
                Err(_) => Ok(()),
            };
            if let Err(e) = signed_out {
                tracing::info!(
                    "server-side sign-out failed (tokens forgotten anyway): {}",
                    e.message()
                );
            }
        }
        self.secrets.delete(&a.id, secrets::TOKENS)?;
        self.secrets.delete(&a.id, secrets::PASSWORD)?;
        lock(&self.providers).remove(&a.id);
        lock(&self.providers_v3).remove(&a.id);
        lock(&self.providers_pan123).remove(&a.id);
        Ok(a)
    }

    /// Whether an account can be used without asking for a password: it has a live session
    /// (saved tokens whose refresh has not expired) or a remembered password. False after
    /// [`Cirrus::sign_out`].
    pub fn is_signed_in(&self, account_id: &str) -> Result<bool> {
        if lock(&self.providers).contains_key(account_id) {
            return Ok(true);
        }
        if self
            .load_tokens(account_id)?
            .is_some_and(|t| !t.refresh_expired(Utc::now()))
        {
            return Ok(true);
        }
        let a = self.account(account_id)?;
        Ok(a.remember_password && self.secrets.get(&a.id, secrets::PASSWORD)?.is_some())
    }

    /// Remove an account entirely (signs out first).
    pub async fn remove_account(&self, selector: &str) -> Result<Account> {
        let a = self.sign_out(selector).await?;
        self.secrets.delete(&a.id, net_proxy::PROXY_PASSWORD)?;
        // 123pan's remembered trash and tasks (absent for other accounts).
        let _ = std::fs::remove_file(crate::provider::pan123::state::path_for(
            &self.data_dir,
            &a.id,
        ));
        let db = lock(&self.db);
        db.remove(&a.id)?;
        // Keep some account active if others remain.
        if let Some(next) = db.list()?.first()
            && !db.list()?.iter().any(|x| x.active)
        {
            db.set_active(Some(&next.id))?;
        }
        Ok(a)
    }

    /// The account's stored session, or a new one from `refresher` (kept through `sink`) for
    /// providers that sign in again by themselves (a remembered password or client secret).
    async fn stored_or_new_tokens(
        &self,
        a: &Account,
        refresher: &dyn crate::session::TokenRefresher,
        sink: &SecretTokenSink,
    ) -> Result<TokenSet> {
        if let Some(t) = self.load_tokens(&a.id)? {
            return Ok(t);
        }
        match refresher.refresh("").await {
            Ok(t) => {
                sink.store(&t);
                Ok(t)
            }
            Err(e) if e.kind() == ErrorKind::SignInAgain => Err(Error::with_message(
                ErrorKind::SignInAgain,
                format!("Please sign in again to {} ({}).", a.label, a.server_url),
            )),
            Err(e) => Err(e),
        }
    }

    fn load_tokens(&self, account_id: &str) -> Result<Option<TokenSet>> {
        match self.secrets.get(account_id, secrets::TOKENS)? {
            Some(json) => Ok(serde_json::from_str(&json).ok()),
            None => Ok(None),
        }
    }

    /// The signed-in provider of an account (cached; one HTTP client per account).
    pub async fn provider(&self, account_id: &str) -> Result<Arc<dyn Provider>> {
        match self.account(account_id)?.provider {
            ProviderKind::CloudreveV4 => Ok(self.cloudreve_v4(account_id).await?),
            ProviderKind::CloudreveV3 => Ok(self.cloudreve_v3(account_id).await?),
            ProviderKind::Pan123 => Ok(self.pan123(account_id).await?),
        }
    }

    /// The concrete v3 provider of a Cloudreve 3 account. Its session is the cookie from the
    /// secret store; when the server ends it, the remembered password (if the user allowed
    /// keeping it) signs in again, else the account must sign in again (`SignInAgain`).
    pub async fn cloudreve_v3(&self, account_id: &str) -> Result<Arc<CloudreveV3>> {
        if let Some(p) = lock(&self.providers_v3).get(account_id) {
            return Ok(p.clone());
        }
        let a = self.account(account_id)?;
        if a.provider != ProviderKind::CloudreveV3 {
            return Err(Error::invalid(format!(
                "{} is not a Cloudreve 3 account.",
                a.label
            )));
        }
        let server = Url::parse(&a.server_url)
            .map_err(|e| Error::io(format!("Stored server URL is invalid: {e}")))?;
        let http = build_client(&self.http_options(Some(&a.id), a.pinned_cert_sha256.clone())?)?;
        let secrets = self.secrets.clone();
        let (id, remember) = (a.id.clone(), a.remember_password);
        let password: auth_v3::PasswordSource = Arc::new(move || {
            if !remember {
                return None;
            }
            secrets.get(&id, secrets::PASSWORD).ok().flatten()
        });
        let relogin = Arc::new(V3Relogin::new(
            http.clone(),
            server.clone(),
            a.email.clone(),
            password,
        ));
        let sink = Arc::new(SecretTokenSink {
            store: self.secrets.clone(),
            account_id: a.id.clone(),
        });
        // No cookie (signed out, or never stored): the remembered password or nothing.
        let tokens = self
            .stored_or_new_tokens(&a, relogin.as_ref(), &sink)
            .await?;
        let session = Arc::new(Session::new(tokens, relogin, Some(sink)));
        let p = Arc::new(CloudreveV3::new(http, server, session));
        lock(&self.providers_v3).insert(a.id.clone(), p.clone());
        Ok(p)
    }

    /// The concrete provider of a 123pan account. The stored access token is used until it
    /// expires (a restart never asks for a new one, which would count against the three
    /// live tokens 123pan allows); then, or when 123pan rejects it, the stored client secret
    /// fetches the next one.
    pub async fn pan123(&self, account_id: &str) -> Result<Arc<Pan123>> {
        if let Some(p) = lock(&self.providers_pan123).get(account_id) {
            return Ok(p.clone());
        }
        let a = self.account(account_id)?;
        if a.provider != ProviderKind::Pan123 {
            return Err(Error::invalid(format!(
                "{} is not a 123pan account.",
                a.label
            )));
        }
        let base = Url::parse(&a.server_url)
            .map_err(|e| Error::io(format!("Stored server URL is invalid: {e}")))?;
        let http = build_client(&self.http_options(Some(&a.id), a.pinned_cert_sha256.clone())?)?;
        let secrets = self.secrets.clone();
        let id = a.id.clone();
        let secret: auth_123::SecretSource =
            Arc::new(move || secrets.get(&id, secrets::PASSWORD).ok().flatten());
        let auth = Arc::new(Pan123Auth::new(
            http.clone(),
            base.clone(),
            a.email.clone(),
            secret,
        ));
        let sink = Arc::new(SecretTokenSink {
            store: self.secrets.clone(),
            account_id: a.id.clone(),
        });
        let tokens = self.stored_or_new_tokens(&a, auth.as_ref(), &sink).await?;
        let session = Arc::new(Session::new(tokens, auth, Some(sink)));
        let p = Arc::new(Pan123::new(http, base, session).with_state_file(
            crate::provider::pan123::state::path_for(&self.data_dir, &a.id),
        ));
        lock(&self.providers_pan123).insert(a.id.clone(), p.clone());
        Ok(p)
    }

    /// The concrete v4 provider (for diagnostics such as the session refresh count).
    pub async fn cloudreve_v4(&self, account_id: &str) -> Result<Arc<CloudreveV4>> {
        if let Some(p) = lock(&self.providers).get(account_id) {
            return Ok(p.clone());
        }
        let a = self.account(account_id)?;
        if a.provider != ProviderKind::CloudreveV4 {
            return Err(Error::invalid(format!(
                "{} is not a Cloudreve 4 account.",
                a.label
            )));
        }
        let server = Url::parse(&a.server_url)
            .map_err(|e| Error::io(format!("Stored server URL is invalid: {e}")))?;
        let http = build_client(&self.http_options(Some(&a.id), a.pinned_cert_sha256.clone())?)?;
        let tokens = match self.load_tokens(&a.id)? {
            Some(t) if !t.refresh_expired(Utc::now()) => t,
            _ => self.silent_sign_in(&a, &http, &server).await?,
        };
        let sink = Arc::new(SecretTokenSink {
            store: self.secrets.clone(),
            account_id: a.id.clone(),
        });
        let session = Arc::new(Session::new(
            tokens,
            Arc::new(V4Refresher::new(http.clone(), server.clone())),
            Some(sink),
        ));
        let p = Arc::new(CloudreveV4::new(http, server, session));
        lock(&self.providers).insert(a.id.clone(), p.clone());
        Ok(p)
    }

    /// Without tokens, sign in with the remembered password if the user chose to keep it.
    async fn silent_sign_in(
        &self,
        a: &Account,
        http: &reqwest::Client,
        server: &Url,
    ) -> Result<TokenSet> {
        let sign_in_again = || {
            Error::with_message(
                ErrorKind::SignInAgain,
                format!("Please sign in again to {} ({}).", a.label, a.server_url),
            )
        };
        let Some(password) = self
            .secrets
            .get(&a.id, secrets::PASSWORD)?
            .filter(|_| a.remember_password)
        else {
            return Err(sign_in_again());
        };
        match auth::sign_in(http, server, &a.email, &password).await {
            Ok(LoginResult::SignedIn { tokens, .. }) => {
                self.secrets
                    .set(&a.id, secrets::TOKENS, &serde_json::to_string(&tokens)?)?;
                Ok(tokens)
            }
            Ok(LoginResult::TwoFactor { .. }) => Err(sign_in_again()),
            Err(e) if e.kind() == ErrorKind::WrongPassword => Err(sign_in_again()),
            Err(e) => Err(e),
        }
    }
}
