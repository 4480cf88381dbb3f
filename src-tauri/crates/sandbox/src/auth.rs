//! Bearer-token identity, JWT token pairs and TOTP, following `pkg/auth/jwt.go`.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::app::{App, AppRef};
use crate::envelope::{ApiError, CORRELATION_ID};
use crate::ids::Kind;
use crate::store::{Id, User};
use crate::timefmt::go_time;

/// JWT payload of access and refresh tokens.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub token_type: String,
    pub sub: String,
    pub exp: i64,
    pub nbf: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_token_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_hash: Option<String>,
}

/// Who is calling: a user id or anonymous.
#[derive(Debug, Clone, Copy, Default)]
pub struct Caller(pub Option<Id>);

impl Caller {
    /// The user id, or 401 "Login required" for anonymous callers.
    pub fn require(self) -> Result<Id, ApiError> {
        self.0.ok_or_else(ApiError::login_required)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .copied()
            .unwrap_or_default())
    }
}

fn validation() -> Validation {
    let mut v = Validation::new(Algorithm::HS256);
    // golang-jwt v5 validates exp/nbf without leeway.
    v.leeway = 0;
    v.validate_nbf = true;
    v.set_required_spec_claims(&["exp"]);
    v
}

impl App {
    fn decode_claims(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(
            token,
            &DecodingKey::from_secret(&self.jwt_secret),
            &validation(),
        )
        .ok()
        .map(|d| d.claims)
    }

    /// Evaluate the `Authorization` header like `VerifyAndRetrieveUser`: anything unparsable
    /// or expired is anonymous; a non-access token is 40020.
    pub fn identify(&self, auth: Option<&str>) -> Result<Caller, ApiError> {
        let Some(h) = auth else {
            return Ok(Caller(None));
        };
        if h.starts_with("Bearer Cr ") {
            return Ok(Caller(None));
        }
        let token = h.strip_prefix("Bearer ").unwrap_or("");
        if token.is_empty() {
            return Ok(Caller(None));
        }
        let Some(claims) = self.decode_claims(token) else {
            return Ok(Caller(None));
        };
        if claims.token_type != "access" {
            return Err(ApiError::new(40020, "Invalid token type"));
        }
        let uid = self
            .ids
            .decode(Kind::User, &claims.sub)
            .ok_or_else(|| ApiError::new(404, "User not found"))?;
        if !self.store().users.contains_key(&uid) {
            return Err(ApiError::new(50001, "failed to get login user"));
        }
        Ok(Caller(Some(uid)))
    }

    fn state_hash(&self, u: &User) -> String {
        let digest = Sha256::digest(format!("{}/{}/{}", u.email, u.password, self.site_id));
        STANDARD.encode(digest)
    }

    /// Issue an access/refresh pair; `family` keeps the root token id on refresh.
    pub fn issue_tokens(
        &self,
        u: &User,
        family: Option<String>,
    ) -> Result<serde_json::Value, ApiError> {
        let now = Utc::now();
        let access_exp =
            now + chrono::Duration::from_std(self.settings.access_ttl).unwrap_or_default();
        let refresh_exp =
            now + chrono::Duration::from_std(self.settings.refresh_ttl).unwrap_or_default();
        let sub = self.ids.encode(Kind::User, u.id);
        let key = EncodingKey::from_secret(&self.jwt_secret);
        let sign = |c: &Claims| {
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), c, &key)
                .map_err(|_| ApiError::new(50002, "Failed to issue token pair"))
        };
        let access = sign(&Claims {
            token_type: "access".into(),
            sub: sub.clone(),
            exp: access_exp.timestamp(),
            nbf: now.timestamp(),
            root_token_id: None,
            state_hash: None,
        })?;
        let refresh = sign(&Claims {
            token_type: "refresh".into(),
            sub,
            exp: refresh_exp.timestamp(),
            nbf: now.timestamp(),
            root_token_id: Some(family.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())),
            state_hash: Some(self.state_hash(u)),
        })?;
        Ok(serde_json::json!({
            "access_token": access,
            "refresh_token": refresh,
            "access_expires": go_time(access_exp),
            "refresh_expires": go_time(refresh_exp),
        }))
    }

    /// Validate a refresh token for `POST /session/token/refresh`; returns (user, family).
    pub fn check_refresh(&self, token: &str) -> Option<(Id, String)> {
        let c = self.decode_claims(token)?;
        if c.token_type != "refresh" {
            return None;
        }
        let uid = self.ids.decode(Kind::User, &c.sub)?;
        let family = c.root_token_id?;
        let store = self.store();
        let u = store.users.get(&uid)?;
        if store.revoked_families.contains(&family)
            || c.state_hash.as_deref() != Some(&self.state_hash(u))
        {
            return None;
        }
        Some((uid, family))
    }

    /// Parse a refresh token for sign-out (signature and expiry only).
    pub fn refresh_family(&self, token: &str) -> Option<String> {
        let c = self.decode_claims(token)?;
        (c.token_type == "refresh")
            .then_some(c.root_token_id)
            .flatten()
    }
}

/// Per-request middleware: correlation id, identity, and the API cache header.
pub async fn identify(State(app): State<AppRef>, mut req: Request, next: Next) -> Response {
    let cid = req
        .headers()
        .get("X-Cr-Correlation-Id")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .map(|u| u.to_string())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    CORRELATION_ID
        .scope(cid, async move {
            let auth = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let mut resp = match app.identify(auth.as_deref()) {
                Ok(caller) => {
                    req.extensions_mut().insert(caller);
                    next.run(req).await
                }
                Err(e) => e.into_response(),
            };
            resp.headers_mut()
                .entry(header::CACHE_CONTROL)
                .or_insert(HeaderValue::from_static("private, no-cache"));
            resp
        })
        .await
}

/// Current TOTP code of a base32 secret (SHA-1, 6 digits, 30 s).
pub fn totp_code(secret: &str) -> String {
    totp(secret)
        .and_then(|t| t.generate_current().ok())
        .unwrap_or_default()
}

/// Check a TOTP code with ±1 step skew, like `pquerna/otp`'s `Validate`.
pub fn totp_valid(secret: &str, code: &str) -> bool {
    totp(secret)
        .and_then(|t| t.check_current(code.trim()).ok())
        .unwrap_or(false)
}

fn totp(secret: &str) -> Option<totp_rs::TOTP> {
    let bytes = totp_rs::Secret::Encoded(secret.to_uppercase())
        .to_bytes()
        .ok()?;
    Some(totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
    ))
}

/// Expiry of a pending 2FA login.
pub fn two_fa_expiry(now: DateTime<Utc>) -> DateTime<Utc> {
    now + chrono::Duration::seconds(600)
}
