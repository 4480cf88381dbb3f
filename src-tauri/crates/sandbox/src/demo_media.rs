//! The showcase part of the demo drive: real photos, a text file, a Markdown file, a PDF, a
//! short video and a large folder, all under `/Showcase` so the small demo tree the tests rely
//! on stays as it is. Media files live in `demo/` next to this crate (sources and licences in
//! `demo/NOTICE.md`); the large folder is generated.

use crate::app::App;
use crate::store::{Id, NodeKind};

/// Top-level folder holding the showcase.
pub const SHOWCASE: &str = "Showcase";
/// Files in the generated large folder.
pub const LARGE_FOLDER_FILES: usize = 100_000;
/// Name of the generated large folder.
pub const LARGE_FOLDER: &str = "Large folder";

const PHOTOS: &[(&str, &[u8])] = &[
    ("Aqua.jpg", include_bytes!("../demo/Photos/Aqua.jpg")),
    (
        "Fresh Flower.png",
        include_bytes!("../demo/Photos/FreshFlower.png"),
    ),
    (
        "Green Meadow.jpg",
        include_bytes!("../demo/Photos/GreenMeadow.jpg"),
    ),
    (
        "Lady Bird.jpg",
        include_bytes!("../demo/Photos/LadyBird.jpg"),
    ),
    (
        "Rain Drops.jpg",
        include_bytes!("../demo/Photos/RainDrops.jpg"),
    ),
    ("Storm.jpg", include_bytes!("../demo/Photos/Storm.jpg")),
    (
        "Yellow Flower.jpg",
        include_bytes!("../demo/Photos/YellowFlower.jpg"),
    ),
];

const README_MD: &str = "# The Cirrus showcase\n\n\
This folder shows what the file browser can do:\n\n\
- **Photos**: switch to the grid view to see their thumbnails.\n\
- **Cirrus guide.pdf** and **Bouncing ball.webm**: previews.\n\
- **Large folder**: 100 000 entries, to scroll through.\n";

const NOTES_TXT: &str = "Plain text notes.\n\nCirrus sandbox showcase, line 3.\n";

impl App {
    /// Seed the showcase for `owner`.
    pub fn seed_demo_media(&self, owner: Id) -> anyhow::Result<()> {
        for (name, data) in PHOTOS {
            self.seed_file(owner, &[SHOWCASE, "Photos", name], data)?;
        }
        self.seed_file(owner, &[SHOWCASE, "README.md"], README_MD.as_bytes())?;
        self.seed_file(owner, &[SHOWCASE, "Notes.txt"], NOTES_TXT.as_bytes())?;
        self.seed_file(
            owner,
            &[SHOWCASE, "Cirrus guide.pdf"],
            include_bytes!("../demo/Documents/cirrus-guide.pdf"),
        )?;
        self.seed_file(
            owner,
            &[SHOWCASE, "Bouncing ball.webm"],
            include_bytes!("../demo/Videos/bouncing-ball.webm"),
        )?;
        // Empty files without blobs: a big folder costs memory only, not 100 000 disk writes.
        let now = chrono::Utc::now();
        let mut store = self.store();
        let root = store.users[&owner].root;
        let segs = [SHOWCASE.to_string(), LARGE_FOLDER.to_string()];
        let folder = store
            .ensure_folders(owner, root, &segs, now)
            .map_err(|e| anyhow::anyhow!("seed: {}", e.msg))?;
        for i in 1..=LARGE_FOLDER_FILES {
            let name = format!("entry {i:06}.txt");
            if store.child(folder, &name).is_none() {
                store.insert_node(owner, folder, &name, NodeKind::File, now);
            }
        }
        Ok(())
    }
}
