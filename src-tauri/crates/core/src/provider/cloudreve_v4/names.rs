//! Cloudreve's rules for the name of a new file or folder (server: `dbfs/validator.go`):
//! 1 to 255 bytes, none of `\\ / : * ? " < > |`, and not `.` or `..`. Checked before an upload
//! starts so a refused name is a clear per-file error, not a failure after the bytes went.

use crate::error::{Error, ErrorKind, Result};

/// Longest name Cloudreve accepts, in UTF-8 bytes.
const MAX_NAME_BYTES: usize = 255;

/// Characters Cloudreve refuses in a name.
const FORBIDDEN: &[char] = &['\\', '/', ':', '*', '?', '"', '<', '>', '|'];

/// Whether Cloudreve accepts `name`; the error says why not.
pub(super) fn check(name: &str) -> Result<()> {
    let refuse = |why: String| {
        Err(Error::with_message(
            ErrorKind::InvalidName,
            format!("The server does not accept the name \"{name}\": {why}"),
        ))
    };
    if name.is_empty() || name == "." || name == ".." {
        return refuse("it is empty or a dot name.".into());
    }
    if name.len() > MAX_NAME_BYTES {
        return refuse(format!(
            "it is {} bytes long, and the limit is {MAX_NAME_BYTES} bytes.",
            name.len()
        ));
    }
    if let Some(c) = name.chars().find(|c| FORBIDDEN.contains(c)) {
        return refuse(format!("it contains the character '{c}'."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_and_long_but_fitting_names() {
        assert!(check("photo.jpg").is_ok());
        assert!(check(&"数".repeat(85)).is_ok()); // 255 bytes
    }

    #[test]
    fn refuses_what_the_server_refuses() {
        for bad in ["", ".", "..", "a:b", "a|b", "what?", "q\"uote"] {
            let e = check(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidName, "{bad}");
        }
        let e = check(&"数".repeat(86)).unwrap_err(); // 258 bytes
        assert!(e.message().contains("258 bytes"), "{}", e.message());
    }
}
