//! Routing on the decoded path, as Go's `net/http` and Gin do by default.
//!
//! Go parses `GET /api/v3/directory%2Fa%20b` into `URL.Path = "/api/v3/directory/a b"` and Gin
//! routes on that (its `UseRawPath` is off in Cloudreve), so an escaped slash is a real
//! separator. Clients rely on it: the PyPI `cloudreve` 1.0 SDK lists a folder with the whole
//! path percent-encoded after `/directory`. axum routes on the raw path, so this rewrites the
//! request path first: decoded once, then re-escaped only where a URI needs it, so the path
//! extractors' own single decoding yields exactly Go's `URL.Path` segments.

use axum::Router;
use axum::extract::Request;
use axum::http::Uri;
use axum::http::uri::PathAndQuery;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, percent_encode};
use tower::ServiceExt;

/// What must stay escaped in a path after decoding: `%` itself, delimiters and what a URI
/// cannot carry raw (non-ASCII is always escaped).
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// The URI with its path decoded Go's way (query untouched); `None` when nothing changes.
pub fn decoded_uri(uri: &Uri) -> Option<Uri> {
    let raw = uri.path();
    if !raw.contains('%') {
        return None;
    }
    let bytes: Vec<u8> = percent_decode_str(raw).collect();
    let path = percent_encode(&bytes, PATH).to_string();
    if path == raw {
        return None;
    }
    let pq = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(PathAndQuery::try_from(pq).ok()?);
    Uri::from_parts(parts).ok()
}

/// `router` behind the rewrite: every request is routed on its decoded path.
pub fn route_decoded(router: Router) -> Router {
    let svc = router.map_request(|mut req: Request| {
        if let Some(uri) = decoded_uri(req.uri()) {
            *req.uri_mut() = uri;
        }
        req
    });
    Router::new().fallback_service(svc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> String {
        let u: Uri = s.parse().unwrap();
        decoded_uri(&u).map_or_else(|| u.to_string(), |x| x.to_string())
    }

    #[test]
    fn escaped_slashes_become_separators_and_the_rest_decodes_once() {
        assert_eq!(d("/api/v3/directory%2Fa%2Fb"), "/api/v3/directory/a/b");
        assert_eq!(d("/api/v3/directory%2F"), "/api/v3/directory/");
        // A space stays escaped (a URI cannot carry it raw), and so does a literal `%`:
        // `%2541` is the name `%41`, which the path extractor decodes once more into `%41`.
        assert_eq!(d("/d%2Fa%20b"), "/d/a%20b");
        assert_eq!(d("/d/%2541"), "/d/%2541");
        assert_eq!(d("/d/%E4%B8%AD?x=%2F"), "/d/%E4%B8%AD?x=%2F");
        assert_eq!(d("/plain/path?q=1"), "/plain/path?q=1");
    }
}
