//! Demo users and a small demo tree with awkward names.

use chrono::Utc;

use crate::app::App;
use crate::store::{Id, NodeKind};

impl App {
    /// Write a file with content directly (no HTTP), creating parent folders.
    pub fn seed_file(&self, owner: Id, path: &[&str], content: &[u8]) -> anyhow::Result<()> {
        let now = Utc::now();
        let blob = uuid::Uuid::new_v4().simple().to_string();
        self.policy.driver.put_blocking(&blob, content)?;
        let mut store = self.store();
        let root = store.users[&owner].root;
        let segs: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        let (name, parents) = segs.split_last().expect("non-empty path");
        let parent = store
            .ensure_folders(owner, root, parents, now)
            .map_err(|e| anyhow::anyhow!("seed: {}", e.msg))?;
        if store.child(parent, name).is_some() {
            return Ok(());
        }
        let file = store.insert_node(owner, parent, name, NodeKind::File, now);
        let entity = store.new_entity(file, content.len() as u64, blob, None, None, now);
        store.promote_entity(file, entity);
        Ok(())
    }

    /// Create folders for `path` (empty folders in the demo tree).
    pub fn seed_folder(&self, owner: Id, path: &[&str]) {
        let segs: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        let mut store = self.store();
        let root = store.users[&owner].root;
        let _ = store.ensure_folders(owner, root, &segs, Utc::now());
    }

    /// The demo tree of the demo user.
    pub fn seed_demo_tree(&self, owner: Id) -> anyhow::Result<()> {
        self.seed_file(owner, &["Welcome.txt"], b"Welcome to the Cirrus sandbox.\n")?;
        self.seed_file(
            owner,
            &["Documents", "Report 2024.txt"],
            b"Quarterly numbers.\n",
        )?;
        self.seed_file(owner, &["Documents", "notes #1.md"], b"# Notes\n")?;
        self.seed_file(owner, &["Documents", "100% done.txt"], b"done\n")?;
        self.seed_file(owner, &["Documents", "a+b=c.txt"], b"math\n")?;
        self.seed_file(
            owner,
            &["Documents", "中文文件.txt"],
            "你好，世界\n".as_bytes(),
        )?;
        self.seed_file(owner, &["Documents", "party 🎉.txt"], "🎉\n".as_bytes())?;
        self.seed_file(
            owner,
            &["Photos", "sunset.jpg"],
            &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10],
        )?;
        self.seed_folder(owner, &["Photos", "2024 Trip"]);
        self.seed_folder(owner, &["Empty Folder"]);
        Ok(())
    }
}

/// Deterministic pseudo-random bytes (SplitMix64 stream) for seeded test files.
pub fn seeded_bytes(size: u64, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(size as usize);
    let mut state = seed;
    while (out.len() as u64) < size {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let room = (size as usize - out.len()).min(8);
        out.extend_from_slice(&z.to_le_bytes()[..room]);
    }
    out
}

impl App {
    /// Write `size` bytes of [`seeded_bytes`] at `path` (slash-separated, below the user's
    /// root) and return their SHA-256 hex. An existing object at `path` is an error.
    pub fn seed_sized_file(
        &self,
        owner: Id,
        path: &str,
        size: u64,
        seed: u64,
    ) -> anyhow::Result<String> {
        use sha2::{Digest, Sha256};
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        anyhow::ensure!(!segs.is_empty(), "empty path");
        {
            let store = self.store();
            let root = store.users[&owner].root;
            let names: Vec<String> = segs.iter().map(|s| s.to_string()).collect();
            anyhow::ensure!(store.walk(root, &names).is_err(), "{path} already exists");
        }
        let data = seeded_bytes(size, seed);
        let hash = Sha256::digest(&data);
        self.seed_file(owner, &segs, &data)?;
        Ok(hash.iter().map(|b| format!("{b:02x}")).collect())
    }
}
