//! The desktop command layer driven through IPC exactly as the webview drives it: a mock Tauri
//! app with the real handler list and `AppState`, camelCase JSON arguments, and `{kind, message}`
//! rejections, against an in-process sandbox server.
//!
//! Commands that need a display (native dialogs, the clipboard) are not exercised here.

use std::path::Path;
use std::time::{Duration, Instant};

use cirrus_desktop::state::{AppState, lock};
use cirrus_sandbox::{Sandbox, SandboxConfig, demo};
use serde_json::{Value, json};
use tauri::Manager;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;

/// A mock app over a temp data dir and a running sandbox.
struct Harness {
    app: tauri::App<MockRuntime>,
    webview: tauri::WebviewWindow<MockRuntime>,
    sandbox: Sandbox,
    dir: tempfile::TempDir,
}

fn app_over(dir: &Path) -> (tauri::App<MockRuntime>, tauri::WebviewWindow<MockRuntime>) {
    let state = AppState::open(dir.to_path_buf()).expect("state opens");
    let app = mock_builder()
        .manage(state)
        .manage(cirrus_desktop::commands::drag::DragOut::default())
        .invoke_handler(cirrus_desktop::cirrus_handlers!())
        .build(mock_context(noop_assets()))
        .expect("mock app builds");
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock window");
    (app, webview)
}

impl Harness {
    fn new(config: SandboxConfig) -> Self {
        // SAFETY: nextest runs each test in its own process; set before any thread reads it.
        unsafe { std::env::set_var("CIRRUS_SECRET_STORE", "file") };
        // The sandbox lives on Tauri's own runtime so it keeps serving while a command runs.
        let sandbox = tauri::async_runtime::block_on(Sandbox::start(config)).expect("sandbox");
        let dir = tempfile::tempdir().unwrap();
        let (app, webview) = app_over(dir.path());
        Harness {
            app,
            webview,
            sandbox,
            dir,
        }
    }

    fn state(&self) -> tauri::State<'_, AppState> {
        self.app.state::<AppState>()
    }

    /// Invokes `cmd` with `args`; the resolved value or the rejection.
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

    /// The rejection of a call that must fail, checked to be a `{kind, message}` object.
    fn err(&self, cmd: &str, args: Value) -> Value {
        let e = self
            .call(cmd, args)
            .err()
            .unwrap_or_else(|| panic!("{cmd} should have been rejected"));
        assert!(e["kind"].is_string(), "{cmd}: {e}");
        assert!(
            !e["message"].as_str().unwrap_or_default().is_empty(),
            "{cmd}: {e}"
        );
        e
    }

    /// Signs in the demo user and returns the account id.
    fn sign_in(&self) -> String {
        let r = self.ok(
            "account_add",
            json!({
                "serverUrl": self.sandbox.base_url(),
                "email": demo::EMAIL,
                "password": demo::PASSWORD,
                "remember": false,
            }),
        );
        assert_eq!(r["status"], "signedIn", "{r}");
        r["account"]["id"].as_str().unwrap().to_string()
    }

    fn names(page: &Value) -> Vec<String> {
        page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    }

    fn list_root(&self, account: &str) -> Value {
        self.ok(
            "browse_list",
            json!({"accountId": account, "uri": "cloudreve://my", "orderBy": "name",
                   "direction": "asc", "offset": 0, "limit": 500}),
        )
    }

    /// Polls `check` every 50 ms until it returns a value, for at most 20 s.
    fn wait_for<T>(&self, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(v) = check() {
                return v;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out: {what}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn sign_in_with_password_and_two_factor_and_wrong_password() {
    let h = Harness::new(SandboxConfig::default());
    let base = h.sandbox.base_url();

    let e = h.err(
        "account_add",
        json!({"serverUrl": base, "email": demo::EMAIL, "password": "nope", "remember": false}),
    );
    assert_eq!(e["kind"], "wrongPassword");
    assert!(
        h.ok("accounts_list", json!({}))
            .as_array()
            .unwrap()
            .is_empty()
    );

    let id = h.sign_in();
    let r = h.ok(
        "account_add",
        json!({"serverUrl": base, "email": demo::TOTP_EMAIL, "password": demo::TOTP_PASSWORD,
               "remember": true}),
    );
    assert_eq!(r["status"], "needs2fa", "{r}");
    let pending = r["pendingId"].as_str().unwrap();
    let e = h.err(
        "account_2fa",
        json!({"pendingId": pending, "code": "000000"}),
    );
    assert_eq!(e["kind"], "twoFactorWrong", "{e}");
    let code = demo::totp_code(demo::TOTP_SECRET);
    // Codes are trimmed: a pasted code with spaces still works.
    let a = h.ok(
        "account_2fa",
        json!({"pendingId": pending, "code": format!(" {code} ")}),
    );
    assert_eq!(a["email"], demo::TOTP_EMAIL);
    let second = a["id"].as_str().unwrap().to_string();

    let list = h.ok("accounts_list", json!({}));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list.iter().filter(|a| a["active"] == true).count(), 1);
    assert!(list.iter().all(|a| a["serverUrl"].is_string()));

    h.ok("account_switch", json!({"accountId": id}));
    let list = h.ok("accounts_list", json!({}));
    let active: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["active"] == true)
        .collect();
    assert_eq!(active[0]["id"], id.as_str());
    let e = h.err("account_rename", json!({"accountId": id, "label": "   "}));
    assert_eq!(e["kind"], "invalidInput");
    h.ok(
        "account_rename",
        json!({"accountId": id, "label": " Home "}),
    );
    let list = h.ok("accounts_list", json!({}));
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|a| a["label"] == "Home")
    );

    h.ok("account_remove", json!({"accountId": second}));
    assert_eq!(
        h.ok("accounts_list", json!({})).as_array().unwrap().len(),
        1
    );
    // A removed account's id is no longer accepted.
    let e = h.err("capacity", json!({"accountId": second}));
    assert_eq!(e["kind"], "invalidInput", "{e}");
}

#[test]
fn browse_windows_over_a_five_thousand_entry_folder() {
    let h = Harness::new(SandboxConfig::default());
    h.sandbox.seed_files(demo::EMAIL, "/big", 5_000);
    let account = h.sign_in();
    let rows = |offset: u32, limit: u32, direction: &str| {
        h.ok(
            "browse_list",
            json!({"accountId": account, "uri": "cloudreve://my/big", "orderBy": "name",
                   "direction": direction, "offset": offset, "limit": limit}),
        )
    };

    // The first screen needs one server page only.
    let first = rows(0, 50, "asc");
    assert_eq!(first["entries"].as_array().unwrap().len(), 50);
    assert_eq!(first["loaded"], 1000);
    assert_eq!(first["complete"], false);
    assert_eq!(first["total"], Value::Null);
    let names = Harness::names(&first);
    assert!(names.windows(2).all(|w| w[0] < w[1]), "ascending");

    // The middle comes from the same window, loading what is needed.
    let middle = rows(2_500, 100, "asc");
    assert_eq!(middle["entries"].as_array().unwrap().len(), 100);
    assert_eq!(middle["loaded"], 3000);
    assert_eq!(middle["complete"], false);

    // The end: a short window, the whole folder loaded, the total known.
    let end = rows(4_990, 50, "asc");
    assert_eq!(end["entries"].as_array().unwrap().len(), 10);
    assert_eq!(end["complete"], true);
    assert_eq!(end["loaded"], 5000);
    assert_eq!(end["total"], 5000);
    let past = rows(5_000, 50, "asc");
    assert!(past["entries"].as_array().unwrap().is_empty());
    assert_eq!(past["total"], 5000);

    // One call is capped, whatever the UI asks for.
    let all = rows(0, 100_000, "asc");
    assert_eq!(all["entries"].as_array().unwrap().len(), 2000);

    // Descending is a separate window, in the opposite order.
    let desc = rows(0, 1, "desc");
    assert_eq!(Harness::names(&desc)[0], Harness::names(&end)[9]);

    let e = h.err(
        "browse_list",
        json!({"accountId": account, "uri": "cloudreve://my/big", "orderBy": "colour",
               "direction": "asc", "offset": 0, "limit": 10}),
    );
    assert_eq!(e["kind"], "invalidInput");
    let e = h.err(
        "browse_list",
        json!({"accountId": account, "uri": "cloudreve://my/none", "orderBy": "name",
               "direction": "asc", "offset": 0, "limit": 10}),
    );
    assert_eq!(e["kind"], "notFound");
    let e = h.err(
        "browse_search",
        json!({"accountId": account, "uri": "cloudreve://my", "query": "  "}),
    );
    assert_eq!(e["kind"], "invalidInput");
}

#[test]
fn mkdir_rename_delete_trash_restore_and_capacity() {
    let h = Harness::new(SandboxConfig::default());
    let account = h.sign_in();
    let before = Harness::names(&h.list_root(&account));

    let made = h.ok(
        "files_mkdir",
        json!({"accountId": account, "parentUri": "cloudreve://my", "name": "  Projects  "}),
    );
    assert_eq!(made["name"], "Projects");
    assert_eq!(made["kind"], "folder");
    // The cached root listing was dropped: the new folder shows without a refresh.
    assert!(Harness::names(&h.list_root(&account)).contains(&"Projects".to_string()));
    let e = h.err(
        "files_mkdir",
        json!({"accountId": account, "parentUri": "cloudreve://my", "name": "a/b"}),
    );
    assert!(
        matches!(e["kind"].as_str(), Some("invalidName" | "invalidInput")),
        "{e}"
    );

    let renamed = h.ok(
        "files_rename",
        json!({"accountId": account, "uri": made["uri"], "newName": "Plans 2025"}),
    );
    assert_eq!(renamed["name"], "Plans 2025");
    let names = Harness::names(&h.list_root(&account));
    assert!(names.contains(&"Plans 2025".to_string()) && !names.contains(&"Projects".to_string()));

    let r = h.ok(
        "files_delete",
        json!({"accountId": account, "uris": [renamed["uri"], "cloudreve://my/missing"], "permanent": false}),
    );
    let failed = r["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{r}");
    assert_eq!(failed[0]["kind"], "notFound");
    assert_eq!(Harness::names(&h.list_root(&account)), before);

    let trash = h.ok(
        "browse_trash",
        json!({"accountId": account, "offset": 0, "limit": 50}),
    );
    let entry = trash["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Plans 2025")
        .unwrap_or_else(|| panic!("in the trash: {trash}"))
        .clone();
    assert_eq!(trash["complete"], true);
    let r = h.ok(
        "files_restore",
        json!({"accountId": account, "uris": [entry["uri"]]}),
    );
    assert!(r["failed"].as_array().unwrap().is_empty(), "{r}");
    assert!(Harness::names(&h.list_root(&account)).contains(&"Plans 2025".to_string()));
    let trash = h.ok(
        "browse_trash",
        json!({"accountId": account, "offset": 0, "limit": 50}),
    );
    assert!(Harness::names(&trash).iter().all(|n| n != "Plans 2025"));

    let info = h.ok(
        "file_info",
        json!({"accountId": account, "uri": "cloudreve://my/Welcome.txt"}),
    );
    assert_eq!(info["size"], 31);
    let c = h.ok("capacity", json!({"accountId": account}));
    assert!(c["total"].as_u64().unwrap() > 0);
    assert!(c["used"].as_u64().unwrap() > 0);
    assert!(c["used"].as_u64() <= c["total"].as_u64());
}

#[test]
fn shares_and_server_tasks() {
    let h = Harness::new(SandboxConfig::default());
    let account = h.sign_in();

    let e = h.err(
        "shares_create",
        json!({"accountId": account, "uri": "cloudreve://my/Documents", "password": "a b"}),
    );
    assert_eq!(e["kind"], "invalidInput");
    let s = h.ok(
        "shares_create",
        json!({"accountId": account, "uri": "cloudreve://my/Documents", "password": " abc123 ",
               "expireSeconds": 3600, "downloads": 5}),
    );
    assert_eq!(s["passwordProtected"], true, "{s}");
    assert_eq!(s["password"], "abc123");
    assert_eq!(s["name"], "Documents");
    assert_eq!(s["remainDownloads"], 5);
    assert!(s["expires"].is_string());
    assert!(
        s["url"]
            .as_str()
            .unwrap()
            .starts_with(&h.sandbox.base_url())
    );
    // Optional arguments may be left out entirely.
    let open = h.ok(
        "shares_create",
        json!({"accountId": account, "uri": "cloudreve://my/Welcome.txt"}),
    );
    assert_eq!(open["passwordProtected"], false);
    assert_eq!(open["password"], Value::Null);
    let e = h.err(
        "shares_create",
        json!({"accountId": account, "uri": "cloudreve://my/nope"}),
    );
    assert_eq!(e["kind"], "notFound");

    let list = h.ok("shares_list", json!({"accountId": account}));
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    h.ok(
        "shares_delete",
        json!({"accountId": account, "id": s["id"]}),
    );
    let list = h.ok("shares_list", json!({"accountId": account}));
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], open["id"]);
    let e = h.err(
        "shares_delete",
        json!({"accountId": account, "id": s["id"]}),
    );
    assert_eq!(e["kind"], "notFound");

    let t = h.ok(
        "tasks_archive",
        json!({"accountId": account, "uris": ["cloudreve://my/Documents", "cloudreve://my/Welcome.txt"],
               "dstFolderUri": "cloudreve://my", "name": " docs.zip "}),
    );
    assert_eq!(t["type"], "create_archive");
    assert!(
        t["summary"]
            .as_str()
            .unwrap()
            .contains("cloudreve://my/docs.zip"),
        "{t}"
    );
    let id = t["id"].as_str().unwrap().to_string();
    let done = h.wait_for("archive task completes", || {
        let list = h.ok(
            "tasks_list",
            json!({"accountId": account, "category": "general"}),
        );
        list.as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id.as_str() && x["status"] == "completed")
            .cloned()
    });
    assert_eq!(done["progress"], 1.0);
    assert_eq!(done["error"], Value::Null);
    let zip = h.ok(
        "file_info",
        json!({"accountId": account, "uri": "cloudreve://my/docs.zip"}),
    );
    assert!(zip["size"].as_u64().unwrap() > 0);
    let downloads = h.ok(
        "tasks_list",
        json!({"accountId": account, "category": "downloaded"}),
    );
    assert!(downloads.as_array().unwrap().is_empty());
    let e = h.err(
        "tasks_list",
        json!({"accountId": account, "category": "bogus"}),
    );
    assert_eq!(e["kind"], "invalidInput");
    let e = h.err(
        "tasks_remote_download",
        json!({"accountId": account, "urls": ["  ", ""], "dstUri": "cloudreve://my"}),
    );
    assert_eq!(e["kind"], "invalidInput");
    let e = h.err("tasks_cancel", json!({"accountId": account, "id": "xyz"}));
    assert_eq!(e["kind"], "invalidInput");
}

#[test]
fn settings_are_validated_persisted_and_reloaded() {
    let h = Harness::new(SandboxConfig::default());
    let defaults = h.ok("settings_get", json!({}));
    assert_eq!(defaults["parallelTransfers"], 3);
    assert_eq!(defaults["conflictPolicy"], "ask");
    assert!(!h.dir.path().join("settings.json").exists());

    let with = |patch: Value| {
        let mut s = defaults.clone();
        for (k, v) in patch.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    };
    for bad in [
        json!({"parallelTransfers": 0}),
        json!({"parallelTransfers": 17}),
        json!({"uploadLimitKbps": 0}),
        json!({"downloadFolder": "  "}),
    ] {
        let e = h.err("settings_set", json!({"settings": with(bad.clone())}));
        assert_eq!(e["kind"], "invalidInput", "{bad}: {e}");
    }
    // Values outside the enums never reach the command: Tauri rejects the arguments.
    let e = h
        .call(
            "settings_set",
            json!({"settings": with(json!({"theme": "purple"}))}),
        )
        .unwrap_err();
    assert!(e.as_str().unwrap().contains("settings"), "{e}");
    // Nothing was saved or applied.
    assert!(!h.dir.path().join("settings.json").exists());
    assert_eq!(h.ok("settings_get", json!({})), defaults);

    let downloads = h.dir.path().join("dl");
    let wanted = with(json!({
        "parallelTransfers": 5,
        "uploadLimitKbps": 256,
        "downloadLimitKbps": null,
        "downloadFolder": downloads.to_string_lossy(),
        "conflictPolicy": "keepBoth",
        "theme": "dark",
        "language": "zh-CN",
    }));
    assert_eq!(
        h.ok("settings_set", json!({"settings": wanted})),
        Value::Null
    );
    assert_eq!(h.ok("settings_get", json!({})), wanted);
    let saved: Value =
        serde_json::from_slice(&std::fs::read(h.dir.path().join("settings.json")).unwrap())
            .unwrap();
    assert_eq!(saved, wanted);
    // A new app over the same data dir starts with them.
    let (_app, webview) = app_over(h.dir.path());
    let again = get_ipc_response(
        &webview,
        InvokeRequest {
            cmd: "settings_get".into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(json!({})),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.into(),
        },
    )
    .unwrap()
    .deserialize::<Value>()
    .unwrap();
    assert_eq!(again, wanted);
}

/// Reads a drive file through the app's own provider.
fn server_bytes(h: &Harness, account: &str, uri: &str) -> Vec<u8> {
    let state = h.state();
    tauri::async_runtime::block_on(async {
        let p = state.provider(account).await.unwrap();
        let url = p
            .download_url(&cirrus_core::provider::RemoteRef(uri.into()))
            .await
            .unwrap();
        let r = reqwest::get(&url).await.unwrap();
        assert_eq!(r.status(), 200, "{uri}");
        r.bytes().await.unwrap().to_vec()
    })
}

#[test]
fn dropped_files_upload_with_conflict_answers() {
    let h = Harness::new(SandboxConfig::default());
    let account = h.sign_in();
    let local = tempfile::tempdir().unwrap();
    let a = local.path().join("a.txt");
    std::fs::write(&a, b"first version").unwrap();
    let folder = local.path().join("photos");
    std::fs::create_dir_all(folder.join("2024")).unwrap();
    std::fs::write(folder.join("one.jpg"), vec![7u8; 3000]).unwrap();
    std::fs::write(folder.join("2024/two.jpg"), vec![9u8; 5000]).unwrap();

    // Nothing dropped: no plan.
    let none = h.ok(
        "transfers_plan_drop",
        json!({"accountId": account, "parentUri": "cloudreve://my"}),
    );
    assert_eq!(none, Value::Null);

    // An OS drop leaves its paths in the state; the UI only asks for a plan of "the last drop".
    *lock(&h.state().dropped) = vec![a.clone(), folder.clone()];
    let plan = h.ok(
        "transfers_plan_drop",
        json!({"accountId": account, "parentUri": "cloudreve://my"}),
    );
    assert_eq!(plan["items"], 2);
    assert_eq!(plan["bytes"], 13 + 3000 + 5000);
    assert!(plan["conflicts"].as_array().unwrap().is_empty(), "{plan}");
    // The drop is used up.
    assert_eq!(
        h.ok(
            "transfers_plan_drop",
            json!({"accountId": account, "parentUri": "cloudreve://my"})
        ),
        Value::Null
    );

    // A wrong answer is refused without losing the plan.
    let plan_id = plan["planId"].as_str().unwrap().to_string();
    let e = h.err(
        "transfers_start_upload",
        json!({"planId": plan_id, "conflict": "ask"}),
    );
    assert_eq!(e["kind"], "invalidInput");
    h.ok(
        "transfers_start_upload",
        json!({"planId": plan_id, "conflict": "keepBoth"}),
    );
    let e = h.err(
        "transfers_start_upload",
        json!({"planId": plan_id, "conflict": "keepBoth"}),
    );
    assert_eq!(e["kind"], "notFound");

    let rows = h.wait_for("both uploads complete", || {
        let rows = h.ok("transfers_list", json!({}));
        let list = rows.as_array().unwrap();
        (list.len() == 2 && list.iter().all(|r| r["state"] == "completed")).then(|| rows.clone())
    });
    let folder_row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "photos")
        .unwrap();
    assert_eq!(folder_row["bytesTotal"], 8000);
    assert_eq!(folder_row["bytesDone"], 8000);
    assert_eq!(folder_row["direction"], "upload");
    assert!(
        folder_row["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{account}:"))
    );
    assert_eq!(
        server_bytes(&h, &account, "cloudreve://my/a.txt"),
        b"first version"
    );
    assert_eq!(
        server_bytes(&h, &account, "cloudreve://my/photos/2024/two.jpg"),
        vec![9u8; 5000]
    );

    // Dropping a.txt again meets the uploaded one: replace it, by a per-name exception.
    std::fs::write(&a, b"second").unwrap();
    *lock(&h.state().dropped) = vec![a.clone()];
    let plan = h.ok(
        "transfers_plan_drop",
        json!({"accountId": account, "parentUri": "cloudreve://my"}),
    );
    let conflicts = plan["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{plan}");
    assert_eq!(conflicts[0]["name"], "a.txt");
    h.ok(
        "transfers_start_upload",
        json!({"planId": plan["planId"], "conflict": "skip",
               "decisions": [{"uri": conflicts[0]["uri"], "conflict": "overwrite"}]}),
    );
    h.wait_for("the replacement completes", || {
        let rows = h.ok("transfers_list", json!({}));
        (rows.as_array().unwrap().len() == 3
            && rows
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["state"] == "completed"))
        .then_some(())
    });
    assert_eq!(
        server_bytes(&h, &account, "cloudreve://my/a.txt"),
        b"second"
    );

    // Ids the UI could not have produced are refused as input.
    for bad in ["nonsense", "acc:not-a-number"] {
        let e = h.err("transfers_pause", json!({"ids": [bad]}));
        assert_eq!(e["kind"], "invalidInput", "{bad}");
    }
    let e = h.err(
        "transfers_start_upload",
        json!({"planId": "plan-0-0", "conflict": "skip"}),
    );
    assert_eq!(e["kind"], "notFound");
    h.ok("transfers_clear_finished", json!({}));
    assert!(
        h.ok("transfers_list", json!({}))
            .as_array()
            .unwrap()
            .is_empty()
    );
}

fn account_row(h: &Harness, id: &str) -> Option<Value> {
    h.ok("accounts_list", json!({}))
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .cloned()
}

#[test]
fn sign_out_keeps_the_account_and_its_paused_transfers_and_remove_forgets_both() {
    // A slow link, so the upload is still running when the user signs out.
    let h = Harness::new(SandboxConfig {
        faults: cirrus_sandbox::faults::FaultConfig {
            bandwidth_bps: 32 * 1024,
            ..Default::default()
        },
        ..SandboxConfig::default()
    });
    let account = h.sign_in();
    let row = account_row(&h, &account).unwrap();
    assert_eq!(row["signedIn"], true, "{row}");
    assert_eq!(row["encrypted"], false, "the sandbox is plain http: {row}");
    assert_eq!(row["sandbox"], false);

    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("slow.bin");
    std::fs::write(&file, vec![3u8; 512 * 1024]).unwrap();
    *lock(&h.state().dropped) = vec![file];
    let plan = h.ok(
        "transfers_plan_drop",
        json!({"accountId": account, "parentUri": "cloudreve://my"}),
    );
    h.ok(
        "transfers_start_upload",
        json!({"planId": plan["planId"], "conflict": "keepBoth"}),
    );
    let id = h.wait_for("the upload runs", || {
        let rows = h.ok("transfers_list", json!({}));
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["state"] == "running")
            .map(|r| r["id"].as_str().unwrap().to_string())
    });

    h.ok("account_sign_out", json!({"accountId": account}));
    let row = account_row(&h, &account).expect("signing out keeps the account");
    assert_eq!(row["signedIn"], false, "{row}");
    assert_eq!(row["pendingTransfers"], 1, "{row}");
    let state_of = |h: &Harness| {
        h.ok("transfers_list", json!({}))
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id.as_str())
            .map(|r| r["state"].as_str().unwrap().to_string())
    };
    assert_eq!(state_of(&h).as_deref(), Some("paused"));
    let e = h.err("capacity", json!({"accountId": account}));
    assert_eq!(e["kind"], "signInAgain", "{e}");

    // Signing in again brings back the same account; the transfer waits, paused, to be resumed.
    assert_eq!(h.sign_in(), account);
    assert_eq!(account_row(&h, &account).unwrap()["signedIn"], true);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(state_of(&h).as_deref(), Some("paused"));
    h.ok("transfers_resume", json!({"ids": [id]}));
    h.wait_for("the resumed upload completes", || {
        (state_of(&h).as_deref() == Some("completed")).then_some(())
    });

    // Removing the account forgets it and its transfer list.
    h.ok("account_remove", json!({"accountId": account}));
    assert!(account_row(&h, &account).is_none());
    assert!(
        h.ok("transfers_list", json!({}))
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn an_address_without_scheme_signs_in_over_http_and_is_marked_unencrypted() {
    let h = Harness::new(SandboxConfig::default());
    let typed = h.sandbox.base_url().replace("http://", "");
    let r = h.ok(
        "account_add",
        json!({"serverUrl": typed, "email": demo::EMAIL, "password": demo::PASSWORD,
               "remember": false}),
    );
    assert_eq!(r["status"], "signedIn", "{r}");
    assert_eq!(r["account"]["serverUrl"], h.sandbox.base_url());
    assert_eq!(r["account"]["encrypted"], false);
    // Typed https is never downgraded; the failure is a sentence, not rustls' wording.
    let e = h.err(
        "account_add",
        json!({"serverUrl": format!("https://{typed}"), "email": demo::EMAIL,
               "password": demo::PASSWORD, "remember": false}),
    );
    assert_eq!(e["kind"], "tls", "{e}");
    let message = e["message"].as_str().unwrap();
    assert!(message.contains("plain http"), "{message}");
    assert!(!message.contains("InvalidContentType"), "{message}");
}

#[test]
fn shares_are_edited_with_the_unchanged_values_kept() {
    let h = Harness::new(SandboxConfig::default());
    let account = h.sign_in();
    let s = h.ok(
        "shares_create",
        json!({"accountId": account, "uri": "cloudreve://my/Welcome.txt", "password": "abc123",
               "downloads": 5}),
    );
    let id = s["id"].as_str().unwrap().to_string();
    assert_eq!(s["limitsEditable"], true, "{s}");
    assert_eq!(
        s["passwordEditable"], false,
        "Cloudreve v4 cannot change it: {s}"
    );
    assert_eq!(s["expires"], Value::Null);

    // New expiry and limit; the password is sent back unchanged.
    let edited = h.ok(
        "shares_edit",
        json!({"accountId": account, "id": id, "password": "abc123", "expireSeconds": 7200,
               "downloads": 2}),
    );
    assert_eq!(edited["remainDownloads"], 2, "{edited}");
    assert!(edited["expires"].is_string(), "{edited}");
    let listed = h.ok("shares_list", json!({"accountId": account}));
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["remainDownloads"], 2, "{row}");
    assert_eq!(row["password"], "abc123", "{row}");
    assert!(row["expires"].is_string(), "{row}");

    // Lifting both limits.
    let open = h.ok(
        "shares_edit",
        json!({"accountId": account, "id": id, "password": "abc123"}),
    );
    assert_eq!(open["remainDownloads"], Value::Null, "{open}");
    assert_eq!(open["expires"], Value::Null, "{open}");

    // A new password is refused in words, and nothing changes.
    let e = h.err(
        "shares_edit",
        json!({"accountId": account, "id": id, "password": "other1", "downloads": 9}),
    );
    assert_eq!(e["kind"], "unsupported", "{e}");
    h.ok("shares_delete", json!({"accountId": account, "id": id}));
    let e = h.err(
        "shares_edit",
        json!({"accountId": account, "id": id, "password": "abc123"}),
    );
    assert_eq!(e["kind"], "notFound", "{e}");
}

#[test]
fn the_sandbox_account_comes_back_after_a_restart() {
    // SAFETY: nextest runs each test in its own process; set before any thread reads it.
    unsafe { std::env::set_var("CIRRUS_SECRET_STORE", "file") };
    let dir = tempfile::tempdir().unwrap();
    let (first_id, url) = {
        let (app, webview) = app_over(dir.path());
        let h = Probe { app, webview };
        let a = h.ok("sandbox_start", json!({}));
        assert_eq!(a["sandbox"], true, "{a}");
        let listed = h.ok("accounts_list", json!({}));
        assert_eq!(listed[0]["sandbox"], true, "{listed}");
        // The app quits: its in-process sandbox stops with it.
        let sandbox = h.app.state::<AppState>().sandbox.blocking_lock().take();
        drop(sandbox.expect("the sandbox ran"));
        (
            a["id"].as_str().unwrap().to_string(),
            a["serverUrl"].clone(),
        )
    };
    // A new run over the same data dir: the old sandbox is gone with the old process.
    let (app, webview) = app_over(dir.path());
    let h = Probe { app, webview };
    let listed = h.ok("accounts_list", json!({}));
    assert_eq!(listed[0]["id"], first_id.as_str());
    assert_eq!(
        listed[0]["sandbox"], true,
        "the UI must know to start it: {listed}"
    );
    let a = h.ok("sandbox_start", json!({}));
    assert_eq!(a["id"], first_id.as_str(), "same port, same account: {a}");
    assert_eq!(a["serverUrl"], url);
    let page = h.ok(
        "browse_list",
        json!({"accountId": first_id, "uri": "cloudreve://my", "orderBy": "name",
               "direction": "asc", "offset": 0, "limit": 50}),
    );
    assert!(
        Harness::names(&page).iter().any(|n| n == "Welcome.txt"),
        "{page}"
    );
}

#[test]
fn the_secret_store_is_reported_with_the_fallback_reason() {
    // SAFETY: nextest runs each test in its own process; set before any thread reads it.
    unsafe {
        std::env::remove_var("CIRRUS_SECRET_STORE");
        std::env::set_var(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/cirrus-test-bus",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let (app, webview) = app_over(dir.path());
    let h = Probe { app, webview };
    let info = h.ok("secret_store_info", json!({}));
    assert_eq!(info["backend"], "file", "{info}");
    let reason = info["fallbackReason"].as_str().expect("a reason");
    assert!(reason.contains("secrets.json"), "{reason}");
    assert_eq!(info["noticeDue"], true);
    h.ok("secret_notice_dismiss", json!({}));
    assert_eq!(h.ok("secret_store_info", json!({}))["noticeDue"], false);
    // Shown once: a new run over the same data dir does not show it again.
    drop(h);
    let (app, webview) = app_over(dir.path());
    let h = Probe { app, webview };
    assert_eq!(h.ok("secret_store_info", json!({}))["noticeDue"], false);
}

/// A mock app without a sandbox of its own, for tests that manage their own data dir.
struct Probe {
    app: tauri::App<MockRuntime>,
    webview: tauri::WebviewWindow<MockRuntime>,
}

impl Probe {
    fn ok(&self, cmd: &str, args: Value) -> Value {
        let req = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.into(),
        };
        get_ipc_response(&self.webview, req)
            .map(|body| body.deserialize::<Value>().unwrap())
            .unwrap_or_else(|e| panic!("{cmd} was rejected: {e}"))
    }
}

#[test]
fn search_pages_like_a_folder_and_says_when_the_server_capped_it() {
    let h = Harness::new(SandboxConfig::default());
    h.sandbox.seed_files(demo::EMAIL, "/A/B", 2_500);
    let account = h.sign_in();
    let search = |offset: u32, limit: u32| {
        h.ok(
            "browse_search",
            json!({"accountId": account, "uri": "cloudreve://my", "query": "file-",
                   "offset": offset, "limit": limit}),
        )
    };
    let first = search(0, 200);
    assert_eq!(first["entries"].as_array().unwrap().len(), 200);
    assert_eq!(first["complete"], false, "more hits than one server page");
    assert_eq!(first["limited"], false);
    // Hits carry their whole address: the UI shows the folder from it.
    let uri = first["entries"][0]["uri"].as_str().unwrap();
    assert!(uri.starts_with("cloudreve://my/A/B/file-"), "{uri}");
    // Past the 2 000 rows one call used to return: the rest arrives on scroll.
    let tail = search(2_400, 200);
    assert_eq!(tail["entries"].as_array().unwrap().len(), 100);
    assert_eq!(tail["total"], 2_500);
    assert_eq!(tail["complete"], true);

    // A server whose folder budget runs out says so, and the page carries it.
    let capped = Harness::new(SandboxConfig {
        max_search_folders: 2,
        ..SandboxConfig::default()
    });
    let account = capped.sign_in();
    let page = capped.ok(
        "browse_search",
        json!({"accountId": account, "uri": "cloudreve://my", "query": "."}),
    );
    assert_eq!(page["limited"], true, "{page}");
    assert_eq!(page["complete"], true, "{page}");
}

#[test]
fn running_tasks_show_phase_counters_and_an_estimate() {
    let h = Harness::new(SandboxConfig {
        task_step_delay: Duration::from_millis(400),
        ..SandboxConfig::default()
    });
    let account = h.sign_in();
    let t = h.ok(
        "tasks_archive",
        json!({"accountId": account, "uris": ["cloudreve://my/Documents"],
               "dstFolderUri": "cloudreve://my", "name": "docs.zip"}),
    );
    let id = t["id"].as_str().unwrap().to_string();
    let mut seen_counts = None;
    let mut seen_eta = false;
    let done = h.wait_for("archive task completes", || {
        let list = h.ok(
            "tasks_list",
            json!({"accountId": account, "category": "general"}),
        );
        let task = list
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id.as_str())
            .cloned()
            .expect("the task is listed");
        if task["phase"] == "compress_files"
            && let Some(c) = task["counters"]
                .as_array()
                .and_then(|c| c.iter().find(|c| c["name"] == "archive_count"))
        {
            assert_eq!(c["unit"], "items", "{task}");
            seen_counts = Some(c["total"].as_u64().unwrap());
            seen_eta |= task["etaSeconds"].as_u64().is_some_and(|s| s > 0);
            assert!(task["progress"].as_f64().is_some(), "{task}");
        }
        (task["status"] == "completed").then_some(task)
    });
    // The server counted Documents' files while compressing.
    let files = h.ok(
        "browse_list",
        json!({"accountId": account, "uri": "cloudreve://my/Documents", "orderBy": "name",
               "direction": "asc", "offset": 0, "limit": 100}),
    );
    let files = files["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "file")
        .count() as u64;
    assert!(files > 1);
    assert_eq!(
        seen_counts,
        Some(files),
        "counters were reported while running"
    );
    assert!(seen_eta, "an estimate was given once a rate was known");
    assert_eq!(done["progress"], 1.0);
    assert_eq!(done["etaSeconds"], Value::Null);
}

#[test]
fn a_task_that_ends_unseen_is_announced_once() {
    let h = Harness::new(SandboxConfig {
        task_step_delay: Duration::from_millis(100),
        ..SandboxConfig::default()
    });
    let account = h.sign_in();
    let state = h.state();
    assert!(tauri::async_runtime::block_on(cirrus_desktop::task_watch::poll(&state)).is_empty());
    let t = h.ok(
        "tasks_archive",
        json!({"accountId": account, "uris": ["cloudreve://my/Welcome.txt"],
               "dstFolderUri": "cloudreve://my", "name": "w.zip"}),
    );
    // Nobody lists the tasks (the window is hidden): the watch notices the end by itself.
    let ended = h.wait_for("the watch sees the task end", || {
        let e = tauri::async_runtime::block_on(cirrus_desktop::task_watch::poll(&state));
        (!e.is_empty()).then_some(e)
    });
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].0, account);
    assert_eq!(ended[0].1.id, t["id"].as_str().unwrap());
    let (title, body) = cirrus_desktop::task_watch::notification_text(&ended[0].1, false);
    assert_eq!(title, "Server task finished");
    assert!(body.contains("cloudreve://my/w.zip"), "{body}");
    assert_eq!(
        cirrus_desktop::task_watch::notification_text(&ended[0].1, true).0,
        "服务器任务已完成"
    );
    // Announced once; nothing is left to watch.
    assert!(tauri::async_runtime::block_on(cirrus_desktop::task_watch::poll(&state)).is_empty());
    assert!(lock(&state.task_watch).is_empty());
}

#[test]
fn a_finished_batch_raises_one_notification_not_one_per_file() {
    let h = Harness::new(SandboxConfig::default());
    let account = h.sign_in();
    let local = tempfile::tempdir().unwrap();
    let folder = local.path().join("batch");
    std::fs::create_dir_all(folder.join("sub")).unwrap();
    std::fs::write(folder.join("one.txt"), b"one").unwrap();
    std::fs::write(folder.join("two.txt"), b"two").unwrap();
    std::fs::write(folder.join("sub/three.txt"), b"three").unwrap();
    let mut events = h.state().hub.subscribe();

    *lock(&h.state().dropped) = vec![folder];
    let plan = h.ok(
        "transfers_plan_drop",
        json!({"accountId": account, "parentUri": "cloudreve://my"}),
    );
    h.ok(
        "transfers_start_upload",
        json!({"planId": plan["planId"], "conflict": "keepBoth"}),
    );
    h.wait_for("the batch completes", || {
        let rows = h.ok("transfers_list", json!({}));
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "batch" && r["state"] == "completed")
            .then_some(())
    });
    // What the app would have shown: every event through the notification rule.
    let mut finished_files = 0;
    let mut shown = Vec::new();
    while let Ok(e) = events.try_recv() {
        let Some(e) = e.event.item() else { continue };
        if e.parent_id.is_some() && e.state == cirrus_core::transfer::ItemState::Completed {
            finished_files += 1;
        }
        shown.extend(cirrus_desktop::watcher::transfer_notification(e, false));
    }
    assert!(finished_files >= 3, "the files inside finished one by one");
    assert_eq!(
        shown,
        vec![("Transfer finished".to_string(), "batch".to_string())]
    );
}

#[test]
fn an_upload_cut_off_by_quitting_resumes_at_the_next_start() {
    let h = Harness::new(SandboxConfig::default());
    // Slow enough to be caught half-way.
    h.sandbox.set_faults(cirrus_sandbox::faults::FaultConfig {
        bandwidth_bps: 128 * 1024,
        ..Default::default()
    });
    let r = h.ok(
        "account_add",
        json!({"serverUrl": h.sandbox.base_url(), "email": demo::EMAIL,
               "password": demo::PASSWORD, "remember": true}),
    );
    let account = r["account"]["id"].as_str().unwrap().to_string();
    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("half.bin");
    let data: Vec<u8> = (0..1_048_576u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, &data).unwrap();
    *lock(&h.state().dropped) = vec![file];
    let plan = h.ok(
        "transfers_plan_drop",
        json!({"accountId": account, "parentUri": "cloudreve://my"}),
    );
    h.ok(
        "transfers_start_upload",
        json!({"planId": plan["planId"], "conflict": "keepBoth"}),
    );
    h.wait_for("the upload is under way", || {
        let rows = h.ok("transfers_list", json!({}));
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "half.bin" && r["state"] == "running")
            .then_some(())
    });
    // Quit: the engines stop where they are, the upload unfinished.
    std::thread::sleep(Duration::from_millis(300));
    tauri::async_runtime::block_on(h.state().hub.shutdown());
    let rows = h.ok("transfers_list", json!({}));
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "half.bin" && r["state"] != "completed"),
        "{rows}"
    );
    h.sandbox.set_faults(Default::default());

    // The next start, over the same data: what `setup` does, then the UI's list.
    let (app2, webview2) = app_over(h.dir.path());
    let state2 = app2.state::<AppState>();
    tauri::async_runtime::block_on(state2.resume_transfers());
    let list = || {
        let req = InvokeRequest {
            cmd: "transfers_list".into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(json!({})),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.into(),
        };
        get_ipc_response(&webview2, req)
            .map(|b| b.deserialize::<Value>().unwrap())
            .unwrap()
    };
    h.wait_for("the upload finishes after the restart", || {
        let rows = list();
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "half.bin" && r["state"] == "completed")
            .then_some(())
    });
    assert_eq!(server_bytes(&h, &account, "cloudreve://my/half.bin"), data);
}

#[test]
fn accounts_report_their_service_capabilities_and_root() {
    let h = Harness::new(SandboxConfig {
        api: cirrus_sandbox::Api::V3,
        ..SandboxConfig::default()
    });
    let id = h.sign_in();
    let row = account_row(&h, &id).expect("listed");
    assert_eq!(row["provider"]["kind"], "cloudreve_v3", "{row}");
    assert_eq!(row["provider"]["name"], "Cloudreve 3", "{row}");
    let caps = &row["capabilities"];
    // What Cloudreve 3.8 lacks, so the UI greys it out instead of failing with "unsupported".
    for lacking in [
        "trash",
        "restore",
        "batchOperations",
        "tasksArchive",
        "tasksExtract",
        "clientEncryption",
    ] {
        assert_eq!(caps[lacking], false, "{lacking}: {caps}");
    }
    for offered in [
        "search",
        "serverSideCopy",
        "shares",
        "sharePasswords",
        "shareLimits",
        "tasksRemoteDownload",
        "webdavAccounts",
    ] {
        assert_eq!(caps[offered], true, "{offered}: {caps}");
    }
    // The root the UI starts browsing at is one this provider understands.
    let root = row["rootUri"].as_str().unwrap().to_string();
    assert!(!root.starts_with("cloudreve://"), "{root}");
    let page = h.ok(
        "browse_list",
        json!({"accountId": id, "uri": root, "orderBy": "name",
               "direction": "asc", "offset": 0, "limit": 500}),
    );
    assert!(page["complete"].as_bool().unwrap(), "{page}");
    // Sign-in from the same screen for a v4 server reports v4's flags.
    let v4 = Harness::new(SandboxConfig::default());
    let v4_id = v4.sign_in();
    let v4_row = account_row(&v4, &v4_id).unwrap();
    assert_eq!(v4_row["provider"]["name"], "Cloudreve 4", "{v4_row}");
    assert_eq!(v4_row["capabilities"]["trash"], true, "{v4_row}");
    assert!(
        v4_row["rootUri"]
            .as_str()
            .unwrap()
            .starts_with("cloudreve://my"),
        "{v4_row}"
    );
    // An unknown service name is refused before anything goes on the wire.
    let e = h.err(
        "account_add",
        json!({"serverUrl": "", "email": "x", "password": "y", "remember": false,
               "provider": "dropbox"}),
    );
    assert_eq!(e["kind"], "invalidInput", "{e}");
}

#[test]
fn a_123pan_developer_account_signs_in_from_the_same_command() {
    let h = Harness::new(SandboxConfig {
        api: cirrus_sandbox::Api::Pan123,
        ..SandboxConfig::default()
    });
    let r = h.ok(
        "account_add",
        json!({"serverUrl": h.sandbox.base_url(), "email": demo::PAN123_CLIENT_ID,
               "password": demo::PAN123_CLIENT_SECRET, "remember": true, "provider": "pan123"}),
    );
    assert_eq!(r["status"], "signedIn", "{r}");
    let account = &r["account"];
    assert_eq!(account["provider"]["kind"], "pan123", "{account}");
    assert_eq!(account["provider"]["name"], "123pan", "{account}");
    let caps = &account["capabilities"];
    assert_eq!(caps["trash"], true, "{caps}");
    assert_eq!(caps["tasksArchive"], false, "{caps}");
    assert_eq!(caps["shareExpiryDays"], json!([1, 7, 30]), "{caps}");
    // The drive's root lists through the same browse command as the other services.
    let id = account["id"].as_str().unwrap();
    let page = h.ok(
        "browse_list",
        json!({"accountId": id, "uri": account["rootUri"], "orderBy": "name",
               "direction": "asc", "offset": 0, "limit": 500}),
    );
    assert!(page["complete"].as_bool().unwrap(), "{page}");
    // A wrong secret is a sign-in error, not a crash.
    let e = h.err(
        "account_add",
        json!({"serverUrl": h.sandbox.base_url(), "email": demo::PAN123_CLIENT_ID,
               "password": "not-the-secret", "remember": false, "provider": "pan123"}),
    );
    assert_ne!(e["kind"], "unsupported", "{e}");
}

#[test]
fn files_handed_over_on_the_command_line_upload_to_the_chosen_folder_which_is_remembered() {
    let h = Harness::new(SandboxConfig::default());
    let account = h.sign_in();
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("a b.txt"), b"from the file manager").unwrap();
    std::fs::create_dir_all(local.path().join("photos")).unwrap();
    std::fs::write(local.path().join("photos/one.jpg"), vec![5u8; 1500]).unwrap();
    assert_eq!(h.ok("upload_with_pending", json!({})), Value::Null);

    // A second start hands over its argv (program name first) and its own working directory.
    let argv: Vec<String> = [
        "/usr/bin/cirrus-desktop",
        "--minimized",
        "a b.txt",
        "./photos",
        "missing.txt",
    ]
    .map(String::from)
    .to_vec();
    cirrus_desktop::launch::receive(h.app.handle(), &argv, local.path());
    let pending = h.ok("upload_with_pending", json!({}));
    assert_eq!(pending["names"], json!(["a b.txt", "photos"]), "{pending}");
    assert_eq!(pending["unusable"], json!(["missing.txt"]));
    assert_eq!(pending["lastFolder"], Value::Null);
    // Only names reach the UI, never the local paths.
    let local_path = local.path().to_string_lossy().to_string();
    assert!(!pending.to_string().contains(&local_path), "{pending}");

    let inbox = h.ok(
        "files_mkdir",
        json!({"accountId": account, "parentUri": "cloudreve://my", "name": "Inbox"}),
    )["uri"]
        .as_str()
        .unwrap()
        .to_string();
    let plan = h.ok(
        "upload_with_plan",
        json!({"accountId": account, "parentUri": inbox}),
    );
    assert_eq!(plan["items"], 2);
    assert_eq!(plan["bytes"], 21 + 1500);
    // The files are used up by the plan.
    assert_eq!(h.ok("upload_with_pending", json!({})), Value::Null);
    h.ok(
        "transfers_start_upload",
        json!({"planId": plan["planId"], "conflict": "keepBoth"}),
    );
    h.wait_for("the upload completes", || {
        let rows = h.ok("transfers_list", json!({}));
        let list = rows.as_array().unwrap();
        (list.len() == 2 && list.iter().all(|r| r["state"] == "completed")).then_some(())
    });
    assert_eq!(
        server_bytes(&h, &account, &format!("{inbox}/a%20b.txt")),
        b"from the file manager"
    );
    assert_eq!(
        server_bytes(&h, &account, &format!("{inbox}/photos/one.jpg")),
        vec![5u8; 1500]
    );

    // The next files default to the folder just used; dismissing forgets them.
    let again = vec!["cirrus-desktop".to_string(), "a b.txt".to_string()];
    cirrus_desktop::launch::receive(h.app.handle(), &again, local.path());
    let pending = h.ok("upload_with_pending", json!({}));
    assert_eq!(
        pending["lastFolder"],
        json!({"accountId": account, "uri": inbox})
    );
    h.ok("upload_with_dismiss", json!({}));
    assert_eq!(h.ok("upload_with_pending", json!({})), Value::Null);
    assert_eq!(
        h.ok(
            "upload_with_plan",
            json!({"accountId": account, "parentUri": inbox})
        ),
        Value::Null
    );

    // A second autostart (`--minimized` alone) hands over nothing.
    let autostart = vec!["cirrus-desktop".to_string(), "--minimized".to_string()];
    cirrus_desktop::launch::receive(h.app.handle(), &autostart, local.path());
    assert_eq!(h.ok("upload_with_pending", json!({})), Value::Null);
}

#[test]
fn the_login_autostart_entry_is_written_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let entry = config.path().join("autostart").join("cirrus.desktop");
    let mut state = AppState::open(dir.path().to_path_buf()).expect("state opens");
    state.autostart_entry = Some(entry.clone());
    let app = mock_builder()
        .manage(state)
        .invoke_handler(cirrus_desktop::cirrus_handlers!())
        .build(mock_context(noop_assets()))
        .expect("mock app builds");
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock window");
    let call = |cmd: &str, args: Value| {
        let req = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.into(),
        };
        get_ipc_response(&webview, req)
            .map(|body| body.deserialize::<Value>().unwrap())
            .unwrap_or_else(|e| panic!("{cmd} was rejected: {e}"))
    };
    assert_eq!(call("autostart_get", json!({})), json!(false));
    call("autostart_set", json!({"enabled": true}));
    assert_eq!(call("autostart_get", json!({})), json!(true));
    let text = std::fs::read_to_string(&entry).unwrap();
    let exe = std::env::current_exe().unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("Exec=") && l.ends_with(" --minimized")),
        "{text}"
    );
    assert!(
        text.contains(exe.file_name().unwrap().to_str().unwrap()),
        "{text}"
    );
    call("autostart_set", json!({"enabled": false}));
    assert!(!entry.exists());
    assert_eq!(call("autostart_get", json!({})), json!(false));
}

#[test]
fn proxy_settings_and_passwords_go_their_separate_ways() {
    let h = Harness::new(SandboxConfig::default());
    let id = h.sign_in();
    // The system proxy is described (this machine has none set in the tests' environment).
    let sys = h.ok("proxy_system_info", json!({}));
    assert!(sys["source"].is_string(), "{sys}");
    // A manual proxy for the app; an account that keeps connecting directly.
    let mut settings = h.ok("settings_get", json!({}));
    assert_eq!(settings["proxy"], json!({"mode": "system"}));
    settings["proxy"] = json!({"mode": "manual", "protocol": "http", "host": "127.0.0.1", "port": 9, "username": "me"});
    settings["accountProxies"] = json!({ id.clone(): {"mode": "none"} });
    h.ok("settings_set", json!({ "settings": settings }));
    assert_eq!(
        h.ok("proxy_password_status", json!({"accountId": null})),
        json!(false)
    );
    h.ok(
        "proxy_password_set",
        json!({"accountId": null, "password": "pr0xy-pw"}),
    );
    assert_eq!(
        h.ok("proxy_password_status", json!({"accountId": null})),
        json!(true)
    );
    let file = std::fs::read_to_string(h.dir.path().join("settings.json")).unwrap();
    assert!(!file.contains("pr0xy-pw"), "no password in settings.json");
    // The account's "no proxy" wins over the app's proxy on a closed port: it still works.
    h.ok("capacity", json!({"accountId": id}));
    // A port 0 proxy is refused with the field named.
    settings["proxy"]["port"] = json!(0);
    let e = h.err("settings_set", json!({ "settings": settings }));
    assert_eq!(e["kind"], "invalidInput", "{e}");
    h.ok(
        "proxy_password_set",
        json!({"accountId": null, "password": null}),
    );
    assert_eq!(
        h.ok("proxy_password_status", json!({"accountId": null})),
        json!(false)
    );
}

#[test]
fn versions_are_listed_downloaded_made_current_and_deleted() {
    use cirrus_sandbox::seed_versions::VERSIONS;
    let h = Harness::new(SandboxConfig::default());
    let account = h.sign_in();
    let uri = "cloudreve://my/Drafts/Proposal.md";
    let list = |h: &Harness| {
        h.ok("versions_list", json!({"accountId": account, "uri": uri}))
            .as_array()
            .unwrap()
            .clone()
    };
    let versions = list(&h);
    assert_eq!(versions.len(), 3, "{versions:?}");
    // Newest first, the newest current; each with its size and date.
    assert_eq!(versions[0]["current"], true);
    assert_eq!(versions[0]["size"], VERSIONS[2].len());
    assert_eq!(versions[2]["size"], VERSIONS[0].len());
    assert!(versions.iter().all(|v| v["createdAt"].is_string()));
    let oldest = versions[2]["id"].as_str().unwrap().to_string();
    let middle = versions[1]["id"].as_str().unwrap().to_string();

    // A download of the oldest goes through the queue into the download folder.
    let downloads = h.dir.path().join("dl");
    let mut settings = h.ok("settings_get", json!({}));
    settings["downloadFolder"] = json!(downloads.to_string_lossy());
    h.ok("settings_set", json!({"settings": settings}));
    h.ok(
        "versions_download",
        json!({"accountId": account, "uri": uri, "version": oldest, "toDefaultFolder": true}),
    );
    let local = downloads.join(format!("Proposal ({oldest}).md"));
    h.wait_for("the version's download", || {
        std::fs::read(&local)
            .ok()
            .filter(|b| b == VERSIONS[0].as_bytes())
    });
    assert!(
        !downloads.join("Proposal.md").exists(),
        "the current content's name is left free"
    );

    // Making it current changes the file's size on the server and in what the command returns.
    let before = h.ok("file_info", json!({"accountId": account, "uri": uri}));
    let entry = h.ok(
        "versions_set_current",
        json!({"accountId": account, "uri": uri, "version": oldest}),
    );
    assert_eq!(entry["size"], VERSIONS[0].len());
    assert_ne!(entry["updatedAt"], before["updatedAt"]);
    assert_eq!(server_bytes(&h, &account, uri), VERSIONS[0].as_bytes());
    let versions = list(&h);
    let current: Vec<_> = versions.iter().filter(|v| v["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], oldest.as_str());

    // The current version cannot be deleted; another one can.
    let e = h.err(
        "versions_delete",
        json!({"accountId": account, "uri": uri, "version": oldest}),
    );
    assert_eq!(e["kind"], "invalidInput", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("current version"),
        "{e}"
    );
    h.ok(
        "versions_delete",
        json!({"accountId": account, "uri": uri, "version": middle}),
    );
    let ids: Vec<_> = list(&h).iter().map(|v| v["id"].clone()).collect();
    assert_eq!(ids.len(), 2);
    assert!(!ids.contains(&json!(middle)));
    // A version that is gone is reported as such, before any download is queued.
    let e = h.err(
        "versions_download",
        json!({"accountId": account, "uri": uri, "version": middle, "toDefaultFolder": true}),
    );
    assert_eq!(e["kind"], "notFound", "{e}");
}

#[test]
fn search_filters_narrow_the_results_and_bad_ones_are_refused() {
    let h = Harness::new(SandboxConfig::default());
    let account = h.sign_in();
    h.ok(
        "files_mkdir",
        json!({"accountId": account, "parentUri": "cloudreve://my", "name": "Proposal notes"}),
    );
    let search = |filters: Value| {
        let page = h.ok(
            "browse_search",
            json!({"accountId": account, "uri": "cloudreve://my", "query": "proposal",
                   "filters": filters}),
        );
        let mut names = Harness::names(&page);
        names.sort();
        names
    };
    assert_eq!(search(Value::Null), ["Proposal notes", "Proposal.md"]);
    assert_eq!(search(json!({"kind": "file"})), ["Proposal.md"]);
    assert_eq!(search(json!({"kind": "folder"})), ["Proposal notes"]);
    assert_eq!(
        search(json!({"kind": "file", "minSize": 1_000_000})),
        Vec::<String>::new()
    );
    assert_eq!(
        search(json!({"kind": "file", "maxSize": 1_000_000, "category": "document"})),
        ["Proposal.md"]
    );
    let e = h.err(
        "browse_search",
        json!({"accountId": account, "uri": "cloudreve://my", "query": "proposal",
               "filters": {"minSize": 10, "maxSize": 5}}),
    );
    assert_eq!(e["kind"], "invalidInput");
}

#[test]
fn a_row_dragged_out_is_staged_through_the_queue_and_handed_over_as_file_uris() {
    let h = Harness::new(SandboxConfig::default());
    let account = h.sign_in();
    let local = tempfile::tempdir().unwrap();
    let a = local.path().join("report.txt");
    std::fs::write(&a, b"quarterly numbers").unwrap();
    *lock(&h.state().dropped) = vec![a];
    let plan = h.ok(
        "transfers_plan_drop",
        json!({"accountId": account, "parentUri": "cloudreve://my"}),
    );
    h.ok(
        "transfers_start_upload",
        json!({"planId": plan["planId"], "conflict": "keepBoth"}),
    );
    h.wait_for("the upload completes", || {
        let rows = h.ok("transfers_list", json!({}));
        (rows[0]["state"] == "completed").then_some(())
    });

    // Tokens are ids, never paths.
    let e = h.err(
        "drag_out_begin",
        json!({"token": "../x", "accountId": account, "uris": []}),
    );
    assert_eq!(e["kind"], "invalidInput");
    h.ok(
        "drag_out_begin",
        json!({"token": "t-1", "accountId": account, "uris": ["cloudreve://my/report.txt"]}),
    );
    // Where no native drag could take over (Wayland), leaving the window stages nothing.
    h.ok("drag_out_pointer", json!({"token": "t-1", "outside": true}));
    assert_eq!(
        h.ok("transfers_list", json!({})).as_array().unwrap().len(),
        1
    );
    // As on X11: another drag's token changes nothing; leaving the window starts the download.
    h.app
        .state::<cirrus_desktop::commands::drag::DragOut>()
        .set_capable();
    h.ok("drag_out_pointer", json!({"token": "t-0", "outside": true}));
    assert_eq!(
        h.ok("transfers_list", json!({})).as_array().unwrap().len(),
        1
    );
    h.ok("drag_out_pointer", json!({"token": "t-1", "outside": true}));
    let rows = h.ok("transfers_list", json!({}));
    let rows = rows.as_array().unwrap();
    assert_eq!(
        rows.len(),
        2,
        "the staging download is a normal transfer row"
    );
    assert!(
        rows.iter()
            .any(|r| r["direction"] == "download" && r["name"] == "report.txt")
    );

    // What a file manager gets when it asks for the drag's text/uri-list.
    let uris = cirrus_desktop::commands::drag::answer_drop(h.app.handle());
    assert_eq!(uris.len(), 1, "{uris:?}");
    let path = std::path::PathBuf::from(
        percent_encoding::percent_decode_str(uris[0].strip_prefix("file://").unwrap())
            .decode_utf8()
            .unwrap()
            .as_ref(),
    );
    assert!(
        path.starts_with(h.dir.path().join("drag-out")),
        "{path:?} is in the private staging area"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"quarterly numbers");
    // Asking again (targets ask on hover and on drop) does not download again.
    assert_eq!(
        cirrus_desktop::commands::drag::answer_drop(h.app.handle()),
        uris
    );
    assert_eq!(
        h.ok("transfers_list", json!({})).as_array().unwrap().len(),
        2
    );

    // After the drag ends there is nothing to hand over.
    let drag = h.app.state::<cirrus_desktop::commands::drag::DragOut>();
    assert!(drag.is_active());
    h.ok("drag_out_end", json!({"token": "t-1"}));
    assert!(
        !drag.is_active(),
        "other drags from the page keep WebKit's own list"
    );
    assert!(cirrus_desktop::commands::drag::answer_drop(h.app.handle()).is_empty());
}

/// 3 000 files dropped and paused at once send more events than the hub's channels hold; the
/// rows the UI rebuilds from what `transfers_subscribe` streams must still equal the list.
#[test]
fn a_burst_that_outruns_the_event_stream_reaches_the_ui_whole() {
    const FILES: usize = 3_000;
    let h = Harness::new(SandboxConfig::default());
    let account = h.sign_in();
    let local = tempfile::tempdir().unwrap();
    let files: Vec<_> = (0..FILES)
        .map(|i| {
            let path = local.path().join(format!("f{i:05}.txt"));
            std::fs::write(&path, format!("file {i}")).unwrap();
            path
        })
        .collect();
    // Subscribed before the burst and read only after it, like a UI busy rendering.
    let rx = h.state().hub.subscribe();
    *lock(&h.state().dropped) = files;
    let plan = h.ok(
        "transfers_plan_drop",
        json!({"accountId": account, "parentUri": "cloudreve://my"}),
    );
    h.ok(
        "transfers_start_upload",
        json!({"planId": plan["planId"], "conflict": "keepBoth"}),
    );
    h.ok("transfers_pause", json!({"ids": []}));
    let expected = h.wait_for("every row settles", || {
        let rows = row_states(&h.ok("transfers_list", json!({})));
        (rows.len() == FILES && rows.values().all(|s| s != "running" && s != "queued"))
            .then_some(rows)
    });

    let shown = follow_like_the_ui(&h, rx, Default::default());
    let snapshots = h.wait_for("the UI's rows match the list", || {
        let shown = shown.lock().unwrap();
        (shown.rows == expected).then(|| shown.count("snapshot"))
    });
    assert!(
        snapshots >= 1,
        "the burst outran the stream and a snapshot replaced the rows"
    );
}

/// Each row's state by id, from a list of rows.
fn row_states(rows: &Value) -> std::collections::BTreeMap<String, String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `files` small files dropped and uploading to a server that takes 400 ms a request, so most
/// of them wait queued behind the running ones.
fn uploads_queued_behind_a_slow_server(files: usize) -> (Harness, tempfile::TempDir) {
    let h = Harness::new(SandboxConfig::default());
    let account = h.sign_in();
    h.sandbox.set_faults(cirrus_sandbox::faults::FaultConfig {
        latency: Duration::from_millis(400),
        ..Default::default()
    });
    let local = tempfile::tempdir().unwrap();
    *lock(&h.state().dropped) = (0..files)
        .map(|i| {
            let path = local.path().join(format!("f{i:05}.txt"));
            std::fs::write(&path, format!("file {i}")).unwrap();
            path
        })
        .collect();
    let plan = h.ok(
        "transfers_plan_drop",
        json!({"accountId": account, "parentUri": "cloudreve://my"}),
    );
    h.ok(
        "transfers_start_upload",
        json!({"planId": plan["planId"], "conflict": "keepBoth"}),
    );
    (h, local)
}

/// The rows a UI following the transfer stream shows, and the messages it got (kind, rows).
#[derive(Default)]
struct Followed {
    rows: std::collections::BTreeMap<String, String>,
    messages: Vec<(String, usize)>,
}

impl Followed {
    fn count(&self, kind: &str) -> usize {
        self.messages.iter().filter(|(k, _)| k == kind).count()
    }

    fn kinds(&self) -> Vec<&str> {
        self.messages.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// Relays the hub's events from `rx` as `transfers_subscribe` does and applies each message
/// to `rows` as the UI does (a `states` message moves the rows it lists and ignores others).
fn follow_like_the_ui(
    h: &Harness,
    rx: cirrus_core::transfer_hub::HubReceiver,
    rows: std::collections::BTreeMap<String, String>,
) -> std::sync::Arc<std::sync::Mutex<Followed>> {
    let shown = std::sync::Arc::new(std::sync::Mutex::new(Followed {
        rows,
        messages: vec![],
    }));
    let sink = shown.clone();
    tauri::async_runtime::spawn(cirrus_desktop::commands::transfers::relay_events(
        h.state().hub.clone(),
        rx,
        move |message| {
            let message = serde_json::to_value(&message).unwrap();
            let mut shown = sink.lock().unwrap();
            let kind = message["kind"].as_str().unwrap().to_string();
            let rows = match kind.as_str() {
                "update" => {
                    shown.rows.extend(row_states(&json!([message["transfer"]])));
                    1
                }
                "batch" | "snapshot" => {
                    let rows = row_states(&message["transfers"]);
                    if kind == "snapshot" {
                        shown.rows.clear();
                    }
                    let n = rows.len();
                    shown.rows.extend(rows);
                    n
                }
                "states" => {
                    let state = message["state"].as_str().unwrap();
                    let ids = message["ids"].as_array().unwrap();
                    for id in ids {
                        if let Some(row) = shown.rows.get_mut(id.as_str().unwrap()) {
                            *row = state.to_string();
                        }
                    }
                    ids.len()
                }
                other => panic!("unexpected {other}"),
            };
            shown.messages.push((kind, rows));
            true
        },
    ));
    shown
}

/// "Pause all" and "Resume all" of 3 000 waiting uploads reach the UI as one small `states`
/// message each, not as 3 000 row events that overflow the stream and force a snapshot of
/// every row (what made pausing 10 000 files take over 300 ms to show).
#[test]
fn pause_all_and_resume_all_reach_the_ui_as_one_states_message() {
    const FILES: usize = 3_000;
    let (h, _local) = uploads_queued_behind_a_slow_server(FILES);
    let list = || row_states(&h.ok("transfers_list", json!({})));
    h.wait_for("every file is listed and some run", || {
        let rows = list();
        (rows.len() == FILES && rows.values().any(|s| s == "running")).then_some(())
    });
    // The UI as it stands after the drop's burst; from here on it follows the stream (whose
    // events from before the list was read replay in order, so the last one wins).
    let rx = h.state().hub.subscribe();
    let shown = follow_like_the_ui(&h, rx, list());
    // Let the relay subscribe before the click.
    std::thread::sleep(Duration::from_millis(100));

    h.ok("transfers_pause", json!({"ids": []}));
    // A file may have finished before the click; every other one ends paused.
    let expected = h.wait_for("every row settles", || {
        let rows = list();
        rows.values()
            .all(|s| s == "paused" || s == "completed")
            .then_some(rows)
    });
    let paused = expected.values().filter(|s| *s == "paused").count();
    let matched = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        shown.lock().unwrap().rows == expected
    });
    {
        let shown = shown.lock().unwrap();
        if !matched {
            let differ: Vec<_> = expected
                .iter()
                .filter(|(id, s)| shown.rows.get(*id) != Some(*s))
                .take(5)
                .map(|(id, s)| (id, s, shown.rows.get(id)))
                .collect();
            panic!(
                "the UI's rows differ from the list after pause all (id, listed, shown): {differ:?}; messages {:?}",
                shown.kinds()
            );
        }
        let states: Vec<usize> = shown
            .messages
            .iter()
            .filter(|(k, _)| k == "states")
            .map(|(_, n)| *n)
            .collect();
        assert_eq!(states.len(), 1, "one states message: {:?}", shown.kinds());
        assert!(
            states[0] > FILES / 2,
            "it lists the waiting rows: {states:?}"
        );
        assert_eq!(
            shown.count("snapshot"),
            0,
            "no snapshot: {:?}",
            shown.kinds()
        );
    }

    shown.lock().unwrap().messages.clear();
    h.ok("transfers_resume", json!({"ids": []}));
    h.wait_for("the UI shows every row waiting or running again", || {
        let shown = shown.lock().unwrap();
        shown
            .rows
            .values()
            .all(|s| s == "queued" || s == "running" || s == "completed")
            .then_some(())
    });
    let shown = shown.lock().unwrap();
    assert!(
        shown
            .messages
            .iter()
            .any(|(k, n)| k == "states" && *n == paused),
        "resume all is one states message of every paused row ({paused}): {:?}",
        shown.messages
    );
    assert_eq!(
        shown.count("snapshot"),
        0,
        "no snapshot: {:?}",
        shown.kinds()
    );
}

/// "Pause all" with 3 000 uploads queued behind running ones (a slow server) pauses every
/// waiting one at once, and quickly.
#[test]
fn pause_all_with_thousands_queued_behind_running_uploads_is_quick() {
    const FILES: usize = 3_000;
    let (h, _local) = uploads_queued_behind_a_slow_server(FILES);
    let count = |state: &str| {
        h.ok("transfers_list", json!({}))
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["state"] == state)
            .count()
    };
    h.wait_for("uploads run", || (count("running") > 0).then_some(()));
    let t0 = Instant::now();
    h.ok("transfers_pause", json!({"ids": []}));
    let took = t0.elapsed();
    eprintln!("pause all took {took:?}");
    assert_eq!(count("queued"), 0, "nothing waits queued after pause all");
    assert!(count("paused") > FILES / 2, "the waiting ones are paused");
    assert!(took < Duration::from_secs(2), "pause all took {took:?}");
}
