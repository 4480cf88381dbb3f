//! JSON bodies decoded with the rules of Go's `encoding/json`, as Gin's `ShouldBindJSON` uses
//! it: clients written against Cloudreve send `null` for "not set", capitalised keys or extra
//! fields, and expect what Go does with them.
//!
//! The body is first read into [`Doc`], a tree that keeps object members in document order
//! (duplicates included, since Go assigns them one after another), then `T` is deserialized from
//! that tree with Go's rules:
//! * struct fields match keys exactly, else case-insensitively; unknown keys are skipped;
//! * a `null` member leaves the field as if absent; a `null` anywhere else is the zero value
//!   of the requested type (`""`, `0`, `false`, empty list/map, `None`);
//! * types are strict: `"5"` is no number and `1.5` no integer (`Type` errors);
//! * only the first JSON value is read; an empty body is an error (Go's `io.EOF`).

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{
    self, DeserializeOwned, Deserializer, Error as _, IntoDeserializer, Unexpected, Visitor,
};
use serde::{Deserialize, forward_to_deserialize_any};

use super::BindError;

/// Decode a request body the way Gin's JSON binding does.
pub fn from_slice<T: DeserializeOwned>(body: &[u8]) -> Result<T, BindError> {
    // json.Decoder.Decode reads one value and never looks at what follows it.
    let mut values = serde_json::Deserializer::from_slice(body).into_iter::<Doc>();
    let doc = match values.next() {
        None => return Err(BindError::Malformed("EOF".into())),
        Some(Err(e)) => return Err(BindError::Malformed(e.to_string())),
        Some(Ok(doc)) => doc,
    };
    T::deserialize(doc)
}

/// A parsed JSON value with object members kept in order, duplicates and all.
#[derive(Debug, Clone, PartialEq)]
enum Doc {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Array(Vec<Doc>),
    Object(Vec<(String, Doc)>),
}

impl Doc {
    fn unexpected(&self) -> Unexpected<'_> {
        match self {
            Doc::Null => Unexpected::Unit,
            Doc::Bool(b) => Unexpected::Bool(*b),
            Doc::Int(i) => Unexpected::Signed(*i),
            Doc::Uint(u) => Unexpected::Unsigned(*u),
            Doc::Float(f) => Unexpected::Float(*f),
            Doc::Str(s) => Unexpected::Str(s),
            Doc::Array(_) => Unexpected::Seq,
            Doc::Object(_) => Unexpected::Map,
        }
    }

    fn type_error(&self, exp: &dyn de::Expected) -> BindError {
        BindError::invalid_type(self.unexpected(), exp)
    }
}

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DocVisitor)
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }
    fn visit_none<E>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Doc, D::Error> {
        Doc::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Doc, E> {
        Ok(Doc::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Doc, E> {
        Ok(Doc::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Doc, E> {
        Ok(Doc::Uint(u))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Doc, E> {
        Ok(Doc::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Doc, E> {
        Ok(Doc::Str(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Doc, E> {
        Ok(Doc::Str(s))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Doc::Array(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry::<String, Doc>()? {
            members.push(member);
        }
        Ok(Doc::Object(members))
    }
}

impl<'de> IntoDeserializer<'de, BindError> for Doc {
    type Deserializer = Doc;
    fn into_deserializer(self) -> Doc {
        self
    }
}

/// The members of `members` that fill fields of a struct with `fields`, renamed to them.
fn struct_members(
    members: Vec<(String, Doc)>,
    fields: &'static [&'static str],
) -> Vec<(&'static str, Doc)> {
    let mut out: Vec<(&'static str, Doc)> = Vec::new();
    for (key, value) in members {
        // Go leaves a field alone on null, so an earlier non-null duplicate survives.
        if value == Doc::Null {
            continue;
        }
        let Some(field) = field_for_key(&key, fields) else {
            continue;
        };
        match out.iter_mut().find(|(f, _)| *f == field) {
            Some(slot) => slot.1 = value,
            None => out.push((field, value)),
        }
    }
    out
}

/// Go prefers the exact field name and falls back to a case-insensitive match.
fn field_for_key(key: &str, fields: &'static [&'static str]) -> Option<&'static str> {
    let folds = |f: &&&str| {
        f.chars()
            .flat_map(char::to_lowercase)
            .eq(key.chars().flat_map(char::to_lowercase))
    };
    fields
        .iter()
        .find(|f| **f == key)
        .or_else(|| fields.iter().find(folds))
        .copied()
}

fn empty_map<'de>() -> MapDeserializer<'de, std::vec::IntoIter<(String, Doc)>, BindError> {
    MapDeserializer::new(Vec::new().into_iter())
}

/// `null` outside an object member is whatever Go's zero value of the target is.
macro_rules! null_is_zero {
    ($($method:ident => $visit:ident($zero:expr);)*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BindError> {
            match self {
                Doc::Null => v.$visit($zero),
                other => other.deserialize_any(v),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for Doc {
    type Error = BindError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BindError> {
        match self {
            Doc::Null => v.visit_unit(),
            Doc::Bool(b) => v.visit_bool(b),
            Doc::Int(i) => v.visit_i64(i),
            Doc::Uint(u) => v.visit_u64(u),
            Doc::Float(f) => v.visit_f64(f),
            Doc::Str(s) => v.visit_string(s),
            Doc::Array(items) => v.visit_seq(SeqDeserializer::new(items.into_iter())),
            Doc::Object(members) => v.visit_map(MapDeserializer::new(members.into_iter())),
        }
    }

    null_is_zero! {
        deserialize_bool => visit_bool(false);
        deserialize_i8 => visit_i64(0);
        deserialize_i16 => visit_i64(0);
        deserialize_i32 => visit_i64(0);
        deserialize_i64 => visit_i64(0);
        deserialize_u8 => visit_u64(0);
        deserialize_u16 => visit_u64(0);
        deserialize_u32 => visit_u64(0);
        deserialize_u64 => visit_u64(0);
        deserialize_f32 => visit_f64(0.0);
        deserialize_f64 => visit_f64(0.0);
        deserialize_str => visit_str("");
        deserialize_string => visit_str("");
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BindError> {
        match self {
            Doc::Null => v.visit_none(),
            other => v.visit_some(other),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BindError> {
        match self {
            Doc::Null => v.visit_seq(SeqDeserializer::new(Vec::<Doc>::new().into_iter())),
            Doc::Array(items) => v.visit_seq(SeqDeserializer::new(items.into_iter())),
            other => Err(other.type_error(&v)),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BindError> {
        match self {
            Doc::Null => v.visit_map(empty_map()),
            // Map values keep their nulls: Go stores the zero value under the key.
            Doc::Object(members) => v.visit_map(MapDeserializer::new(members.into_iter())),
            other => Err(other.type_error(&v)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, BindError> {
        match self {
            Doc::Null => v.visit_map(empty_map()),
            Doc::Object(members) => v.visit_map(MapDeserializer::new(
                struct_members(members, fields).into_iter(),
            )),
            other => Err(other.type_error(&v)),
        }
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
        // Go has no sum types; string constants are the only enums a Gin struct carries.
        match self {
            Doc::Str(s) => v.visit_enum(IntoDeserializer::<BindError>::into_deserializer(s)),
            other => Err(other.type_error(&"a string")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, BindError> {
        v.visit_unit()
    }

    forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit unit_struct tuple tuple_struct identifier
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    struct Inner {
        #[serde(default)]
        name: String,
        #[serde(default)]
        size: i64,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    struct Body {
        #[serde(default)]
        downloads: i64,
        #[serde(default)]
        private: bool,
        #[serde(default)]
        password: String,
        uri: Option<String>,
        #[serde(default)]
        uris: Vec<String>,
        #[serde(default)]
        inner: Inner,
        #[serde(default)]
        metadata: BTreeMap<String, String>,
        #[serde(rename = "type", default)]
        kind: String,
    }

    fn body(json: &str) -> Result<Body, BindError> {
        from_slice(json.as_bytes())
    }

    #[test]
    fn null_members_are_absent() {
        let b = body(r#"{"downloads":null,"private":null,"password":null,"uri":null,"uris":null,"inner":null,"metadata":null}"#).unwrap();
        assert_eq!(b, Body::default());
    }

    #[test]
    fn null_in_nested_object_is_absent() {
        let b = body(r#"{"inner":{"name":null,"size":3}}"#).unwrap();
        assert_eq!(
            b.inner,
            Inner {
                name: String::new(),
                size: 3
            }
        );
    }

    #[test]
    fn null_inside_arrays_and_maps_is_the_zero_value() {
        let b = body(r#"{"uris":["a",null],"metadata":{"k":null}}"#).unwrap();
        assert_eq!(b.uris, ["a", ""]);
        assert_eq!(b.metadata["k"], "");
    }

    #[test]
    fn null_body_binds_to_defaults() {
        assert_eq!(body("null").unwrap(), Body::default());
    }

    #[test]
    fn unknown_keys_are_ignored() {
        let b = body(r#"{"downloads":2,"nonsense":{"deep":[1,2]},"extra":null}"#).unwrap();
        assert_eq!(b.downloads, 2);
    }

    #[test]
    fn keys_match_case_insensitively_with_exact_match_preferred() {
        let b =
            body(r#"{"Password":"p","DOWNLOADS":4,"Type":"file","Inner":{"NAME":"n"}}"#).unwrap();
        assert_eq!((b.password.as_str(), b.downloads), ("p", 4));
        assert_eq!((b.kind.as_str(), b.inner.name.as_str()), ("file", "n"));
        // Members are assigned in order, so the later spelling wins either way round.
        assert_eq!(
            body(r#"{"password":"a","Password":"b"}"#).unwrap().password,
            "b"
        );
        assert_eq!(
            body(r#"{"Password":"b","password":"a"}"#).unwrap().password,
            "a"
        );
        // A later null does not undo an earlier value.
        assert_eq!(
            body(r#"{"password":"a","Password":null}"#)
                .unwrap()
                .password,
            "a"
        );
    }

    #[test]
    fn exact_field_wins_over_a_folded_one() {
        #[derive(Deserialize)]
        struct Two {
            #[serde(rename = "Name", default)]
            upper: String,
            #[serde(default)]
            name: String,
        }
        let t: Two = from_slice(br#"{"name":"x"}"#).unwrap();
        assert_eq!((t.upper.as_str(), t.name.as_str()), ("", "x"));
        let t: Two = from_slice(br#"{"NAME":"y"}"#).unwrap();
        assert_eq!((t.upper.as_str(), t.name.as_str()), ("y", ""));
    }

    #[test]
    fn types_are_strict_like_go() {
        for bad in [
            r#"{"downloads":"5"}"#,
            r#"{"downloads":1.5}"#,
            r#"{"downloads":true}"#,
            r#"{"private":"true"}"#,
            r#"{"private":1}"#,
            r#"{"password":5}"#,
            r#"{"uris":"a"}"#,
            r#"{"inner":[1]}"#,
            r#"{"downloads":99999999999999999999}"#,
            "[]",
            "\"text\"",
        ] {
            assert!(matches!(body(bad), Err(BindError::Type(_))), "{bad}");
        }
        #[derive(Deserialize, Debug)]
        struct Small {
            #[allow(dead_code)]
            n: u8,
        }
        let e = from_slice::<Small>(br#"{"n":300}"#).unwrap_err();
        assert!(matches!(e, BindError::Type(_)), "{e:?}");
        let e = from_slice::<Small>(br#"{"n":-1}"#).unwrap_err();
        assert!(matches!(e, BindError::Type(_)), "{e:?}");
    }

    #[test]
    fn empty_or_broken_bodies_are_malformed() {
        for bad in ["", "  \n", "{", r#"{"a":}"#, "nul"] {
            assert!(matches!(body(bad), Err(BindError::Malformed(_))), "{bad:?}");
        }
    }

    #[test]
    fn bytes_after_the_first_value_are_not_read() {
        assert_eq!(body(r#"{"downloads":1} trailing"#).unwrap().downloads, 1);
    }

    #[test]
    fn required_field_absent_is_missing() {
        #[derive(Deserialize, Debug)]
        struct Need {
            #[allow(dead_code)]
            refresh_token: String,
        }
        let e = from_slice::<Need>(br#"{"refresh_token":null}"#).unwrap_err();
        assert_eq!(e, BindError::Missing("refresh_token"));
    }

    #[test]
    fn free_form_values_keep_their_shape() {
        #[derive(Deserialize)]
        struct Free {
            v: serde_json::Value,
        }
        let f: Free = from_slice(br#"{"v":{"a":[1,-2,1.5,null,"s",true]}}"#).unwrap();
        assert_eq!(f.v, serde_json::json!({"a":[1,-2,1.5,null,"s",true]}));
    }
}
