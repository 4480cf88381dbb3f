//! Previews of remote files: what kind of preview a name gets, ranged reads of a file's bytes
//! for the WebView (video and audio seek, PDFs and images load), and local copies opened in
//! the OS's default app whose saved changes can go back as a new version.

pub mod edit_watch;
pub mod kind;
pub mod media;
pub mod range;

pub use edit_watch::{EditSnapshot, EditWatch};
pub use kind::{PreviewKind, mime_for};
pub use media::{MediaChunk, MediaStore, MediaTarget};
pub use range::{ByteRange, parse_range};
