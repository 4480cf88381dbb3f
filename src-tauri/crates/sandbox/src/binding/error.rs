//! Why a request failed to bind, sorted the way Cloudreve's `ErrorResponse` sorts Go errors.

use std::fmt;

use serde::de::{Expected, Unexpected};

/// A binding failure; every kind becomes HTTP 200 with code 40001 and no correlation id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindError {
    /// Not one JSON value: empty body (`io.EOF`) or a syntax error.
    Malformed(String),
    /// A JSON value of the wrong type or out of range (`*json.UnmarshalTypeError`).
    Type(String),
    /// A field the handler cannot do without is absent (validator tag `required`).
    Missing(&'static str),
    /// Anything else, e.g. a query value `strconv` rejects.
    Invalid(String),
}

impl BindError {
    /// The `msg` Cloudreve puts in the 40001 envelope.
    pub fn message(&self) -> String {
        match self {
            BindError::Type(_) => "JSON marshall error".to_string(),
            BindError::Missing(field) => format!("{} cannot be empty", go_field_name(field)),
            BindError::Malformed(_) | BindError::Invalid(_) => "Invalid parameters.".to_string(),
        }
    }

    /// Form binding reports conversion failures through `strconv`, never as a JSON type error.
    pub(crate) fn in_form(self) -> Self {
        match self {
            BindError::Type(detail) => BindError::Invalid(detail),
            other => other,
        }
    }
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindError::Malformed(d) | BindError::Type(d) | BindError::Invalid(d) => f.write_str(d),
            BindError::Missing(field) => write!(f, "missing field `{field}`"),
        }
    }
}

impl std::error::Error for BindError {}

impl serde::de::Error for BindError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        BindError::Invalid(msg.to_string())
    }
    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        BindError::Type(format!("cannot unmarshal {unexp} into {exp}"))
    }
    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        BindError::Type(format!("cannot unmarshal {unexp} into {exp}"))
    }
    fn invalid_length(len: usize, exp: &dyn Expected) -> Self {
        BindError::Type(format!("cannot unmarshal {len} elements into {exp}"))
    }
    fn missing_field(field: &'static str) -> Self {
        BindError::Missing(field)
    }
}

/// `refresh_token` → `RefreshToken`: validator messages name the Go struct field.
fn go_field_name(snake: &str) -> String {
    snake
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_cloudreve_error_response() {
        assert_eq!(
            BindError::Missing("refresh_token").message(),
            "RefreshToken cannot be empty"
        );
        assert_eq!(BindError::Type("x".into()).message(), "JSON marshall error");
        assert_eq!(
            BindError::Malformed("EOF".into()).message(),
            "Invalid parameters."
        );
        assert_eq!(
            BindError::Type("x".into()).in_form().message(),
            "Invalid parameters."
        );
    }
}
