//! Thumbnails through the provider and the disk cache, against the sandbox over HTTP.

mod common;

use cirrus_core::thumb_cache::ThumbCache;
use cirrus_sandbox::SandboxConfig;
use common::*;

fn showcase() -> SandboxConfig {
    SandboxConfig {
        demo_media: true,
        ..SandboxConfig::default()
    }
}

const PHOTOS: [&str; 7] = [
    "Aqua.jpg",
    "Fresh Flower.png",
    "Green Meadow.jpg",
    "Lady Bird.jpg",
    "Rain Drops.jpg",
    "Storm.jpg",
    "Yellow Flower.jpg",
];

#[tokio::test]
async fn provider_fetches_a_jpeg_and_none_for_text() {
    let e = env(showcase()).await;
    let (_, p) = e.signed_in().await;
    assert!(p.capabilities().thumbnails);
    let photo = p
        .resolve_path("/Showcase/Photos/Lady Bird.jpg")
        .await
        .unwrap();
    let jpeg = p.thumbnail(&photo).await.unwrap().expect("a thumbnail");
    assert_eq!(&jpeg[..3], &[0xFF, 0xD8, 0xFF], "JPEG magic");
    let text = p.resolve_path("/Welcome.txt").await.unwrap();
    assert_eq!(p.thumbnail(&text).await.unwrap(), None);
    let folder = p.resolve_path("/Showcase").await.unwrap();
    assert_eq!(p.thumbnail(&folder).await.unwrap(), None);
}

#[tokio::test]
async fn a_hit_makes_no_request_and_no_thumbnail_is_remembered() {
    let e = env(showcase()).await;
    let (id, p) = e.signed_in().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = ThumbCache::open(dir.path(), 64 << 20, 4).unwrap();
    let photo = p.resolve_path("/Showcase/Photos/Storm.jpg").await.unwrap();
    let text = p.resolve_path("/Welcome.txt").await.unwrap();

    let before = e.sandbox.fault_stats().requests;
    let first = cache.get(p.as_ref(), &id, &photo, "v1").await.unwrap();
    assert!(first.is_some());
    assert_eq!(cache.get(p.as_ref(), &id, &text, "v1").await.unwrap(), None);
    let after_misses = e.sandbox.fault_stats().requests;
    assert!(after_misses > before, "misses went to the server");

    for _ in 0..5 {
        assert_eq!(
            cache.get(p.as_ref(), &id, &photo, "v1").await.unwrap(),
            first
        );
        assert_eq!(cache.get(p.as_ref(), &id, &text, "v1").await.unwrap(), None);
    }
    assert_eq!(
        e.sandbox.fault_stats().requests,
        after_misses,
        "hits (and remembered 'no thumbnail') make no request"
    );

    // Reopened from disk (the next run): still hits.
    let reopened = ThumbCache::open(dir.path(), 64 << 20, 4).unwrap();
    assert_eq!(reopened.len(), 2);
    assert_eq!(
        reopened.get(p.as_ref(), &id, &photo, "v1").await.unwrap(),
        first
    );
    assert_eq!(
        reopened.get(p.as_ref(), &id, &text, "v1").await.unwrap(),
        None
    );
    assert_eq!(e.sandbox.fault_stats().requests, after_misses);

    // A new version is a new key: fetched again.
    assert!(
        cache
            .get(p.as_ref(), &id, &photo, "v2")
            .await
            .unwrap()
            .is_some()
    );
    assert!(e.sandbox.fault_stats().requests > after_misses);
}

#[tokio::test]
async fn eviction_keeps_the_cap_and_drops_the_least_recently_used() {
    let e = env(showcase()).await;
    let (id, p) = e.signed_in().await;
    let dir = tempfile::tempdir().unwrap();
    let cap = 60 * 1024;
    let cache = ThumbCache::open(dir.path(), cap, 2).unwrap();
    let mut refs = Vec::new();
    for name in PHOTOS {
        let r = p
            .resolve_path(&format!("/Showcase/Photos/{name}"))
            .await
            .unwrap();
        assert!(
            cache.get(p.as_ref(), &id, &r, "v").await.unwrap().is_some(),
            "{name}"
        );
        // Keep the first photo warm: it must survive eviction.
        cache
            .get(p.as_ref(), &id, &refs.first().unwrap_or(&r).clone(), "v")
            .await
            .unwrap();
        refs.push(r);
        assert!(
            cache.total_bytes() <= cap,
            "{} > {cap}",
            cache.total_bytes()
        );
    }
    assert!(cache.len() < PHOTOS.len(), "something was evicted");
    let on_disk: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(on_disk <= cap, "{on_disk} bytes on disk");
    // The warm one is still a hit; the second photo (cold, early) is gone.
    let before = e.sandbox.fault_stats().requests;
    cache.get(p.as_ref(), &id, &refs[0], "v").await.unwrap();
    assert_eq!(e.sandbox.fault_stats().requests, before);
    cache.get(p.as_ref(), &id, &refs[1], "v").await.unwrap();
    assert!(e.sandbox.fault_stats().requests > before);
}

#[tokio::test]
async fn at_most_the_permitted_requests_in_flight() {
    // 1 permit and 20 parallel misses for different files: all answered, the server never
    // sees more than one thumbnail request at a time (checked through added latency: with
    // one permit the total time is at least n × latency).
    let e = env(SandboxConfig {
        faults: cirrus_sandbox::faults::FaultConfig {
            latency: std::time::Duration::from_millis(50),
            ..Default::default()
        },
        ..showcase()
    })
    .await;
    let (id, p) = e.signed_in().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = ThumbCache::open(dir.path(), 64 << 20, 1).unwrap();
    let mut refs = Vec::new();
    for name in PHOTOS {
        refs.push(
            p.resolve_path(&format!("/Showcase/Photos/{name}"))
                .await
                .unwrap(),
        );
    }
    let started = std::time::Instant::now();
    let all =
        futures::future::join_all(refs.iter().map(|r| cache.get(p.as_ref(), &id, r, "v"))).await;
    assert!(all.iter().all(|r| matches!(r, Ok(Some(_)))));
    // Each miss is two requests (thumb URL, then the image), each delayed 50 ms.
    let floor = std::time::Duration::from_millis(50 * 2 * PHOTOS.len() as u64);
    assert!(
        started.elapsed() >= floor,
        "{:?} < {floor:?}",
        started.elapsed()
    );
}
