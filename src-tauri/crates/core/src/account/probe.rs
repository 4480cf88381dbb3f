//! Probing a server before adding an account: reachable? Cloudreve? which major version?

use reqwest::Method;
use serde::Serialize;
use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::net::{CONTROL_TIMEOUT, from_reqwest};
use crate::provider::cloudreve_v4::envelope::Envelope;

/// What answered at a server URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    /// Version string from `/site/ping`, e.g. `4.18.0`.
    pub version: String,
    /// Major version (3 or 4).
    pub major: u32,
}

async fn ping(http: &reqwest::Client, server: &Url, api: &str) -> Result<Option<String>> {
    let url = format!(
        "{}/api/{api}/site/ping",
        server.as_str().trim_end_matches('/')
    );
    let resp = http
        .request(Method::GET, url)
        .timeout(CONTROL_TIMEOUT)
        .send()
        .await
        .map_err(|e| from_reqwest(&e))?;
    let status = resp.status().as_u16();
    if status == 407 {
        return Err(crate::net::proxy::auth_required());
    }
    let body = resp.bytes().await.map_err(|e| from_reqwest(&e))?;
    match Envelope::decode(status, &body) {
        Ok(env) if env.code == 0 => Ok(env.data_str()),
        // Any envelope means Cloudreve answered, even with an error code.
        Ok(env) => Err(env.to_error()),
        Err(_) => Ok(None),
    }
}

/// `GET /api/v4/site/ping`, then `/api/v3/site/ping`. Network failures keep their kind
/// (unreachable, dns, tls, timeout); anything else that is not Cloudreve is `NotCloudreve`.
pub async fn probe_server(http: &reqwest::Client, server: &Url) -> Result<ServerInfo> {
    for api in ["v4", "v3"] {
        match ping(http, server, api).await {
            Ok(Some(version)) => {
                let major = version
                    .trim_start_matches('v')
                    .split('.')
                    .next()
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(0);
                if major == 3 || major == 4 {
                    return Ok(ServerInfo { version, major });
                }
            }
            Ok(None) => {}
            Err(e) if e.kind() == ErrorKind::Protocol => {}
            Err(e) if e.server_code().is_some() => {
                return Err(Error::with_message(
                    ErrorKind::Server,
                    format!("The server answered with an error: {e}"),
                ));
            }
            Err(e) => return Err(e),
        }
    }
    Err(Error::new(ErrorKind::NotCloudreve))
}
