//! Which proxy the HTTP clients go through: the system's (environment, then GNOME's settings),
//! none, or a manual HTTP/HTTPS/SOCKS5 proxy with optional credentials. The one place a
//! proxy is applied to a `reqwest` client is [`apply`]; every client of the core calls it.
//!
//! Proxy passwords are never part of these settings: they live in the secret store and are
//! handed in only when a client is built.

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Error, ErrorKind, Result};

/// The secret-store name of a manual proxy's password (per account, or under [`APP_SCOPE`]).
pub const PROXY_PASSWORD: &str = "proxy-password";
/// The secret-store "account" that holds the app-wide manual proxy's password.
pub const APP_SCOPE: &str = "app";

/// How a manual proxy is spoken to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum ProxyProtocol {
    /// A plain-http proxy (forwards http, tunnels https with CONNECT).
    #[default]
    Http,
    /// A proxy reached over TLS.
    Https,
    /// SOCKS5; host names are resolved by the proxy (`socks5h`), as behind a company firewall
    /// the local resolver often knows nothing of the outside.
    Socks5,
}

/// A manually configured proxy. The password, if any, is in the secret store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ManualProxy {
    /// Protocol to the proxy.
    pub protocol: ProxyProtocol,
    /// Host name or IP address of the proxy.
    pub host: String,
    /// Port of the proxy.
    pub port: u16,
    /// User name for the proxy, if it asks for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

impl ManualProxy {
    /// Rejects an empty host, port 0 and characters that would change the URL's meaning.
    pub fn validate(&self) -> Result<()> {
        let host = self.host.trim();
        if host.is_empty() {
            return Err(Error::invalid("The proxy host cannot be empty."));
        }
        if host.contains(['/', '@', ' ', '?', '#']) {
            return Err(Error::invalid(format!(
                "\"{host}\" is not a proxy host name (give the host alone, without scheme or path)."
            )));
        }
        if self.port == 0 {
            return Err(Error::invalid(
                "The proxy port must be between 1 and 65535.",
            ));
        }
        if self.username.as_deref().is_some_and(|u| u.contains(':')) {
            return Err(Error::invalid("A proxy user name cannot contain \":\"."));
        }
        self.url().map(|_| ())
    }

    /// `scheme://host:port`, without credentials.
    pub fn url(&self) -> Result<Url> {
        let scheme = match self.protocol {
            ProxyProtocol::Http => "http",
            ProxyProtocol::Https => "https",
            ProxyProtocol::Socks5 => "socks5h",
        };
        let host = self.host.trim();
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        Url::parse(&format!("{scheme}://{host}:{}", self.port))
            .map_err(|e| Error::invalid(format!("The proxy address is not valid: {e}")))
    }

    /// `host:port`, for messages.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host.trim(), self.port)
    }
}

/// The app-wide proxy choice (Settings → Network).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "mode", rename_all = "camelCase")]
pub enum ProxySetting {
    /// Whatever the system says: the environment, else the desktop's settings.
    #[default]
    System,
    /// Connect directly.
    None,
    /// This proxy.
    Manual(ManualProxy),
}

/// An account's override of the app-wide proxy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "mode", rename_all = "camelCase")]
pub enum AccountProxy {
    /// Use the app setting.
    #[default]
    App,
    /// Connect directly.
    None,
    /// This proxy.
    Manual(ManualProxy),
}

/// The proxy a client is built with, credentials included. `Debug` hides the password.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum ProxyConfig {
    /// The system's proxy ([`system_proxy`]).
    #[default]
    System,
    /// No proxy, whatever the environment says.
    Direct,
    /// A manual proxy and its password.
    Manual {
        /// Where the proxy is.
        proxy: ManualProxy,
        /// Its password (from the secret store, `CIRRUS_PROXY_PASSWORD` or a prompt).
        password: Option<String>,
    },
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyConfig::System => f.write_str("System"),
            ProxyConfig::Direct => f.write_str("Direct"),
            ProxyConfig::Manual { proxy, password } => f
                .debug_struct("Manual")
                .field("proxy", proxy)
                .field("password", &password.as_ref().map(|_| "<redacted>"))
                .finish(),
        }
    }
}

impl ProxyConfig {
    /// Where requests go first, for messages: `proxy.example:3128`, or `None` when direct.
    pub fn describe(&self) -> Option<String> {
        match self {
            ProxyConfig::Direct => None,
            ProxyConfig::Manual { proxy, .. } => Some(proxy.address()),
            ProxyConfig::System => system_proxy().summary(),
        }
    }

    /// A connection failure, reworded to name the proxy when one was in the way: a wrong
    /// proxy otherwise reads as "the server could not be reached".
    pub fn explain(&self, e: Error) -> Error {
        let through = matches!(
            e.kind(),
            ErrorKind::Unreachable | ErrorKind::Dns | ErrorKind::Timeout | ErrorKind::Network
        );
        match self.describe() {
            Some(proxy) if through && !e.message().contains("proxy") => Error::with_message(
                e.kind(),
                format!(
                    "Could not connect through the proxy {proxy}: {} Check the proxy settings \
                     (Settings → Network, or --proxy / --no-proxy).",
                    e.message()
                ),
            ),
            _ => e,
        }
    }
}

/// The proxy answered 407: it wants credentials, or refused the ones it was given.
pub fn auth_required() -> Error {
    Error::with_message(
        ErrorKind::Unreachable,
        "The proxy asks for a user name and password, or refused the ones given (HTTP 407). \
         Check them in Settings → Network (or CIRRUS_PROXY_PASSWORD for --proxy).",
    )
    .with_http_status(407)
}

/// Applies a proxy to a client builder. The only place the core sets a proxy.
pub fn apply(builder: reqwest::ClientBuilder, cfg: &ProxyConfig) -> Result<reqwest::ClientBuilder> {
    match cfg {
        ProxyConfig::Direct => Ok(builder.no_proxy()),
        ProxyConfig::Manual { proxy, password } => {
            proxy.validate()?;
            let mut p = reqwest::Proxy::all(proxy.url()?)
                .map_err(|e| Error::invalid(format!("The proxy address is not valid: {e}")))?;
            if let Some(user) = proxy.username.as_deref().filter(|u| !u.is_empty()) {
                p = p.basic_auth(user, password.as_deref().unwrap_or(""));
            }
            Ok(builder.proxy(p))
        }
        ProxyConfig::System => {
            let sys = system_proxy();
            match sys.source {
                // reqwest reads the same variables itself, NO_PROXY included.
                SystemProxySource::Environment | SystemProxySource::Nothing => Ok(builder),
                SystemProxySource::Gnome => sys.gnome_proxies(builder),
            }
        }
    }
}

/// Where the system proxy came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SystemProxySource {
    /// `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` (and `NO_PROXY`), upper or lower case.
    Environment,
    /// GNOME's `org.gnome.system.proxy` settings in manual mode.
    Gnome,
    /// No proxy is configured: connections are direct.
    Nothing,
}

/// The system's proxy as Cirrus sees it (shown in Settings → Network). Addresses carry no
/// credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemProxy {
    /// Where it came from.
    pub source: SystemProxySource,
    /// Proxy for http:// URLs.
    pub http: Option<String>,
    /// Proxy for https:// URLs.
    pub https: Option<String>,
    /// Proxy for everything else (ALL_PROXY, GNOME's SOCKS host).
    pub all: Option<String>,
    /// Hosts reached directly, comma-separated.
    pub no_proxy: Option<String>,
    /// Why a setting was not used (GNOME's automatic/PAC mode).
    pub note: Option<String>,
    #[serde(skip)]
    gnome_auth: Option<(String, String)>,
}

impl SystemProxy {
    fn nothing() -> Self {
        SystemProxy {
            source: SystemProxySource::Nothing,
            http: None,
            https: None,
            all: None,
            no_proxy: None,
            note: None,
            gnome_auth: None,
        }
    }

    /// The proxy https requests would go through (they are most of what Cirrus sends).
    pub fn summary(&self) -> Option<String> {
        self.https
            .clone()
            .or_else(|| self.all.clone())
            .or_else(|| self.http.clone())
    }

    fn gnome_proxies(&self, mut builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
        let no_proxy = reqwest::NoProxy::from_string(self.no_proxy.as_deref().unwrap_or(""));
        let bad = |e: reqwest::Error| {
            Error::invalid(format!("The desktop's proxy setting is not valid: {e}"))
        };
        let auth = |p: reqwest::Proxy| match &self.gnome_auth {
            Some((u, pw)) => p.basic_auth(u, pw),
            None => p,
        };
        if let Some(h) = &self.http {
            builder = builder
                .proxy(auth(reqwest::Proxy::http(h).map_err(bad)?).no_proxy(no_proxy.clone()));
        }
        if let Some(h) = &self.https {
            builder = builder
                .proxy(auth(reqwest::Proxy::https(h).map_err(bad)?).no_proxy(no_proxy.clone()));
        }
        if let Some(h) = &self.all {
            builder = builder.proxy(reqwest::Proxy::all(h).map_err(bad)?.no_proxy(no_proxy));
        }
        Ok(builder)
    }
}

/// Reads the system proxy: the environment first (what command-line tools also obey), then
/// GNOME's settings through `gsettings` when it is installed.
pub fn system_proxy() -> SystemProxy {
    let from_env = env_proxy(|k| std::env::var(k).ok());
    if from_env.source == SystemProxySource::Environment {
        return from_env;
    }
    match std::process::Command::new("gsettings")
        .args(["list-recursively", "org.gnome.system.proxy"])
        .stderr(std::process::Stdio::null())
        .output()
    {
        Ok(out) if out.status.success() => {
            parse_gsettings(&String::from_utf8_lossy(&out.stdout)).unwrap_or(from_env)
        }
        _ => from_env,
    }
}

/// The proxy variables of an environment (`var` looks one up).
pub fn env_proxy(var: impl Fn(&str) -> Option<String>) -> SystemProxy {
    let get = |names: [&str; 2]| {
        names
            .iter()
            .find_map(|n| var(n).filter(|v| !v.trim().is_empty()))
            .map(|v| without_credentials(v.trim()))
    };
    let mut sys = SystemProxy::nothing();
    sys.http = get(["http_proxy", "HTTP_PROXY"]);
    sys.https = get(["https_proxy", "HTTPS_PROXY"]);
    sys.all = get(["all_proxy", "ALL_PROXY"]);
    if sys.http.is_some() || sys.https.is_some() || sys.all.is_some() {
        sys.source = SystemProxySource::Environment;
        sys.no_proxy = get(["no_proxy", "NO_PROXY"]);
    }
    sys
}

/// An address for display: any `user:password@` removed.
fn without_credentials(addr: &str) -> String {
    match Url::parse(addr) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string().trim_end_matches('/').to_string()
        }
        _ => match addr.rsplit_once('@') {
            Some((_, rest)) => rest.to_string(),
            None => addr.to_string(),
        },
    }
}

/// Parses `gsettings list-recursively org.gnome.system.proxy`. `None` unless the mode is
/// manual or automatic (then with a note: Cirrus does not run PAC scripts).
pub fn parse_gsettings(text: &str) -> Option<SystemProxy> {
    let mut values = std::collections::HashMap::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ' ');
        let (Some(schema), Some(key), Some(value)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let section = schema
            .strip_prefix("org.gnome.system.proxy")
            .unwrap_or(schema)
            .trim_start_matches('.');
        values.insert(format!("{section}.{key}"), value.trim().to_string());
    }
    let text_of = |k: &str| {
        values
            .get(k)
            .map(|v| v.trim_matches('\'').to_string())
            .filter(|v| !v.is_empty())
    };
    let mode = text_of(".mode")?;
    let mut sys = SystemProxy::nothing();
    if mode == "auto" {
        sys.note = Some(
            "The desktop uses an automatic proxy configuration (PAC), which Cirrus does not run; \
             connections are direct. Choose a manual proxy in Settings → Network if needed."
                .into(),
        );
        return Some(sys);
    }
    if mode != "manual" {
        return None;
    }
    let hostport = |section: &str, scheme: &str| {
        let host = text_of(&format!("{section}.host"))?;
        let port = values
            .get(&format!("{section}.port"))
            .and_then(|p| p.trim_start_matches("uint32 ").parse::<u16>().ok())
            .filter(|p| *p != 0)?;
        Some(format!("{scheme}://{host}:{port}"))
    };
    sys.http = hostport("http", "http");
    sys.https = hostport("https", "http");
    sys.all = hostport("socks", "socks5h");
    if sys.http.is_none() && sys.https.is_none() && sys.all.is_none() {
        return None;
    }
    sys.source = SystemProxySource::Gnome;
    if let Some(list) = values.get(".ignore-hosts") {
        let hosts: Vec<String> = list
            .trim_start_matches("@as ")
            .trim_matches(['[', ']'])
            .split(',')
            .map(|h| h.trim().trim_matches('\'').to_string())
            .filter(|h| !h.is_empty())
            .collect();
        if !hosts.is_empty() {
            sys.no_proxy = Some(hosts.join(","));
        }
    }
    if values.get("http.use-authentication").map(String::as_str) == Some("true")
        && let Some(user) = text_of("http.authentication-user")
    {
        let pw = text_of("http.authentication-password").unwrap_or_default();
        sys.gnome_auth = Some((user, pw));
    }
    Some(sys)
}

/// A proxy given on the command line (`--proxy URL`). Credentials in it are refused: the
/// command line of a process is readable by every local user (`ps`, `/proc/PID/cmdline`)
/// and lands in shell history. A user name is allowed; its password comes from
/// `CIRRUS_PROXY_PASSWORD` or a prompt.
pub fn parse_proxy_url(text: &str) -> Result<ManualProxy> {
    let text = text.trim();
    let with_scheme = if text.contains("://") {
        text.to_string()
    } else {
        format!("http://{text}")
    };
    let url = Url::parse(&with_scheme)
        .map_err(|e| Error::invalid(format!("\"{text}\" is not a proxy URL: {e}")))?;
    if url.password().is_some() {
        return Err(Error::invalid(
            "Do not put a proxy password on the command line (other users can read it with ps, \
             and it stays in shell history). Give the user name alone (http://user@host:port) \
             and the password in CIRRUS_PROXY_PASSWORD, or type it when asked.",
        ));
    }
    let protocol = match url.scheme() {
        "http" => ProxyProtocol::Http,
        "https" => ProxyProtocol::Https,
        "socks5" | "socks5h" => ProxyProtocol::Socks5,
        other => {
            return Err(Error::invalid(format!(
                "Proxy scheme \"{other}\" is not supported (use http, https or socks5)."
            )));
        }
    };
    let port = url.port().unwrap_or(match protocol {
        ProxyProtocol::Socks5 => 1080,
        _ => 8080,
    });
    let host = url
        .host_str()
        .ok_or_else(|| Error::invalid(format!("\"{text}\" has no proxy host.")))?
        .trim_matches(['[', ']'])
        .to_string();
    let username = Some(url.username().to_string()).filter(|u| !u.is_empty());
    let proxy = ManualProxy {
        protocol,
        host,
        port,
        username,
    };
    proxy.validate()?;
    Ok(proxy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_json_is_tagged_by_mode() {
        let s = ProxySetting::Manual(ManualProxy {
            protocol: ProxyProtocol::Socks5,
            host: "proxy.lan".into(),
            port: 1080,
            username: Some("me".into()),
        });
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["mode"], "manual");
        assert_eq!(json["protocol"], "socks5");
        assert_eq!(json["port"], 1080);
        assert_eq!(serde_json::from_value::<ProxySetting>(json).unwrap(), s);
        let sys: ProxySetting = serde_json::from_str(r#"{"mode":"system"}"#).unwrap();
        assert_eq!(sys, ProxySetting::System);
        let app: AccountProxy = serde_json::from_str(r#"{"mode":"app"}"#).unwrap();
        assert_eq!(app, AccountProxy::App);
    }

    #[test]
    fn the_password_never_shows_in_debug() {
        let cfg = ProxyConfig::Manual {
            proxy: ManualProxy {
                host: "p".into(),
                port: 1,
                username: Some("u".into()),
                ..Default::default()
            },
            password: Some("hunter2".into()),
        };
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }

    #[test]
    fn a_password_on_the_command_line_is_refused_a_user_name_is_not() {
        let e = parse_proxy_url("http://me:secret@proxy:3128").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(!e.message().contains("secret"));
        let p = parse_proxy_url("socks5://me@proxy.lan").unwrap();
        assert_eq!(p.protocol, ProxyProtocol::Socks5);
        assert_eq!(p.port, 1080);
        assert_eq!(p.username.as_deref(), Some("me"));
        let p = parse_proxy_url("10.0.0.1:3128").unwrap();
        assert_eq!((p.protocol, p.port), (ProxyProtocol::Http, 3128));
        assert!(parse_proxy_url("ftp://proxy:21").is_err());
    }

    #[test]
    fn manual_proxies_are_validated() {
        let mut p = ManualProxy {
            host: "proxy".into(),
            port: 0,
            ..Default::default()
        };
        assert!(p.validate().is_err());
        p.port = 3128;
        assert!(p.validate().is_ok());
        p.host = "http://proxy".into();
        assert!(p.validate().is_err());
        p.host = "::1".into();
        assert_eq!(p.url().unwrap().as_str(), "http://[::1]:3128/");
    }

    #[test]
    fn environment_variables_are_read_without_their_credentials() {
        let env = |k: &str| match k {
            "HTTPS_PROXY" => Some("http://u:pw@corp:8080".to_string()),
            "no_proxy" => Some("localhost,.lan".to_string()),
            _ => None,
        };
        let sys = env_proxy(env);
        assert_eq!(sys.source, SystemProxySource::Environment);
        assert_eq!(sys.https.as_deref(), Some("http://corp:8080"));
        assert_eq!(sys.no_proxy.as_deref(), Some("localhost,.lan"));
        assert_eq!(sys.summary().as_deref(), Some("http://corp:8080"));
        assert_eq!(env_proxy(|_| None).source, SystemProxySource::Nothing);
    }

    #[test]
    fn gnome_manual_mode_is_read() {
        let out = "org.gnome.system.proxy autoconfig-url ''\n\
org.gnome.system.proxy ignore-hosts ['localhost', '127.0.0.0/8', '::1']\n\
org.gnome.system.proxy mode 'manual'\n\
org.gnome.system.proxy.http host 'web.corp'\n\
org.gnome.system.proxy.http port 3128\n\
org.gnome.system.proxy.http use-authentication false\n\
org.gnome.system.proxy.https host 'web.corp'\n\
org.gnome.system.proxy.https port 3129\n\
org.gnome.system.proxy.socks host ''\n\
org.gnome.system.proxy.socks port 0\n";
        let sys = parse_gsettings(out).unwrap();
        assert_eq!(sys.source, SystemProxySource::Gnome);
        assert_eq!(sys.http.as_deref(), Some("http://web.corp:3128"));
        assert_eq!(sys.https.as_deref(), Some("http://web.corp:3129"));
        assert_eq!(sys.all, None);
        assert_eq!(sys.no_proxy.as_deref(), Some("localhost,127.0.0.0/8,::1"));
        assert!(apply(reqwest::Client::builder(), &ProxyConfig::System).is_ok());
        assert!(sys.gnome_proxies(reqwest::Client::builder()).is_ok());
    }

    #[test]
    fn gnome_none_and_auto_modes() {
        assert_eq!(
            parse_gsettings("org.gnome.system.proxy mode 'none'\n"),
            None
        );
        let auto = parse_gsettings("org.gnome.system.proxy mode 'auto'\n").unwrap();
        assert_eq!(auto.source, SystemProxySource::Nothing);
        assert!(auto.note.is_some());
    }
}
