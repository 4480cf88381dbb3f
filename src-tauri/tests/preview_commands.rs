//! Previews through the desktop layer against an in-process sandbox: the preview commands over
//! IPC, and the `cirrus-media` scheme's answers (206, Content-Range, the file's bytes, 416,
//! unknown ids) as the WebView would get them; a copy opened in "the default app" whose save is
//! announced once and uploaded as a new version only when asked.

use cirrus_core::preview::MediaStore;
use cirrus_desktop::commands::preview::OpenWith;
use cirrus_desktop::media_preview;
use cirrus_desktop::state::AppState;
use cirrus_sandbox::{Sandbox, SandboxConfig, demo, seed::seeded_bytes};
use serde_json::{Value, json};
use tauri::Manager;
use tauri::http::{Request, Response, header};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;

struct Harness {
    app: tauri::App<MockRuntime>,
    webview: tauri::WebviewWindow<MockRuntime>,
    sandbox: Sandbox,
    dir: tempfile::TempDir,
}

impl Harness {
    fn new() -> Self {
        // SAFETY: nextest runs each test in its own process; set before any thread reads it.
        unsafe { std::env::set_var("CIRRUS_SECRET_STORE", "file") };
        let sandbox = tauri::async_runtime::block_on(Sandbox::start(SandboxConfig::default()))
            .expect("sandbox");
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(dir.path().to_path_buf()).expect("state opens");
        let app = mock_builder()
            .manage(state)
            .manage(MediaStore::new().unwrap())
            .manage(OpenWith::default())
            .invoke_handler(cirrus_desktop::cirrus_handlers!())
            .build(mock_context(noop_assets()))
            .expect("mock app builds");
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("mock window");
        Harness {
            app,
            webview,
            sandbox,
            dir,
        }
    }

    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let req = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.into(),
        };
        get_ipc_response(&self.webview, req).map(|body| body.deserialize::<Value>().unwrap())
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} was rejected: {e}"))
    }

    fn sign_in(&self) -> String {
        let r = self.ok(
            "account_add",
            json!({"serverUrl": self.sandbox.base_url(), "email": demo::EMAIL,
                   "password": demo::PASSWORD, "remember": false}),
        );
        r["account"]["id"].as_str().unwrap().to_string()
    }

    /// The scheme's answer to a GET of `url` with an optional Range.
    fn get(&self, url: &str, range: Option<&str>) -> Response<Vec<u8>> {
        let mut req = Request::builder().uri(url);
        if let Some(r) = range {
            req = req.header(header::RANGE, r);
        }
        let req = req.body(Vec::new()).unwrap();
        tauri::async_runtime::block_on(media_preview::answer(self.app.handle(), &req))
    }
}

fn header_of(r: &Response<Vec<u8>>, name: header::HeaderName) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn the_scheme_answers_ranges_with_206_and_the_files_bytes() {
    let h = Harness::new();
    let size = 300_000u64;
    h.sandbox
        .seed_file_with_content(demo::EMAIL, "/Videos/clip.webm", size, 3)
        .unwrap();
    let data = seeded_bytes(size, 3);
    let account = h.sign_in();
    let p = h.ok(
        "preview_open",
        json!({"accountId": account, "uri": "cloudreve://my/Videos/clip.webm"}),
    );
    assert_eq!(p["kind"], "video");
    assert_eq!(p["size"], size);
    let url = p["url"].as_str().unwrap();
    let id = p["id"].as_str().unwrap();
    assert_eq!(url, format!("cirrus-media://localhost/{id}"));
    assert_eq!(id.len(), 32, "an opaque id, nothing of the path");

    let r = h.get(url, Some("bytes=1000-2999"));
    assert_eq!(r.status(), 206);
    assert_eq!(
        header_of(&r, header::CONTENT_RANGE),
        "bytes 1000-2999/300000"
    );
    assert_eq!(header_of(&r, header::CONTENT_TYPE), "video/webm");
    assert_eq!(header_of(&r, header::ACCEPT_RANGES), "bytes");
    assert_eq!(header_of(&r, header::CONTENT_LENGTH), "2000");
    assert_eq!(&r.body()[..], &data[1000..3000]);

    // What a <video> sends first: an open range; the answer is the whole (small) rest.
    let r = h.get(url, Some("bytes=0-"));
    assert_eq!(r.status(), 206);
    assert_eq!(&r.body()[..], &data[..]);

    let r = h.get(url, Some("bytes=300000-"));
    assert_eq!(r.status(), 416);
    assert_eq!(header_of(&r, header::CONTENT_RANGE), "bytes */300000");

    let r = h.get(
        "cirrus-media://localhost/0123456789abcdef0123456789abcdef",
        None,
    );
    assert_eq!(r.status(), 404);
}

#[test]
fn text_previews_are_capped_and_say_so() {
    let h = Harness::new();
    let big = (1u64 << 20) + 5000;
    h.sandbox
        .seed_file_with_content(demo::EMAIL, "/big.log", big, 9)
        .unwrap();
    let account = h.sign_in();

    let p = h.ok(
        "preview_open",
        json!({"accountId": account, "uri": "cloudreve://my/Welcome.txt"}),
    );
    assert_eq!(p["kind"], "text");
    let t = h.ok("preview_text", json!({"id": p["id"]}));
    assert_eq!(t["text"], "Welcome to the Cirrus sandbox.\n");
    assert_eq!(t["truncated"], false);

    let p = h.ok(
        "preview_open",
        json!({"accountId": account, "uri": "cloudreve://my/big.log"}),
    );
    let t = h.ok("preview_text", json!({"id": p["id"]}));
    assert_eq!(t["truncated"], true);
    let shown = t["text"].as_str().unwrap().chars().count();
    assert!(shown > 0 && shown <= 1 << 20, "{shown} characters");

    // A folder has no preview; an unknown id has expired.
    let e = h
        .call(
            "preview_open",
            json!({"accountId": account, "uri": "cloudreve://my/Documents"}),
        )
        .unwrap_err();
    assert_eq!(e["kind"], "invalidInput");
    let e = h.call("preview_text", json!({"id": "nope"})).unwrap_err();
    assert_eq!(e["kind"], "notFound");
}

fn server_text(h: &Harness, account: &str, uri: &str) -> String {
    let state = h.app.state::<AppState>();
    tauri::async_runtime::block_on(async {
        let p = state.provider(account).await.unwrap();
        let url = p
            .download_url(&cirrus_core::provider::RemoteRef(uri.into()))
            .await
            .unwrap();
        reqwest::get(&url).await.unwrap().text().await.unwrap()
    })
}

#[test]
fn a_saved_copy_is_announced_once_and_uploaded_only_when_asked() {
    use std::sync::{Arc, Mutex};
    use tauri::Listener;
    let h = Harness::new();
    // SAFETY: set before the command that reads it runs; one test per process under nextest.
    unsafe { std::env::set_var(cirrus_desktop::commands::preview::OPEN_WITH_ENV, "true") };
    let account = h.sign_in();
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = seen.clone();
    h.app
        .listen_any(cirrus_desktop::commands::preview::CHANGED_EVENT, move |e| {
            sink.lock()
                .unwrap()
                .push(serde_json::from_str(e.payload()).unwrap());
        });
    cirrus_desktop::commands::preview::start_watching(h.app.handle().clone());

    let uri = "cloudreve://my/Welcome.txt";
    let o = h.ok(
        "open_with_default",
        json!({"accountId": account, "uri": uri, "folderUri": "cloudreve://my"}),
    );
    assert_eq!(o["name"], "Welcome.txt");
    assert_eq!(o["canUploadVersion"], true);
    let id = o["id"].as_str().unwrap().to_string();
    let local = h.dir.path().join("open-with").join(&id).join("Welcome.txt");
    assert_eq!(
        std::fs::read_to_string(&local).unwrap(),
        "Welcome to the Cirrus sandbox.\n"
    );

    // The user saves a change in their editor: announced once, nothing uploaded yet.
    std::fs::write(&local, "Edited in another app.\n").unwrap();
    let wait = |what: &str, mut done: Box<dyn FnMut() -> bool + '_>| {
        let start = std::time::Instant::now();
        while !done() {
            assert!(start.elapsed().as_secs() < 20, "timed out: {what}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    wait(
        "the change event",
        Box::new(|| !seen.lock().unwrap().is_empty()),
    );
    std::thread::sleep(std::time::Duration::from_millis(4500));
    {
        let events = seen.lock().unwrap();
        assert_eq!(events.len(), 1, "announced once: {events:?}");
        assert_eq!(events[0]["id"], id.as_str());
        assert_eq!(events[0]["name"], "Welcome.txt");
    }
    assert_eq!(
        server_text(&h, &account, uri),
        "Welcome to the Cirrus sandbox.\n",
        "never uploaded silently"
    );

    // Accepted: the same file now holds the new content.
    h.ok("open_with_upload", json!({"id": id}));
    wait(
        "the new version on the server",
        Box::new(|| server_text(&h, &account, uri) == "Edited in another app.\n"),
    );
    let e = h
        .call("open_with_upload", json!({"id": "nope"}))
        .unwrap_err();
    assert_eq!(e["kind"], "notFound");
}

/// Audio and video go over loopback HTTP on Linux (WebKitGTK's media player cannot read an
/// app scheme): same ids, same ranged answers, nothing for other hosts or unknown ids.
#[cfg(target_os = "linux")]
#[test]
fn media_elements_get_a_loopback_url_that_answers_ranges() {
    use cirrus_desktop::media_loopback;
    let h = Harness::new();
    let door = media_loopback::start(h.app.handle().clone()).expect("loopback starts");
    h.app.manage(door);
    let size = 200_000u64;
    h.sandbox
        .seed_file_with_content(demo::EMAIL, "/Videos/clip.webm", size, 5)
        .unwrap();
    h.sandbox
        .seed_file_with_content(demo::EMAIL, "/Docs/a.txt", 100, 6)
        .unwrap();
    let data = seeded_bytes(size, 5);
    let account = h.sign_in();
    let p = h.ok(
        "preview_open",
        json!({"accountId": account, "uri": "cloudreve://my/Videos/clip.webm"}),
    );
    let id = p["id"].as_str().unwrap();
    let url = p["url"].as_str().unwrap();
    assert_eq!(url, format!("http://{}/m/{id}", door.addr()));
    assert!(door.addr().ip().is_loopback());
    // Other kinds keep the scheme.
    let t = h.ok(
        "preview_open",
        json!({"accountId": account, "uri": "cloudreve://my/Docs/a.txt"}),
    );
    assert!(t["url"].as_str().unwrap().starts_with("cirrus-media://"));

    tauri::async_runtime::block_on(async {
        let http = reqwest::Client::new();
        let r = http
            .get(url)
            .header("Range", "bytes=5000-9999")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 206);
        assert_eq!(r.headers()["content-range"], "bytes 5000-9999/200000");
        assert_eq!(r.headers()["content-type"], "video/webm");
        assert_eq!(&r.bytes().await.unwrap()[..], &data[5000..10000]);

        // A page that resolved some name to 127.0.0.1 (DNS rebinding) is refused.
        let r = http
            .get(url)
            .header("Host", "evil.example:80")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = http
            .get(format!(
                "http://{}/m/0123456789abcdef0123456789abcdef",
                door.addr()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    });
}
