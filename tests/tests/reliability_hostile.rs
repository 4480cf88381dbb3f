//! Hostile servers: a corpus of bad responses (malformed JSON, wrong types, negative or
//! absurd sizes, huge strings, HTML, deep nesting) on the listing, stat, upload-session and
//! download-URL routes must give typed errors without panics or hangs; listings with names
//! like `../x`, NUL, RTL override or HTML must download only inside the target folder.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use cirrus_core::provider::{ListOptions, Provider, RemoteRef, UploadRequest};
use cirrus_core::transfer::{ConflictPolicy, ItemState};
use cirrus_core::{Error, ErrorKind};
use cirrus_sandbox::SandboxConfig;
use cirrus_tests::files_below;
use cirrus_tests::hostile::{Answer, Hostile, Rule};

fn json(body: impl Into<Vec<u8>>) -> Answer {
    Answer::Canned {
        status: 200,
        content_type: "application/json",
        body: body.into(),
    }
}

/// The corpus: `(name, answer)`. Every one must be refused with a typed error.
fn corpus() -> Vec<(&'static str, Answer)> {
    let huge = "A".repeat(8 << 20);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    vec![
        ("truncated JSON", json(r#"{"code":0,"data":{"files":[{"#)),
        ("not JSON", json("hello")),
        ("empty body", json("")),
        ("null data", json(r#"{"code":0,"data":null}"#)),
        ("code as string", json(r#"{"code":"0","data":{}}"#)),
        (
            "files as string",
            json(r#"{"code":0,"data":{"files":"nope","session_id":7}}"#),
        ),
        (
            "absurd float size",
            json(
                r#"{"code":0,"data":{"files":[{"type":0,"name":"a","size":1e300,"path":"cloudreve://my/a"}],"size":1e300,"session_id":"s","chunk_size":-1,"urls":[{"url":1e300}]}}"#,
            ),
        ),
        (
            "negative chunk size",
            json(r#"{"code":0,"data":{"session_id":"s","chunk_size":-5,"files":-1,"urls":-1}}"#),
        ),
        (
            "huge error message",
            json(format!(r#"{{"code":40001,"msg":"{huge}"}}"#)),
        ),
        ("deep nesting", json(deep)),
        (
            "HTML page with 200",
            Answer::Canned {
                status: 200,
                content_type: "text/html",
                body: b"<html><body><h1>Welcome to nginx!</h1></body></html>".to_vec(),
            },
        ),
        (
            "HTML 502 from a proxy",
            Answer::Canned {
                status: 502,
                content_type: "text/html",
                body: b"<html><head><title>502 Bad Gateway</title></head></html>".to_vec(),
            },
        ),
        (
            "script in error message",
            json(r#"{"code":50000,"msg":"<script>alert(1)</script>\u0000\u202e"}"#),
        ),
    ]
}

/// Runs `call` in its own task so a panic is caught and reported, with a time limit.
async fn must_refuse<F, T>(case: &str, route: &str, call: F) -> Error
where
    F: std::future::Future<Output = cirrus_core::Result<T>> + Send + 'static,
    T: Send + std::fmt::Debug + 'static,
{
    let joined = tokio::time::timeout(Duration::from_secs(30), tokio::spawn(call))
        .await
        .unwrap_or_else(|_| panic!("{route} / {case}: hung"));
    match joined {
        Err(j) => panic!("{route} / {case}: panicked: {j}"),
        Ok(Ok(v)) => panic!("{route} / {case}: accepted: {v:?}"),
        Ok(Err(e)) => e,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_response_is_a_typed_error() {
    let sandbox = cirrus_sandbox::Sandbox::start(SandboxConfig::default())
        .await
        .unwrap();
    let hostile = Hostile::start(sandbox.base_url()).await.unwrap();
    let env = common::env_at(&hostile.base_url(), sandbox).await;
    let p: Arc<dyn Provider> = env.provider.clone();
    let file = RemoteRef::new("cloudreve://my/Welcome.txt");
    let root = p.root();
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    let routes = [
        (Method::GET, "/api/v4/file"),
        (Method::GET, "/api/v4/file/info"),
        (Method::PUT, "/api/v4/file/upload"),
        (Method::POST, "/api/v4/file/url"),
    ];
    for (case, answer) in corpus() {
        for (method, path) in &routes {
            hostile.set_rules(vec![Rule {
                method: method.clone(),
                path: path.to_string(),
                answer: answer.clone(),
            }]);
            let (p, root, file) = (p.clone(), root.clone(), file.clone());
            let e = match *path {
                "/api/v4/file" => {
                    must_refuse(case, path, async move {
                        p.list(&root, &ListOptions::default(), None).await
                    })
                    .await
                }
                "/api/v4/file/info" => {
                    must_refuse(case, path, async move { p.stat(&file).await }).await
                }
                "/api/v4/file/upload" => {
                    let req = UploadRequest {
                        parent: root,
                        name: "new.bin".into(),
                        size: 10,
                        modified_ms: None,
                        mime: None,
                        overwrite: false,
                        want_client_encryption: true,
                        keep_both: false,
                        md5: None,
                    };
                    must_refuse(case, path, async move { p.begin_upload(&req).await }).await
                }
                _ => {
                    must_refuse(case, path, async move {
                        p.download_url(&file).await.map(|u| u.to_string())
                    })
                    .await
                }
            };
            // Typed: a known kind, and a message a user can read (bounded, no raw page).
            assert!(
                e.message().len() < 4096,
                "{path} / {case}: message too long"
            );
            *kinds.entry(format!("{:?}", e.kind())).or_default() += 1;
            assert_ne!(e.kind(), ErrorKind::SignInAgain, "{path} / {case}: {e:?}");
        }
    }
    eprintln!(
        "{} refusals by kind: {kinds:?}",
        corpus().len() * routes.len()
    );
    // Sanity: the proxy itself is transparent once the rules are gone.
    hostile.set_rules(vec![]);
    assert!(
        p.list(&p.root(), &ListOptions::default(), None)
            .await
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_never_escape_the_target_folder() {
    let sandbox = cirrus_sandbox::Sandbox::start(SandboxConfig::default())
        .await
        .unwrap();
    let names = [
        "../../escape.txt",
        "..",
        "/etc/passwd",
        "a\0b.txt",
        "\u{202e}txt.exe",
        "<img src=x onerror=alert(1)>.html",
        "..\\..\\win.txt",
        "CON",
        ".",
    ];
    for i in 0..names.len() {
        sandbox
            .seed_file_with_content(
                cirrus_sandbox::demo::EMAIL,
                &format!("/evil/f{i}.bin"),
                100 + i as u64,
                i as u64,
            )
            .unwrap();
    }
    let hostile = Hostile::start(sandbox.base_url()).await.unwrap();
    let env = common::env_at(&hostile.base_url(), sandbox).await;
    hostile.set_rules(vec![Rule {
        method: Method::GET,
        path: "/api/v4/file".into(),
        answer: Answer::RenameListing(names.iter().map(|s| s.to_string()).collect()),
    }]);
    let jail = env.dir.path().join("jail");
    let out = jail.join("target");
    std::fs::create_dir_all(&out).unwrap();
    let folder = env
        .provider
        .stat(&RemoteRef::new("cloudreve://my/evil"))
        .await
        .unwrap();
    let engine = env.engine(common::patient_retry(), 3);
    engine
        .enqueue_download(&folder, &out, ConflictPolicy::Ask)
        .unwrap();
    common::idle_within(&engine, Duration::from_secs(120)).await;
    let items = engine.list().unwrap();
    assert!(
        items.iter().all(|i| i.state.is_finished()),
        "unfinished: {items:#?}"
    );
    let written = files_below(&jail);
    assert!(!written.is_empty(), "nothing downloaded: {items:#?}");
    for f in &written {
        assert!(f.starts_with(out.join("evil")), "escaped: {}", f.display());
        let name = f.file_name().unwrap().to_string_lossy();
        assert!(
            !name.contains('\0') && !name.contains('\u{202e}'),
            "{name:?}"
        );
    }
    let done = items
        .iter()
        .filter(|i| i.state == ItemState::Completed)
        .count();
    eprintln!(
        "{} files written, {done} items completed: {written:?}",
        written.len()
    );
}
