//! Aliyun OSS on the in-process store. The master presigns the parts (content type signed, as
//! the OSS driver does) and a completion URL carrying the callback policy in `callback` and
//! signing `x-oss-complete-all: yes` and `x-oss-forbid-overwrite: true`: the official client
//! POSTs it with an empty body and OSS completes every uploaded part. After completing, the
//! store POSTs `/api/v4/callback/oss/{session}/{secret}` itself and answers the client with
//! the master's response (200), or 203 when the callback failed.
//!
//! Simplifications: URLs are SigV4 like the rest of the store (real OSS has its own scheme),
//! and the callback is signed with HMAC-SHA256 over `decoded path + "\n" + body` with a key
//! of the store, where real OSS signs MD5 of the same string with RSA and publishes the public
//! key under `x-oss-pub-key-url`. The header is still sent and checked (it must name this
//! store), and a wrong or missing signature is refused with 401 like Cloudreve does.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sha2::Sha256;

use super::{BUCKET, S3Store, query_param};

/// Header OSS names its callback-signing key in (base64 URL).
pub const PUB_KEY_HEADER: &str = "x-oss-pub-key-url";

/// Callback body template of Cloudreve's OSS driver.
pub const CALLBACK_BODY: &str = r#"{"name":${x:fname},"source_name":${object},"size":${size},"pic_info":"${imageInfo.width},${imageInfo.height}"}"#;

/// Headers signed into the completion URL (the client must send them unchanged).
pub fn complete_headers() -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "application/octet-stream".to_string()),
        ("x-oss-complete-all", "yes".to_string()),
        ("x-oss-forbid-overwrite", "true".to_string()),
    ]
}

/// The base64 callback policy for `callback_url`.
pub fn callback_param(callback_url: &str) -> String {
    let p = json!({
        "callbackUrl": callback_url,
        "callbackBody": CALLBACK_BODY,
        "callbackBodyType": "application/json",
        "callbackSNI": true,
    });
    STANDARD.encode(p.to_string())
}

/// An OSS-style XML error.
fn oss_error(status: StatusCode, code: &str, message: &str) -> Response {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], xml).into_response()
}

/// True when a completion asks OSS to complete every uploaded part.
pub fn wants_complete_all(req: &Request) -> bool {
    req.headers()
        .get("x-oss-complete-all")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"yes"))
}

/// `x-oss-complete-all: yes`: the body must be empty; it is replaced by the part list of the
/// upload (from an in-process `ListParts`) so the S3 implementation can complete it.
pub async fn fill_complete_all(st: &S3Store, req: Request, key: &str) -> Result<Request, Response> {
    let (mut parts, body) = req.into_parts();
    let given = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if !given.is_empty() {
        return Err(oss_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Should not specify both complete all header and http body.",
        ));
    }
    let upload_id = query_param_of(parts.uri.query(), "uploadId").unwrap_or_default();
    let xml = list_parts(st, key, &upload_id).await?;
    // The store completes parts in the order listed and does not compare ETags (its
    // `ListParts` carries none), so part numbers are all the request needs.
    let mut body = String::from("<CompleteMultipartUpload>");
    for n in part_numbers(&xml) {
        body += &format!("<Part><PartNumber>{n}</PartNumber></Part>");
    }
    body += "</CompleteMultipartUpload>";
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    Ok(Request::from_parts(parts, Body::from(body)))
}

fn query_param_of(q: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `ListParts` through the S3 service itself (in process, so no fault injection applies).
async fn list_parts(st: &S3Store, key: &str, upload_id: &str) -> Result<String, Response> {
    let url = st.presign("GET", key, &[("uploadId", upload_id.to_string())], &[], 60);
    let origin = url.strip_prefix(st.base_url()).unwrap_or(&url).to_string();
    let host = st.base_url().trim_start_matches("http://").to_string();
    let req = http::Request::builder()
        .method("GET")
        .uri(origin)
        .header(header::HOST, host)
        .body(s3s::Body::empty())
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
    let resp = st
        .service
        .call(req)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
    let status = resp.status();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if !status.is_success() {
        // NoSuchUpload and friends: hand the store's own answer back.
        return Err((status, bytes).into_response());
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Sorted part numbers of a `ListPartsResult`.
fn part_numbers(xml: &str) -> Vec<u64> {
    let mut v: Vec<u64> = xml
        .split("<Part>")
        .skip(1)
        .filter_map(|p| super::xml_value(p, "PartNumber")?.parse().ok())
        .collect();
    v.sort_unstable();
    v
}

fn mac(key: &[u8], path: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    m.update(path.as_bytes());
    m.update(b"\n");
    m.update(body);
    m
}

fn pub_key_url(st: &S3Store) -> String {
    format!("{}/oss-callback-key", st.base_url())
}

/// After a completed upload: render the callback body, sign it and POST it to the master.
pub async fn callback(st: &S3Store, policy_b64: &str, key: &str) -> Response {
    let Some(policy) = STANDARD
        .decode(policy_b64)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    else {
        return oss_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "The callback configuration is not json format.",
        );
    };
    let size = std::fs::metadata(st.root.join(BUCKET).join(key))
        .map(|m| m.len())
        .unwrap_or(0);
    let quoted = serde_json::to_string(key).unwrap_or_default();
    // No `x:fname` custom variable is sent by clients; it renders as an empty JSON string.
    let body = policy["callbackBody"]
        .as_str()
        .unwrap_or_default()
        .replace("${x:fname}", "\"\"")
        .replace("${object}", &quoted)
        .replace("${size}", &size.to_string())
        .replace("${imageInfo.width}", "")
        .replace("${imageInfo.height}", "");
    let url = policy["callbackUrl"].as_str().unwrap_or_default();
    let path = url::Url::parse(url)
        .map(|u| {
            percent_encoding::percent_decode_str(u.path())
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_default();
    let sig = mac(&st.oss_key, &path, body.as_bytes())
        .finalize()
        .into_bytes();
    let headers = [
        ("authorization", STANDARD.encode(sig)),
        (PUB_KEY_HEADER, STANDARD.encode(pub_key_url(st))),
        (
            "content-type",
            policy["callbackBodyType"]
                .as_str()
                .unwrap_or("application/json")
                .to_string(),
        ),
    ];
    super::deliver_callback(st, url, &headers, body).await
}

/// The master's `OSSCallbackAuth`: the key URL must name this store and the signature over
/// the decoded request path and body must match.
pub fn verify_callback(st: &S3Store, path: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let get = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| STANDARD.decode(v).ok())
    };
    let Some(key_url) = get(PUB_KEY_HEADER) else {
        return false;
    };
    if key_url != pub_key_url(st).as_bytes() {
        return false;
    }
    let Some(sig) = get("authorization") else {
        return false;
    };
    mac(&st.oss_key, path, body).verify_slice(&sig).is_ok()
}

/// The callback policy of a completion request (its `callback` query parameter).
pub fn callback_of(req: &Request) -> Option<String> {
    query_param(req, "callback")
}
