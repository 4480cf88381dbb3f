//! Body wrappers: throttling to a byte rate, and cutting a body off part-way.

use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures::StreamExt;
use tokio::time::Instant;

/// Deliver `body` at no more than `bps` bytes per second. Frames are split into slices of
/// about 1/20 s so the rate is smooth even for large frames.
pub fn throttle(body: Body, bps: u64) -> Body {
    let slice = (bps / 20).max(512) as usize;
    let frames = body.into_data_stream().flat_map(move |r| {
        let pieces: Vec<Result<Bytes, axum::Error>> = match r {
            Ok(b) => (0..b.len())
                .step_by(slice)
                .map(|i| Ok(b.slice(i..(i + slice).min(b.len()))))
                .collect(),
            Err(e) => vec![Err(e)],
        };
        futures::stream::iter(pieces)
    });
    let s = futures::stream::unfold(
        (Box::pin(frames), Instant::now(), 0u64),
        move |(mut st, start, mut sent)| async move {
            let item = st.next().await?;
            if let Ok(b) = &item {
                sent += b.len() as u64;
                let due = start + Duration::from_secs_f64(sent as f64 / bps as f64);
                tokio::time::sleep_until(due).await;
            }
            Some((item, (st, start, sent)))
        },
    );
    Body::from_stream(s)
}

/// Pass through the first `limit` bytes of `body`, optionally hang for `stall`, then fail
/// the body so the server aborts the connection mid-message.
pub fn cut_after(body: Body, limit: u64, stall: Option<Duration>) -> Body {
    let s = futures::stream::unfold(
        (Box::pin(body.into_data_stream()), 0u64, false),
        move |(mut st, mut sent, done)| async move {
            if done {
                return None;
            }
            if sent < limit
                && let Some(item) = st.next().await
            {
                let b = match item {
                    Ok(b) => b,
                    Err(e) => return Some((Err(e), (st, sent, true))),
                };
                let room = (limit - sent) as usize;
                let b = b.slice(..b.len().min(room));
                sent += b.len() as u64;
                return Some((Ok(b), (st, sent, false)));
            }
            // Without a pause hyper may fail the body before flushing what was already
            // produced, and the client would never see the partial response.
            tokio::time::sleep(stall.unwrap_or(Duration::from_millis(50))).await;
            Some((Err(axum::Error::new(cut_error())), (st, sent, true)))
        },
    );
    Body::from_stream(s)
}

/// The error that aborts a body.
pub fn cut_error() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "connection dropped by fault injection",
    )
}

/// Read and discard a request body (so an early answer is not mistaken for a reset).
pub async fn drain(body: Body) {
    let mut s = body.into_data_stream();
    while let Some(Ok(_)) = s.next().await {}
}

/// Read roughly the first `half` bytes of a request body, then stop.
pub async fn read_some(body: Body, half: u64) {
    let mut s = body.into_data_stream();
    let mut got = 0u64;
    while got < half.max(1) {
        match s.next().await {
            Some(Ok(b)) => got += b.len() as u64,
            _ => break,
        }
    }
}
