//! The demo drive's versioned document: a folder holding one file with three versions, so
//! version history has something to show without changing the retention setting.

use chrono::{Duration, Utc};

use crate::app::App;
use crate::store::{Id, NodeKind};

/// Folder of the versioned demo document.
pub const FOLDER: &str = "Drafts";
/// Name of the versioned demo document.
pub const FILE: &str = "Proposal.md";

/// The three versions, oldest first; the last one is current.
pub const VERSIONS: [&str; 3] = [
    "# Proposal\n\nFirst draft.\n",
    "# Proposal\n\nSecond draft, with a budget section.\n\n## Budget\n\nTBD\n",
    "# Proposal\n\nFinal text.\n\n## Budget\n\n12 000 EUR, signed off.\n\n## Timeline\n\nQ3.\n",
];

impl App {
    /// Seed `Drafts/Proposal.md` with [`VERSIONS`], a day apart, the newest current.
    pub fn seed_demo_versions(&self, owner: Id) -> anyhow::Result<()> {
        let now = Utc::now();
        let mut blobs = Vec::new();
        for v in VERSIONS {
            let blob = uuid::Uuid::new_v4().simple().to_string();
            self.policy.driver.put_blocking(&blob, v.as_bytes())?;
            blobs.push(blob);
        }
        let mut store = self.store();
        let root = store.users[&owner].root;
        let folder = store
            .ensure_folders(owner, root, &[FOLDER.to_string()], now)
            .map_err(|e| anyhow::anyhow!("seed: {}", e.msg))?;
        if store.child(folder, FILE).is_some() {
            return Ok(());
        }
        let first = now - Duration::days(VERSIONS.len() as i64 - 1);
        let file = store.insert_node(owner, folder, FILE, NodeKind::File, first);
        let mut last = None;
        for (i, (blob, v)) in blobs.into_iter().zip(VERSIONS).enumerate() {
            let at = first + Duration::days(i as i64);
            let e = store.new_entity(file, v.len() as u64, blob, None, None, at);
            last = Some((e, v.len() as u64, at));
        }
        // Set directly: promoting would apply the retention limit to the older versions.
        if let Some((e, size, at)) = last {
            let n = store.nodes.get_mut(&file).expect("file");
            n.primary = Some(e);
            n.size = size;
            n.updated_at = at;
        }
        Ok(())
    }
}
