//! Which preview a file gets, decided from its name alone (the listing carries no MIME type).

use serde::Serialize;
use ts_rs::TS;

/// How the preview overlay shows a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum PreviewKind {
    /// A picture the WebView decodes itself.
    Image,
    /// Plain text or source code, shown up to a size cap.
    Text,
    /// Markdown, rendered without raw HTML.
    Markdown,
    /// A PDF document, rendered by the bundled pdf.js.
    Pdf,
    /// Sound, streamed with seeking.
    Audio,
    /// A film, streamed with seeking.
    Video,
    /// Nothing the WebView can show: "Open with default app" only.
    Other,
}

/// The lower-case extension of a name ("" when it has none).
fn extension(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

impl PreviewKind {
    /// The preview for a file called `name`.
    pub fn for_name(name: &str) -> Self {
        let ext = extension(name);
        match ext.as_str() {
            "png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp" | "ico" | "avif" => Self::Image,
            // SVG can carry scripts; as an <img> WebKit never runs them, so it is an image.
            "svg" => Self::Image,
            "md" | "markdown" => Self::Markdown,
            "pdf" => Self::Pdf,
            "mp3" | "wav" | "ogg" | "oga" | "flac" | "m4a" | "aac" | "opus" => Self::Audio,
            "mp4" | "m4v" | "webm" | "ogv" | "mov" | "mkv" => Self::Video,
            "txt" | "log" | "csv" | "tsv" | "json" | "xml" | "yaml" | "yml" | "toml" | "ini"
            | "conf" | "cfg" | "rs" | "ts" | "tsx" | "js" | "jsx" | "mjs" | "py" | "rb" | "go"
            | "java" | "kt" | "c" | "h" | "cc" | "cpp" | "hpp" | "cs" | "sh" | "bash" | "zsh"
            | "sql" | "css" | "scss" | "html" | "htm" | "vue" | "php" | "lua" | "swift"
            | "diff" | "patch" | "srt" | "vtt" | "tex" | "gradle" | "properties" | "env" => {
                Self::Text
            }
            _ => match name.to_ascii_lowercase().as_str() {
                "readme" | "license" | "makefile" | "dockerfile" | "changelog" => Self::Text,
                _ => Self::Other,
            },
        }
    }
}

/// The Content-Type the WebView is told for a file (it sniffs nothing from a custom scheme).
pub fn mime_for(name: &str) -> &'static str {
    match extension(name).as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "ico" => "image/x-icon",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "ogg" | "oga" => "audio/ogg",
        "opus" => "audio/ogg",
        "flac" => "audio/flac",
        "m4a" | "aac" => "audio/mp4",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "ogv" => "video/ogg",
        "mkv" => "video/x-matroska",
        _ => match PreviewKind::for_name(name) {
            PreviewKind::Text | PreviewKind::Markdown => "text/plain; charset=utf-8",
            _ => "application/octet-stream",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_extension_in_any_case() {
        assert_eq!(PreviewKind::for_name("Photo.JPG"), PreviewKind::Image);
        assert_eq!(PreviewKind::for_name("notes.md"), PreviewKind::Markdown);
        assert_eq!(PreviewKind::for_name("a.b.pdf"), PreviewKind::Pdf);
        assert_eq!(PreviewKind::for_name("clip.webm"), PreviewKind::Video);
        assert_eq!(PreviewKind::for_name("song.flac"), PreviewKind::Audio);
        assert_eq!(PreviewKind::for_name("main.rs"), PreviewKind::Text);
        assert_eq!(PreviewKind::for_name("Makefile"), PreviewKind::Text);
        assert_eq!(PreviewKind::for_name("archive.zip"), PreviewKind::Other);
        // A dot file is a name, not an extension.
        assert_eq!(PreviewKind::for_name(".png"), PreviewKind::Other);
        assert_eq!(mime_for("x.mp4"), "video/mp4");
        assert_eq!(mime_for("x.txt"), "text/plain; charset=utf-8");
        assert_eq!(mime_for("x.bin"), "application/octet-stream");
    }
}
