//! Share links against the sandbox (§9): create with password/expiry/limit, list, edit, delete.

mod common;

use cirrus_core::ErrorKind;
use cirrus_core::provider::*;
use cirrus_sandbox::SandboxConfig;
use common::*;

#[tokio::test]
async fn share_lifecycle() {
    let e = env(SandboxConfig::default()).await;
    let (_, p) = e.signed_in().await;
    let folder = p.create_folder(&p.root(), "shared stuff").await.unwrap();
    let opts = ShareOptions {
        password: Some("abc123".into()),
        expires_in_secs: Some(3600),
        download_limit: Some(5),
        ..Default::default()
    };
    let s = p.create_share(&folder.remote, &opts).await.unwrap();
    assert!(!s.id.is_empty());
    assert!(s.url.contains(&s.id), "{}", s.url);
    assert_eq!(s.password.as_deref(), Some("abc123"));
    assert!(s.link_text().contains("abc123"));
    let page = p.list_shares(None).await.unwrap();
    assert!(page.shares.iter().any(|x| x.id == s.id));
    let edited = p
        .edit_share(
            &s.id,
            &folder.remote,
            &ShareOptions {
                download_limit: Some(9),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.id, s.id);
    p.delete_share(&s.id).await.unwrap();
    let page = p.list_shares(None).await.unwrap();
    assert!(!page.shares.iter().any(|x| x.id == s.id));
    let missing = p.resolve_path("/no such thing").await.unwrap();
    assert_eq!(
        p.create_share(&missing, &ShareOptions::default())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}
