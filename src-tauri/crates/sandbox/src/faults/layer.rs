//! The tower layer that injects faults in front of any axum router.

use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use futures::future::BoxFuture;
use tower::{Layer, Service};

use super::body::{cut_after, drain, read_some, throttle};
use super::{ConnHandle, FaultKind, FaultTarget, Faults};

/// Maps a request to the class its fault rate comes from.
pub type Classifier = Arc<dyn Fn(&Method, &str) -> FaultTarget + Send + Sync>;

/// Classification of the main API's routes (and the slave routes that share its listener).
pub fn classify_api(method: &Method, path: &str) -> FaultTarget {
    let p = path.trim_end_matches('/');
    let read = *method == Method::GET || *method == Method::HEAD;
    if let Some(rest) = p.strip_prefix("/api/v4/file/upload/") {
        if *method == Method::POST && rest.split('/').count() == 2 {
            return FaultTarget::Chunk;
        }
    } else if p.starts_with("/api/v4/slave/upload/") && *method == Method::POST {
        return FaultTarget::Chunk;
    } else if p.starts_with("/api/v4/callback/") {
        return FaultTarget::Callback;
    } else if read
        && (p.starts_with("/api/v4/file/content/") || p.starts_with("/api/v4/slave/download/"))
    {
        return FaultTarget::Download;
    }
    FaultTarget::Other
}

/// `tower::Layer` injecting the faults of a shared [`Faults`].
#[derive(Clone)]
pub struct FaultLayer {
    faults: Arc<Faults>,
    classify: Classifier,
}

impl FaultLayer {
    /// A layer for the main API router ([`classify_api`]).
    pub fn new(faults: Arc<Faults>) -> Self {
        Self::with_classifier(faults, classify_api)
    }

    /// A layer where every request belongs to `target` (e.g. a fake S3 endpoint → `Part`).
    pub fn for_target(faults: Arc<Faults>, target: FaultTarget) -> Self {
        Self::with_classifier(faults, move |_, _| target)
    }

    /// A layer with a custom request classifier.
    pub fn with_classifier(
        faults: Arc<Faults>,
        f: impl Fn(&Method, &str) -> FaultTarget + Send + Sync + 'static,
    ) -> Self {
        Self {
            faults,
            classify: Arc::new(f),
        }
    }
}

impl<S> Layer<S> for FaultLayer {
    type Service = FaultService<S>;
    fn layer(&self, inner: S) -> FaultService<S> {
        FaultService {
            inner,
            faults: self.faults.clone(),
            classify: self.classify.clone(),
        }
    }
}

/// The service produced by [`FaultLayer`].
#[derive(Clone)]
pub struct FaultService<S> {
    inner: S,
    faults: Arc<Faults>,
    classify: Classifier,
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn content_length<B>(h: &http::HeaderMap, _: &B) -> Option<u64> {
    h.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

impl<S> Service<Request<Body>> for FaultService<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        // The clone is not ready; keep the ready one for this call (tower's usual dance).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let faults = self.faults.clone();
        let target = (self.classify)(req.method(), req.uri().path());
        Box::pin(async move {
            // Counted before the round trip: the request is already on its way.
            let _in_flight = faults.enter(target);
            let cfg = faults.config();
            faults.stats_mut().requests += 1;
            if !cfg.latency.is_zero() {
                faults.stats_mut().delayed += 1;
                tokio::time::sleep(cfg.latency).await;
            }
            // The simulated line's round trip: the request travels up and the answer back.
            let rtt = faults.link().profile().rtt;
            if !rtt.is_zero() {
                tokio::time::sleep(rtt).await;
            }
            let conn = req
                .extensions()
                .get::<ConnectInfo<ConnHandle>>()
                .map(|c| c.0.clone());
            let uploads = !matches!(*req.method(), Method::GET | Method::HEAD);
            let req_len = content_length(req.headers(), &());
            let decision = faults.decide(target);
            // Request-side faults never reach the handler, so nothing is stored.
            match decision {
                Some(FaultKind::ServerError) => {
                    let n = faults.stats().events.len() as u64;
                    drain(req.into_body()).await;
                    let code = faults.server_error_status(target, n);
                    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
                    return Ok(plain(status, "injected server error"));
                }
                Some(FaultKind::TooManyRequests) => {
                    drain(req.into_body()).await;
                    let mut r = plain(StatusCode::TOO_MANY_REQUESTS, "injected rate limit");
                    let secs = cfg.retry_after.as_secs().max(1).to_string();
                    if let Ok(v) = HeaderValue::from_str(&secs) {
                        r.headers_mut().insert(header::RETRY_AFTER, v);
                    }
                    return Ok(r);
                }
                Some(FaultKind::Drop) if uploads && cfg.drops_reach_handler => {
                    let half = req_len.unwrap_or(0) / 2;
                    let req = req.map(|b| cut_after(b, half, Some(std::time::Duration::ZERO)));
                    // Whatever the handler answers, the client never sees it.
                    let _ = inner.call(req).await;
                    if let Some(c) = &conn {
                        c.cut();
                    }
                    let mut r = Response::new(cut_after(Body::empty(), 0, None));
                    *r.status_mut() = StatusCode::OK;
                    return Ok(r);
                }
                Some(k @ (FaultKind::Drop | FaultKind::Stall)) if uploads => {
                    if k == FaultKind::Drop {
                        read_some(req.into_body(), req_len.unwrap_or(0) / 2).await;
                    } else {
                        drain(req.into_body()).await;
                        tokio::time::sleep(cfg.stall).await;
                    }
                    if let Some(c) = &conn {
                        c.cut();
                    }
                    // Without a FaultListener the failing body makes hyper abort instead.
                    let mut r = Response::new(cut_after(Body::empty(), 0, None));
                    *r.status_mut() = StatusCode::OK;
                    return Ok(r);
                }
                _ => {}
            }
            let req = if cfg.bandwidth_bps > 0 {
                faults.stats_mut().throttled += 1;
                req.map(|b| throttle(b, cfg.bandwidth_bps))
            } else {
                req
            };
            let resp = inner.call(req).await?;
            let resp = match decision {
                Some(k @ (FaultKind::Drop | FaultKind::Stall)) => {
                    let half = content_length(resp.headers(), &()).unwrap_or(0) / 2;
                    let stall = (k == FaultKind::Stall).then_some(cfg.stall);
                    resp.map(|b| cut_after(b, half, stall))
                }
                _ => resp,
            };
            Ok(if cfg.bandwidth_bps > 0 {
                resp.map(|b| throttle(b, cfg.bandwidth_bps))
            } else {
                resp
            })
        })
    }
}
