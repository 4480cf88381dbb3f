//! Query strings bound with the rules of Gin's form binding (`ShouldBindQuery`), which clients of
//! Cloudreve rely on:
//! * the query is split like Go's `url.ParseQuery`: pairs with a `;` or a bad `%` escape are
//!   dropped, keys are case-sensitive, unknown keys are ignored;
//! * a scalar takes the first value of a repeated key, a list takes them all;
//! * booleans follow `strconv.ParseBool` (`1 t T TRUE true True`, `0 f F FALSE false False`);
//! * integers follow `strconv.ParseInt`/`ParseUint` in base 10 (`+5` is 5, `5.0` is an error);
//! * an empty value is the zero value (`false`, `0`), and a present key fills an `Option`.

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{DeserializeOwned, Deserializer, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::BindError;

/// Bind a raw query string (without `?`) the way Gin's query binding does.
pub fn from_query<T: DeserializeOwned>(query: &str) -> Result<T, BindError> {
    T::deserialize(Form(parse_query(query))).map_err(BindError::in_form)
}

/// Keys in first-seen order, each with all its values in order.
type Pairs = Vec<(String, Vec<String>)>;

/// Go's `url.ParseQuery`, keeping what it keeps and skipping what it reports as errors.
fn parse_query(query: &str) -> Pairs {
    let mut pairs: Pairs = Vec::new();
    for part in query.split('&') {
        if part.is_empty() || part.contains(';') {
            continue;
        }
        let (raw_key, raw_value) = part.split_once('=').unwrap_or((part, ""));
        let (Some(key), Some(value)) = (unescape(raw_key), unescape(raw_value)) else {
            continue;
        };
        match pairs.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => values.push(value),
            None => pairs.push((key, vec![value])),
        }
    }
    pairs
}

/// `url.QueryUnescape`: `+` is a space and every `%` must start two hex digits.
fn unescape(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// `strconv.ParseBool`; Gin binds an empty value as `false`.
fn parse_bool(s: &str) -> Result<bool, BindError> {
    match s {
        "" | "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        _ => Err(syntax_error("ParseBool", s)),
    }
}

/// Base-10 `strconv.ParseInt`/`ParseUint` into `N`; Gin binds an empty value as 0.
fn parse_number<N: std::str::FromStr>(s: &str, signed: bool) -> Result<N, BindError> {
    if s.is_empty() {
        return "0".parse().map_err(|_| syntax_error("ParseInt", s));
    }
    // Rust accepts a leading `+` on unsigned numbers; ParseUint takes no sign at all.
    if !signed && s.starts_with('+') {
        return Err(syntax_error("ParseUint", s));
    }
    s.parse().map_err(|_| syntax_error("ParseInt", s))
}

fn syntax_error(func: &str, s: &str) -> BindError {
    BindError::Invalid(format!("strconv.{func}: parsing {s:?}: invalid syntax"))
}

/// The whole query, seen as a struct or a map.
struct Form(Pairs);

impl<'de> Deserializer<'de> for Form {
    type Error = BindError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BindError> {
        let entries = self.0.into_iter().map(|(k, vs)| (k, Values(vs)));
        v.visit_map(MapDeserializer::new(entries))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, BindError> {
        let entries = self
            .0
            .into_iter()
            .filter(|(k, _)| fields.contains(&k.as_str()))
            .map(|(k, vs)| (k, Values(vs)));
        v.visit_map(MapDeserializer::new(entries))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// All values of one key (never empty).
struct Values(Vec<String>);

impl Values {
    fn first(&self) -> &str {
        self.0.first().map(String::as_str).unwrap_or_default()
    }
}

impl<'de> IntoDeserializer<'de, BindError> for Values {
    type Deserializer = Values;
    fn into_deserializer(self) -> Values {
        self
    }
}

macro_rules! numbers {
    ($($method:ident: $ty:ty => $visit:ident, $signed:expr;)*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BindError> {
            v.$visit(parse_number::<$ty>(self.first(), $signed)?)
        }
    )*};
}

impl<'de> Deserializer<'de> for Values {
    type Error = BindError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BindError> {
        v.visit_str(self.first())
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BindError> {
        v.visit_bool(parse_bool(self.first())?)
    }

    numbers! {
        deserialize_i8: i8 => visit_i8, true;
        deserialize_i16: i16 => visit_i16, true;
        deserialize_i32: i32 => visit_i32, true;
        deserialize_i64: i64 => visit_i64, true;
        deserialize_u8: u8 => visit_u8, false;
        deserialize_u16: u16 => visit_u16, false;
        deserialize_u32: u32 => visit_u32, false;
        deserialize_u64: u64 => visit_u64, false;
    }

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BindError> {
        self.deserialize_f64(v)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BindError> {
        let s = match self.first() {
            "" => "0",
            s => s,
        };
        let f: f64 = s.parse().map_err(|_| syntax_error("ParseFloat", s))?;
        v.visit_f64(f)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BindError> {
        // Gin allocates the pointer whenever the key is present, even for an empty value.
        v.visit_some(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BindError> {
        let each = self.0.into_iter().map(|s| Values(vec![s]));
        v.visit_seq(SeqDeserializer::new(each))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, BindError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, BindError> {
        let first = self.first().to_owned();
        v.visit_enum(IntoDeserializer::<BindError>::into_deserializer(first))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BindError> {
        v.visit_unit()
    }

    forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct tuple tuple_struct map struct
        identifier
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    struct Q {
        #[serde(default)]
        extended: bool,
        #[serde(default)]
        page: i64,
        page_size: Option<i64>,
        #[serde(default)]
        count: u32,
        uri: Option<String>,
        #[serde(default)]
        tags: Vec<String>,
    }

    fn q(s: &str) -> Result<Q, BindError> {
        from_query(s)
    }

    #[test]
    fn booleans_follow_parse_bool() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert!(q(&format!("extended={t}")).unwrap().extended, "{t}");
        }
        for f in ["0", "f", "F", "FALSE", "false", "False", ""] {
            assert!(!q(&format!("extended={f}")).unwrap().extended, "{f}");
        }
        for bad in ["yes", "on", "tRUE", "2", "true "] {
            let e = q(&format!("extended={}", bad.replace(' ', "+"))).unwrap_err();
            assert_eq!(e.message(), "Invalid parameters.", "{bad}");
        }
        assert!(!q("").unwrap().extended);
        // A bare key is an empty value.
        assert!(!q("extended").unwrap().extended);
    }

    #[test]
    fn integers_follow_parse_int() {
        assert_eq!(q("page=%2B5").unwrap().page, 5);
        // An unescaped `+` is a space, which ParseInt refuses.
        assert!(q("page=+5").is_err());
        assert_eq!(q("page=-5").unwrap().page, -5);
        assert_eq!(q("page=007").unwrap().page, 7);
        assert_eq!(q("page=").unwrap().page, 0);
        assert_eq!(q("page_size=").unwrap().page_size, Some(0));
        assert_eq!(q("page_size=50").unwrap().page_size, Some(50));
        assert_eq!(q("").unwrap().page_size, None);
        for bad in ["5.0", "1e3", "five", "1_000", " 5", "99999999999999999999"] {
            assert!(
                q(&format!("page={}", bad.replace(' ', "+"))).is_err(),
                "{bad}"
            );
        }
        assert_eq!(q("count=7").unwrap().count, 7);
        assert!(q("count=%2B7").is_err());
        assert!(q("count=-1").is_err());
    }

    #[test]
    fn first_value_wins_and_lists_take_all() {
        let v = q("page=1&page=2&tags=a&tags=b&tags=").unwrap();
        assert_eq!(v.page, 1);
        assert_eq!(v.tags, ["a", "b", ""]);
    }

    #[test]
    fn unknown_keys_are_ignored_and_keys_are_case_sensitive() {
        let v = q("Extended=true&whatever=x&uri=cloudreve%3A%2F%2Fmy%2Fa+b").unwrap();
        assert!(!v.extended);
        assert_eq!(v.uri.as_deref(), Some("cloudreve://my/a b"));
    }

    #[test]
    fn pairs_go_rejects_are_dropped() {
        let v = q("page=3;x&uri=%zz&extended=1").unwrap();
        assert_eq!((v.page, v.uri, v.extended), (0, None, true));
    }

    #[test]
    fn maps_see_every_key() {
        let m: BTreeMap<String, String> = from_query("b=2&a=1&a=3").unwrap();
        assert_eq!(m["a"], "1");
        assert_eq!(m["b"], "2");
    }
}
