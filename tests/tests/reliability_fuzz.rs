//! Property-based fuzzing (proptest, bounded case counts so it fits `make test`; `make soak`
//! runs 20× more) of the response parsers and the `cloudreve://` URI codec: arbitrary bytes
//! and arbitrary JSON shaped like server answers must never panic, and the codec must round-trip.
//!
//! cargo-fuzz would need nightly and `cargo install cargo-fuzz`; proptest runs on stable in the
//! normal test run, so the parsers are fuzzed on every `make test`.

use cirrus_core::provider::cloudreve_v4::envelope::Envelope;
use cirrus_core::provider::cloudreve_v4::uri::{
    CloudreveUri, canonical, escape_component, from_path,
};
use cirrus_core::provider::cloudreve_v4::wire::{
    FileWire, ListWire, LoginWire, TokenWire, UploadSessionWire, UrlsWire, UserWire,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn cases() -> u32 {
    if cirrus_tests::soak() { 20_000 } else { 1_000 }
}

/// Keys the real answers use, so generated objects often reach the interesting fields.
const KEYS: &[&str] = &[
    "code",
    "data",
    "msg",
    "files",
    "name",
    "size",
    "path",
    "type",
    "id",
    "metadata",
    "pagination",
    "next_token",
    "session_id",
    "chunk_size",
    "expires",
    "urls",
    "url",
    "encrypt_metadata",
    "key_plain_text",
    "iv",
    "algorithm",
    "token",
    "user",
    "access_token",
    "refresh_token",
    "access_expires",
    "refresh_expires",
    "aggregated_error",
    "created_at",
    "updated_at",
    "storage_policy",
    "upload_urls",
    "credential",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<String>().prop_map(Value::String),
        Just(Value::String("cloudreve://my/../..%2F%00\u{202e}".into())),
        Just(Value::String("2024-01-01T00:00:00Z".into())),
        Just(Value::from(u64::MAX)),
        Just(Value::from(-1)),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// Everything the client does with a decoded answer, none of which may panic.
fn digest(status: u16, body: &[u8]) {
    let Ok(env) = Envelope::decode(status, body) else {
        return;
    };
    let _ = env.to_error();
    let Ok(data) = env.into_data() else {
        return;
    };
    if let Ok(l) = serde_json::from_value::<ListWire>(data.clone()) {
        for f in l.files {
            let _ = f.into_entry();
        }
    }
    if let Ok(f) = serde_json::from_value::<FileWire>(data.clone()) {
        let _ = f.into_entry();
    }
    if let Ok(t) = serde_json::from_value::<TokenWire>(data.clone()) {
        let _ = t.into_tokens();
    }
    if let Ok(u) = serde_json::from_value::<UserWire>(data.clone()) {
        let _ = u.into_user();
    }
    let _ = serde_json::from_value::<LoginWire>(data.clone());
    let _ = serde_json::from_value::<UploadSessionWire>(data.clone());
    let _ = serde_json::from_value::<UrlsWire>(data);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_the_parsers(status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..512)) {
        digest(status, &body);
    }

    #[test]
    fn arbitrary_answers_never_panic_the_parsers(status in prop::sample::select(vec![200u16, 400, 401, 429, 500, 502]), data in json_value(), code in prop_oneof![Just(0i64), any::<i64>()]) {
        let body = serde_json::json!({"code": code, "data": data, "msg": "m"});
        digest(status, body.to_string().as_bytes());
        digest(status, data.to_string().as_bytes());
    }

    #[test]
    fn any_string_parses_or_is_refused(s in ".{0,80}", tail in any::<String>()) {
        let _ = CloudreveUri::parse(&s);
        let _ = canonical(&format!("cloudreve://{s}{tail}"));
        if let Ok(u) = CloudreveUri::parse(&format!("cloudreve://my/{s}")) {
            // Whatever was parsed serialises into something that parses to the same URI.
            prop_assert_eq!(CloudreveUri::parse(&u.to_uri_string()).ok(), Some(u));
        }
    }

    #[test]
    fn names_round_trip_through_the_codec(names in prop::collection::vec("[^/]{1,24}", 1..5)) {
        let names: Vec<String> = names.into_iter().filter(|n| n != "." && n != "..").collect();
        let mut u = CloudreveUri::root("my");
        for n in &names {
            u = u.child(n);
        }
        let s = u.to_uri_string();
        let back = CloudreveUri::parse(&s).unwrap();
        prop_assert_eq!(&back.segments, &names);
        prop_assert_eq!(canonical(&s), s.clone());
        if let Some(last) = names.last() {
            prop_assert_eq!(back.name(), last.as_str());
            // An escaped segment never contains a separator or a raw NUL.
            let e = escape_component(last);
            prop_assert!(!e.contains('/') && !e.contains('\0'));
        }
        let path = format!("/{}", names.join("/"));
        if !names.iter().any(|n| n.is_empty()) {
            prop_assert_eq!(from_path(&path).segments, names);
        }
    }
}
