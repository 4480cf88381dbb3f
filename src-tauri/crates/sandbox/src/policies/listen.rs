//! Serving a provider listener (slave node, object store, OneDrive) under the sandbox's fault
//! injection, so injected failures, drops and simulated restarts reach those connections too.

use std::sync::Arc;

use axum::Router;
use axum::http::Method;
use tokio::net::TcpListener;
use tokio::task::AbortHandle;

use crate::faults::{ConnHandle, FaultLayer, FaultListener, FaultTarget, Faults};

/// Fault class of a request to an object store: uploads (`PUT` parts/fragments) are `Part`,
/// reads are `Download`, the rest (multipart create/complete/abort, `HEAD` size checks made
/// by the master, upload-status queries) only see `drop_rate`.
pub fn classify_storage(method: &Method, path: &str) -> FaultTarget {
    // A form upload (`POST /{bucket}`, COS on Cloudreve 3) carries the file like a part.
    let form_upload =
        *method == Method::POST && path.trim_end_matches('/') == format!("/{}", super::s3::BUCKET);
    if *method == Method::PUT || form_upload {
        FaultTarget::Part
    } else if *method == Method::GET {
        FaultTarget::Download
    } else {
        FaultTarget::Other
    }
}

/// Bind 127.0.0.1 on a random port; the caller learns the address before serving starts.
pub async fn bind() -> anyhow::Result<TcpListener> {
    Ok(TcpListener::bind(("127.0.0.1", 0)).await?)
}

/// Serve `router` on `listener` behind `layer`, through a [`FaultListener`] of `faults`.
pub fn spawn(
    listener: TcpListener,
    router: Router,
    faults: Arc<Faults>,
    layer: FaultLayer,
    what: &'static str,
) -> AbortHandle {
    let service = router
        .layer(layer)
        .into_make_service_with_connect_info::<ConnHandle>();
    let listener = FaultListener::new(listener, faults);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, service).await {
            tracing::error!("{what} listener error: {e}");
        }
    })
    .abort_handle()
}
