//! `GET /file/thumb` and the showcase part of the demo drive, over HTTP.

mod common;

use cirrus_sandbox::SandboxConfig;
use common::{Env, demo, enc};

async fn thumb(env: &Env, uri: &str) -> serde_json::Value {
    env.get(&format!("/file/thumb?uri={}", enc(uri))).await
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn photo_gets_a_small_jpeg_and_the_same_one_again() {
    let env = demo(SandboxConfig::default()).await;
    let uri = "cloudreve://my/big.png";
    assert_eq!(env.write(uri, &png(1600, 900)).await["code"], 0);
    let v = thumb(&env, uri).await;
    assert_eq!(v["code"], 0, "{v}");
    let url = v["data"]["url"].as_str().unwrap().to_string();
    assert!(v["data"]["expires"].is_string());
    let resp = env.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    let bytes = resp.bytes().await.unwrap();
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg).unwrap();
    // 1600×900 fits 400×300 at 400×225: the aspect ratio is kept.
    assert_eq!((img.width(), img.height()), (400, 225));
    // A second request hands out the stored thumbnail (same entity in the URL).
    let again = thumb(&env, uri).await;
    let path = |u: &str| u.split('?').next().unwrap().to_string();
    assert_eq!(path(again["data"]["url"].as_str().unwrap()), path(&url));
    // Versions are untouched: the thumbnail is not one of the file's entities.
    let info = env
        .get(&format!("/file/info?uri={}&extended=true", enc(uri)))
        .await;
    assert_eq!(
        info["data"]["extended_info"]["entities"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn no_thumbnail_is_40077_and_disables_the_file() {
    let env = demo(SandboxConfig::default()).await;
    // The demo tree's sunset.jpg is six bytes of JPEG header: not decodable.
    let v = thumb(&env, "cloudreve://my/Photos/sunset.jpg").await;
    assert_eq!(v["code"], 40077, "{v}");
    let info = env
        .get(&format!(
            "/file/info?uri={}",
            enc("cloudreve://my/Photos/sunset.jpg")
        ))
        .await;
    assert!(
        info["data"]["metadata"].get("thumb:disabled").is_some(),
        "{info}"
    );
    // A text file, a folder and a missing file.
    assert_eq!(
        thumb(&env, "cloudreve://my/Welcome.txt").await["code"],
        40077
    );
    assert_eq!(thumb(&env, "cloudreve://my/Photos").await["code"], 40077);
    assert_ne!(thumb(&env, "cloudreve://my/nope.jpg").await["code"], 0);
    // Anonymous callers are refused.
    let anon = common::start(SandboxConfig::default()).await;
    assert_eq!(
        thumb(&anon, "cloudreve://my/Welcome.txt").await["code"],
        401
    );
    // The site announces what it can thumbnail.
    let site = env.get("/site/config/thumb").await;
    assert!(
        site["data"]["thumb_exts"]
            .as_array()
            .unwrap()
            .contains(&"jpg".into())
    );
}

#[tokio::test]
async fn showcase_seeds_photos_media_and_a_large_folder() {
    let env = demo(SandboxConfig {
        demo_media: true,
        ..SandboxConfig::default()
    })
    .await;
    let v = env.list("cloudreve://my/Showcase/Photos", "").await;
    let names = Env::names(&v);
    assert_eq!(names.len(), 7, "{names:?}");
    for name in &names {
        let v = thumb(&env, &format!("cloudreve://my/Showcase/Photos/{name}")).await;
        assert_eq!(v["code"], 0, "{name}: {v}");
    }
    let v = env.list("cloudreve://my/Showcase", "").await;
    let names = Env::names(&v);
    for want in [
        "Notes.txt",
        "README.md",
        "Cirrus guide.pdf",
        "Bouncing ball.webm",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    let pdf = env
        .download("cloudreve://my/Showcase/Cirrus guide.pdf")
        .await;
    assert!(pdf.starts_with(b"%PDF-"));
    let v = env
        .list("cloudreve://my/Showcase/Large folder", "&page_size=2000")
        .await;
    assert_eq!(Env::names(&v).len(), 2000);
    assert!(v["data"]["pagination"]["next_token"].is_string(), "{v}");
    // The small demo tree is unchanged without the flag.
    let plain = demo(SandboxConfig::default()).await;
    let root = Env::names(&plain.list("cloudreve://my", "").await);
    assert!(!root.iter().any(|n| n == "Showcase"));
}
