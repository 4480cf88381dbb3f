//! The simulated line (`SandboxConfig::link`): every request waits one round trip, and one
//! connection or eight together move bytes at the line's rate (±5 %) in each direction.

mod common;

use std::time::{Duration, Instant};

use cirrus_sandbox::SandboxConfig;
use cirrus_sandbox::demo as demo_user;
use cirrus_sandbox::faults::LinkProfile;
use common::*;
use serde_json::json;

/// 16 Mbit/s = 2 MB/s: a few MiB take about two seconds, long enough to measure.
const MBIT: f64 = 16.0;
const TOTAL: usize = 4 << 20;

fn linked(rtt_ms: u64, mbit: f64) -> SandboxConfig {
    SandboxConfig {
        chunk_size: 8 << 20,
        link: LinkProfile::new(rtt_ms, mbit),
        ..SandboxConfig::default()
    }
}

fn within_5_percent(bytes: usize, took: Duration, what: &str) {
    let rate = bytes as f64 / took.as_secs_f64();
    let want = LinkProfile::new(0, MBIT).bytes_per_sec() as f64;
    let ratio = rate / want;
    eprintln!("{what}: {rate:.0} B/s = {ratio:.3} × the line");
    assert!(
        (0.95..=1.05).contains(&ratio),
        "{what}: {rate:.0} B/s is {ratio:.3} × the line's {want:.0} B/s"
    );
}

/// Downloads `TOTAL` bytes split over `n` files fetched at once (one connection each).
async fn download_rate(n: usize) {
    let env = demo(linked(0, MBIT)).await;
    let mut urls = Vec::new();
    for i in 0..n {
        let path = format!("/d/f{i}.bin");
        env.sb
            .seed_file_with_content(demo_user::EMAIL, &path, (TOTAL / n) as u64, i as u64)
            .unwrap();
        urls.push(env.url_of(&format!("cloudreve://my{path}"), true).await);
    }
    let t = Instant::now();
    let got = futures::future::join_all(urls.into_iter().map(|u| {
        let http = reqwest::Client::new();
        async move {
            http.get(u)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .len()
        }
    }))
    .await;
    let took = t.elapsed();
    assert_eq!(got.iter().sum::<usize>(), TOTAL);
    within_5_percent(TOTAL, took, &format!("{n} download(s)"));
}

/// Uploads `TOTAL` bytes as `n` one-chunk files sent at once (one connection each).
async fn upload_rate(n: usize) {
    let env = demo(linked(0, MBIT)).await;
    let mut sessions = Vec::new();
    for i in 0..n {
        let v = env
            .put(
                "/file/upload",
                json!({"uri": format!("cloudreve://my/u{i}.bin"), "size": TOTAL / n}),
            )
            .await;
        sessions.push(v["data"]["session_id"].as_str().unwrap().to_string());
    }
    let body = vec![7u8; TOTAL / n];
    let t = Instant::now();
    let answers = futures::future::join_all(sessions.iter().map(|s| {
        let http = reqwest::Client::new();
        let url = env.api(&format!("/file/upload/{s}/0"));
        let token = env.token.clone().unwrap();
        let body = body.clone();
        async move {
            let r = http.post(url).bearer_auth(token).body(body).send().await;
            r.unwrap().json::<serde_json::Value>().await.unwrap()
        }
    }))
    .await;
    let took = t.elapsed();
    assert!(answers.iter().all(|v| v["code"] == 0), "{answers:?}");
    within_5_percent(TOTAL, took, &format!("{n} upload(s)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_download_runs_at_the_line_rate() {
    download_rate(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_downloads_share_the_line_rate() {
    download_rate(8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_upload_runs_at_the_line_rate() {
    upload_rate(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_uploads_share_the_line_rate() {
    upload_rate(8).await;
}

#[tokio::test]
async fn every_request_waits_one_round_trip() {
    let env = start(linked(80, 0.0)).await;
    for _ in 0..3 {
        let t = Instant::now();
        let v = env.get("/site/ping").await;
        let took = t.elapsed();
        assert_eq!(v["code"], 0, "{v}");
        assert!(
            (Duration::from_millis(80)..Duration::from_millis(200)).contains(&took),
            "{took:?}"
        );
    }
    // Without a line the same request does not wait.
    let plain = start(SandboxConfig::default()).await;
    let t = Instant::now();
    plain.get("/site/ping").await;
    assert!(t.elapsed() < Duration::from_millis(80), "{:?}", t.elapsed());
}
