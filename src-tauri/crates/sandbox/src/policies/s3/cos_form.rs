//! Tencent COS as Cloudreve 3.8.3 uses it: one `POST Object` form upload to the bucket URL
//! (no multipart parts). The master hands the client a base64 post policy and its
//! signature (`q-sign-algorithm=sha1`: `HMAC-SHA1(HMAC-SHA1(secret, keyTime) as hex,
//! SHA1(policy) as hex)`); the bucket checks the signature and every condition of the policy
//! before it stores the file, and the client then calls `GET /api/v3/callback/cos/{session}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac13::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};

use super::{BUCKET, S3Store};
use crate::app::App;
use crate::policies::NewSession;
use crate::policies::upyun::form;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hmac_sha1_hex(key: &[u8], msg: &[u8]) -> String {
    let mut m = Hmac::<Sha1>::new_from_slice(key).expect("any key length");
    m.update(msg);
    hex(&m.finalize().into_bytes())
}

/// The q-signature of `policy_json` for `key_time` under `secret`.
fn signature(secret: &str, key_time: &str, policy_json: &[u8]) -> String {
    let sign_key = hmac_sha1_hex(secret.as_bytes(), key_time.as_bytes());
    hmac_sha1_hex(
        sign_key.as_bytes(),
        hex(&Sha1::digest(policy_json)).as_bytes(),
    )
}

/// The bucket URL form uploads go to.
pub fn bucket_url(st: &S3Store) -> String {
    format!("{}/{BUCKET}", st.base_url())
}

/// The COS driver's `Token` of 3.8.3: the credential fields of a new session (mapped to
/// `uploadURLs`, `credential`, `path`, `ak`, `keyTime`, `policy` and `callback`).
pub fn begin(app: &Arc<App>, s: &NewSession<'_>, max_size: u64) -> Map<String, Value> {
    let st = &app.policies.s3;
    let now = app.now().timestamp();
    let key_time = format!("{now};{}", s.expires);
    let callback = format!(
        "{}/api/v3/callback/cos/{}",
        app.policies.site_url(),
        s.session_id
    );
    let expiration = chrono::DateTime::from_timestamp(s.expires, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut conditions = vec![
        json!({"bucket": BUCKET}),
        json!({"$key": s.blob}),
        json!({"x-cos-meta-callback": callback}),
        json!({"x-cos-meta-key": s.session_id}),
        json!({"q-sign-algorithm": "sha1"}),
        json!({"q-ak": st.presigner.access_key}),
        json!({"q-sign-time": key_time}),
    ];
    if max_size > 0 {
        conditions.push(json!(["content-length-range", 0, max_size]));
    }
    let policy = json!({"expiration": expiration, "conditions": conditions}).to_string();
    let mut m = Map::new();
    m.insert("upload_urls".into(), json!([bucket_url(st)]));
    m.insert(
        "credential".into(),
        json!(signature(
            &st.presigner.secret_key,
            &key_time,
            policy.as_bytes()
        )),
    );
    m.insert("path".into(), json!(s.blob));
    m.insert("ak".into(), json!(st.presigner.access_key));
    m.insert("keyTime".into(), json!(key_time));
    m.insert("upload_policy".into(), json!(STANDARD.encode(&policy)));
    m.insert("callback".into(), json!(callback));
    m
}

/// COS's XML error answer.
fn fail(status: StatusCode, code: &str, msg: &str) -> Response {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
         <Message>{msg}</Message></Error>"
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], xml).into_response()
}

fn text(f: &HashMap<String, Vec<u8>>, k: &str) -> String {
    f.get(k)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_default()
}

/// Whether `req` is a form upload to the bucket (`POST /{bucket}` with form data).
pub fn is_form_upload(req: &Request) -> bool {
    req.method() == axum::http::Method::POST
        && req.uri().path().trim_end_matches('/') == format!("/{BUCKET}")
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| form::boundary(c).is_some())
}

/// Checks one condition of the post policy against the form (exact matches, `starts-with`
/// and `content-length-range`, as COS evaluates them).
fn condition_holds(c: &Value, f: &HashMap<String, Vec<u8>>, file_len: u64) -> bool {
    if let Some(obj) = c.as_object() {
        return obj.iter().all(|(k, v)| {
            let field = k.trim_start_matches('$');
            match field {
                "bucket" => v.as_str() == Some(BUCKET),
                "q-sign-time" => v.as_str() == Some(text(f, "q-key-time").as_str()),
                _ => v.as_str() == Some(text(f, field).as_str()),
            }
        });
    }
    match c.as_array().map(Vec::as_slice) {
        Some([op, lo, hi]) if op == "content-length-range" => {
            (lo.as_u64().unwrap_or(0)..=hi.as_u64().unwrap_or(u64::MAX)).contains(&file_len)
        }
        Some([op, field, prefix]) if op == "starts-with" => {
            let field = field.as_str().unwrap_or_default().trim_start_matches('$');
            text(f, field).starts_with(prefix.as_str().unwrap_or_default())
        }
        _ => false,
    }
}

/// `POST /{bucket}`: verify the signature and the policy, then store the file under `key`.
pub async fn post_object(st: &S3Store, req: Request) -> Response {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = match axum::body::to_bytes(req.into_body(), usize::MAX).await {
        Ok(b) => b,
        Err(_) => return fail(StatusCode::BAD_REQUEST, "InvalidRequest", "body incomplete"),
    };
    let Some(f) = form::boundary(&ct).and_then(|b| form::parse(&body, &b)) else {
        return fail(StatusCode::BAD_REQUEST, "MalformedPOSTRequest", "bad form");
    };
    let Some(file) = f.get("file") else {
        return fail(
            StatusCode::BAD_REQUEST,
            "MalformedPOSTRequest",
            "no file field",
        );
    };
    let policy_b64 = text(&f, "policy");
    let Some(policy_json) = STANDARD.decode(policy_b64.as_bytes()).ok() else {
        return fail(
            StatusCode::BAD_REQUEST,
            "InvalidPolicyDocument",
            "policy is not base64",
        );
    };
    let key_time = text(&f, "q-key-time");
    let signed = text(&f, "q-sign-algorithm") == "sha1"
        && text(&f, "q-ak") == st.presigner.access_key
        && text(&f, "q-signature") == signature(&st.presigner.secret_key, &key_time, &policy_json);
    if !signed {
        return fail(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The calculated signature does not match",
        );
    }
    let Ok(policy) = serde_json::from_slice::<Value>(&policy_json) else {
        return fail(
            StatusCode::BAD_REQUEST,
            "InvalidPolicyDocument",
            "policy is not JSON",
        );
    };
    let expired = policy["expiration"]
        .as_str()
        .and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok())
        .is_none_or(|e| e.timestamp() < chrono::Utc::now().timestamp());
    let end_ok = key_time
        .split_once(';')
        .and_then(|(_, b)| b.parse::<i64>().ok())
        .is_some_and(|end| end >= chrono::Utc::now().timestamp());
    if expired || !end_ok {
        return fail(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
    }
    let conditions = policy["conditions"].as_array().cloned().unwrap_or_default();
    if !conditions
        .iter()
        .all(|c| condition_holds(c, &f, file.len() as u64))
    {
        return fail(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Invalid according to Policy: Policy Condition failed",
        );
    }
    let key = text(&f, "key");
    let put = st.presign("PUT", &key, &[], &[], 300);
    match st
        .http
        .put(put)
        .body(Bytes::from(file.clone()))
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => {
            let etag = r
                .headers()
                .get(header::ETAG)
                .cloned()
                .unwrap_or_else(|| header::HeaderValue::from_static("\"\""));
            (StatusCode::NO_CONTENT, [(header::ETAG, etag)]).into_response()
        }
        _ => fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "store failed",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_documented_scheme() {
        // Recomputed by hand from the two HMAC steps, so the chain (hex between steps) holds.
        let key_time = "1700000000;1700003600";
        let sig = signature("secret", key_time, b"{}");
        let sign_key = hmac_sha1_hex(b"secret", key_time.as_bytes());
        let sts = hex(&Sha1::digest(b"{}"));
        assert_eq!(sig, hmac_sha1_hex(sign_key.as_bytes(), sts.as_bytes()));
        assert_eq!(sig.len(), 40);
        assert_ne!(sig, signature("other", key_time, b"{}"));
    }

    #[test]
    fn conditions_are_checked_field_by_field() {
        let mut f = HashMap::new();
        f.insert("key".to_string(), b"uploads/a".to_vec());
        f.insert("q-key-time".to_string(), b"1;2".to_vec());
        assert!(condition_holds(&json!({"$key": "uploads/a"}), &f, 3));
        assert!(!condition_holds(&json!({"$key": "uploads/b"}), &f, 3));
        assert!(condition_holds(&json!({"q-sign-time": "1;2"}), &f, 3));
        assert!(condition_holds(
            &json!(["starts-with", "$key", "uploads/"]),
            &f,
            3
        ));
        assert!(condition_holds(
            &json!(["content-length-range", 0, 3]),
            &f,
            3
        ));
        assert!(!condition_holds(
            &json!(["content-length-range", 0, 2]),
            &f,
            3
        ));
    }
}
