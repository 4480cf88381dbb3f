//! "Start Cirrus when I log in": an XDG autostart entry (`~/.config/autostart/cirrus.desktop`)
//! that starts the app with `--minimized`. The entry's presence is the setting, so what the
//! user sees in Settings always matches what the session will do, even if the file was
//! removed by another tool.

use crate::launch::MINIMIZED_FLAG;
use std::io;
use std::path::{Path, PathBuf};

/// The entry's file name inside the autostart folder.
pub const FILE_NAME: &str = "cirrus.desktop";

/// Where the entry lives: `$XDG_CONFIG_HOME/autostart/`, else `~/.config/autostart/`.
pub fn default_path() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(config.join("autostart").join(FILE_NAME))
}

/// Quotes one `Exec` argument as the desktop entry spec asks: plain when it has only safe
/// characters, else in double quotes with `"`, `` ` ``, `$` and `\` escaped. `%` is doubled
/// either way (it starts a field code), and backslashes are doubled once more because the
/// value itself is an escaped string.
fn exec_arg(arg: &str) -> String {
    let safe = arg
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._+-=:,@".contains(c));
    if safe {
        return arg.to_string();
    }
    let mut out = String::from("\"");
    for c in arg.chars() {
        match c {
            '"' | '`' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\\\\\\\"),
            '%' => out.push_str("%%"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The entry that starts `exe` minimised at login.
pub fn entry(exe: &Path) -> String {
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=Cirrus\n\
         Name[zh_CN]=Cirrus\n\
         Comment=Start Cirrus in the tray when you log in\n\
         Comment[zh_CN]=登录时在托盘中启动 Cirrus\n\
         Exec={} {MINIMIZED_FLAG}\n\
         Icon=cirrus-desktop\n\
         Terminal=false\n\
         X-GNOME-Autostart-enabled=true\n",
        exec_arg(&exe.to_string_lossy())
    )
}

/// Whether the entry exists.
pub fn is_enabled(path: &Path) -> bool {
    path.is_file()
}

/// Writes the entry for `exe` (atomically) or removes it.
pub fn set(path: &Path, enabled: bool, exe: &Path) -> io::Result<()> {
    if !enabled {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        };
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("desktop.tmp");
    std::fs::write(&tmp, entry(exe))?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_lines_quote_only_what_needs_it() {
        assert!(
            entry(Path::new("/usr/bin/cirrus-desktop"))
                .contains("\nExec=/usr/bin/cirrus-desktop --minimized\n")
        );
        let odd = entry(Path::new("/opt/My Apps/100%/$x\\cirrus"));
        assert!(
            odd.contains("\nExec=\"/opt/My Apps/100%%/\\$x\\\\\\\\cirrus\" --minimized\n"),
            "{odd}"
        );
    }

    #[test]
    fn enabling_writes_the_entry_and_disabling_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("autostart").join(FILE_NAME);
        assert!(!is_enabled(&path));
        set(&path, true, Path::new("/usr/bin/cirrus-desktop")).unwrap();
        assert!(is_enabled(&path));
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("--minimized")
        );
        set(&path, false, Path::new("/usr/bin/cirrus-desktop")).unwrap();
        assert!(!is_enabled(&path));
        set(&path, false, Path::new("/usr/bin/cirrus-desktop")).unwrap();
    }
}
