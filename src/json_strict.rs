//! Strict JSON decoding: a JSON array is never accepted where a struct is expected.
//!
//! `#[derive(Deserialize)]` gives every struct a `visit_seq`, so `serde_json` accepts `[]` for a
//! struct whose fields all have `#[serde(default)]`, and `{"google": []}` fills a nested struct
//! with defaults. [`from_slice`] behaves like [`serde_json::from_slice`] except that an array
//! given for a struct (at any depth: struct fields, `Option`, `Vec` elements, map values, newtype
//! structs, struct variants of externally tagged enums) is an error built by
//! [`de::Error::invalid_type`], e.g. `invalid type: sequence, expected struct Inner at line 1
//! column 12`. Arrays stay fine wherever a sequence is what the type wants: `Vec`, tuples, tuple
//! structs, tuple variants, [`serde_json::Value`].
//!
//! How: [`ObjectsOnly`] wraps a deserializer and forwards every call to it, wrapping the visitor
//! (and through it every `SeqAccess`, `MapAccess`, `EnumAccess`, `VariantAccess` and seed), so
//! each nested value is again deserialized through `ObjectsOnly`. Only `deserialize_struct` (and
//! `VariantAccess::struct_variant`) differ: their visitor's `visit_seq` returns the error instead
//! of reading the array. Everything else (numbers, strings, borrowed strings, options, enums,
//! `deserialize_any`, `Value`, error messages) is exactly `serde_json`'s. The wrappers are
//! zero-sized-overhead newtypes that inline away; the common path costs about the same as plain
//! `serde_json`.
//!
//! Error positions: errors from the parser keep their line/column. The "sequence" error is raised
//! inside `serde_json`'s `deserialize_struct`, which stamps it with the position just after the
//! `[`, so it carries a line/column too.
//!
//! Limitation: values that serde buffers into its private `Content` before deciding their type
//! are decoded from that buffer, not from the wrapped deserializer, so they are not checked. That
//! covers the fields of a `#[serde(flatten)]` struct (the outer struct's own fields are checked),
//! untagged enums, internally tagged enums, and adjacently tagged enums whose `content` comes
//! before the tag. A struct that *contains* a flattened field is still refused as a whole when
//! given an array (derive reads it as a map and has no `visit_seq` for it).
//!
//! [`ObjectsOnly`] is public so it can be combined with other deserializer adapters, e.g.
//! `serde_path_to_error::deserialize(ObjectsOnly::new(&mut de))`.

use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};

/// Deserializes `bytes` like [`serde_json::from_slice`], except that a JSON array where a struct
/// is expected is an error (`invalid type: sequence, expected …`), at any depth.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = T::deserialize(ObjectsOnly::new(&mut de))?;
    de.end()?;
    Ok(value)
}

/// A deserializer adapter that refuses a sequence wherever a struct is expected, at any depth, and
/// otherwise behaves exactly like the deserializer it wraps.
#[derive(Debug, Clone, Copy)]
pub struct ObjectsOnly<D>(D);

impl<D> ObjectsOnly<D> {
    /// Wraps `inner`.
    pub fn new(inner: D) -> Self {
        Self(inner)
    }
}

/// A visitor wrapper; `STRUCT` makes `visit_seq` an error.
struct Wrap<V, const STRUCT: bool>(V);

/// Wraps a seed so the value it reads goes through [`ObjectsOnly`].
struct Seed<S>(S);

struct Seq<A>(A);

struct Map<A>(A);

struct Enum<A>(A);

struct Variant<A>(A);

macro_rules! forward_deserialize {
    ($($method:ident)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.0.$method(Wrap::<V, false>(visitor))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectsOnly<D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any deserialize_bool
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string
        deserialize_bytes deserialize_byte_buf deserialize_option deserialize_unit
        deserialize_seq deserialize_map deserialize_identifier deserialize_ignored_any
    }

    #[inline]
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0
            .deserialize_unit_struct(name, Wrap::<V, false>(visitor))
    }

    #[inline]
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0
            .deserialize_newtype_struct(name, Wrap::<V, false>(visitor))
    }

    #[inline]
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple(len, Wrap::<V, false>(visitor))
    }

    #[inline]
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0
            .deserialize_tuple_struct(name, len, Wrap::<V, false>(visitor))
    }

    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0
            .deserialize_struct(name, fields, Wrap::<V, true>(visitor))
    }

    #[inline]
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0
            .deserialize_enum(name, variants, Wrap::<V, false>(visitor))
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty))*) => {$(
        #[inline]
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.0.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>, const STRUCT: bool> Visitor<'de> for Wrap<V, STRUCT> {
    type Value = V::Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(formatter)
    }

    forward_visit! {
        visit_bool(bool)
        visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64) visit_i128(i128)
        visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64) visit_u128(u128)
        visit_f32(f32) visit_f64(f64) visit_char(char)
        visit_str(&str) visit_borrowed_str(&'de str) visit_string(String)
        visit_bytes(&[u8]) visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
    }

    #[inline]
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_none()
    }

    #[inline]
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_unit()
    }

    #[inline]
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.visit_some(ObjectsOnly(deserializer))
    }

    #[inline]
    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        self.0.visit_newtype_struct(ObjectsOnly(deserializer))
    }

    #[inline]
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        if STRUCT {
            Err(de::Error::invalid_type(Unexpected::Seq, &self.0))
        } else {
            self.0.visit_seq(Seq(seq))
        }
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(Map(map))
    }

    #[inline]
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.0.visit_enum(Enum(data))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(ObjectsOnly(deserializer))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<A> {
    type Error = A::Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<A> {
    type Error = A::Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Seed(seed))
    }

    #[inline]
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }

    #[inline]
    fn next_entry_seed<K: DeserializeSeed<'de>, V: DeserializeSeed<'de>>(
        &mut self,
        key: K,
        value: V,
    ) -> Result<Option<(K::Value, V::Value)>, A::Error> {
        self.0.next_entry_seed(Seed(key), Seed(value))
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<A> {
    type Error = A::Error;
    type Variant = Variant<A::Variant>;

    #[inline]
    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        self.0
            .variant_seed(Seed(seed))
            .map(|(value, variant)| (value, Variant(variant)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<A> {
    type Error = A::Error;

    #[inline]
    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    #[inline]
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }

    #[inline]
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Wrap::<V, false>(visitor))
    }

    #[inline]
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Wrap::<V, true>(visitor))
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::collections::{BTreeMap, HashMap};
    use std::fmt::Debug;

    use serde::Deserialize;
    use serde_json::Value;

    use super::{ObjectsOnly, from_slice};

    #[derive(Debug, Default, PartialEq, Deserialize)]
    #[serde(default)]
    struct Inner {
        a: u32,
        b: String,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Outer {
        #[serde(default)]
        inner: Inner,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct InOption {
        inner: Option<Inner>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct InVec {
        inner: Vec<Inner>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct InMap {
        inner: HashMap<String, Inner>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Wrapper(Inner);

    #[derive(Debug, PartialEq, Deserialize)]
    struct InNewtype {
        inner: Wrapper,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    enum Kind {
        Unit,
        Newtype(Inner),
        Tuple(u8, Inner),
        Struct {
            #[serde(default)]
            x: u8,
        },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct InEnum {
        inner: Kind,
    }

    /// Fails with us (with a "sequence" message), while plain serde_json accepts it.
    fn refused<T: serde::de::DeserializeOwned + Debug>(doc: &str) -> String {
        assert!(
            serde_json::from_str::<T>(doc).is_ok(),
            "serde_json should accept {doc}"
        );
        match from_slice::<T>(doc.as_bytes()) {
            Ok(v) => panic!("{doc} was accepted as {v:?}"),
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.contains("invalid type: sequence"), "{doc}: {msg}");
                assert!(e.line() > 0 && e.column() > 0, "{doc}: no position: {msg}");
                msg
            }
        }
    }

    /// Decodes exactly as serde_json does: same value, or the same error text.
    fn same<T: serde::de::DeserializeOwned + Debug + PartialEq>(doc: &str) {
        let ours = from_slice::<T>(doc.as_bytes()).map_err(|e| e.to_string());
        let theirs = serde_json::from_slice::<T>(doc.as_bytes()).map_err(|e| e.to_string());
        assert_eq!(ours, theirs, "{doc}");
    }

    #[test]
    fn top_level_array_for_struct_fails() {
        let msg = refused::<Inner>("[]");
        assert_eq!(
            msg,
            "invalid type: sequence, expected struct Inner at line 1 column 2"
        );
        refused::<Inner>("[7, \"x\"]");
    }

    #[test]
    fn nested_array_for_struct_fails() {
        let msg = refused::<Outer>(r#"{"inner": []}"#);
        assert!(msg.contains("expected struct Inner"), "{msg}");
        assert!(msg.contains("line 1 column 12"), "{msg}");
        refused::<Outer>("{\n  \"inner\": [1, \"b\"]\n}");
        refused::<InOption>(r#"{"inner": []}"#);
        refused::<InOption>(r#"{"inner": [3]}"#);
        refused::<InVec>(r#"{"inner": [[]]}"#);
        refused::<InVec>(r#"{"inner": [{"a": 1}, []]}"#);
        refused::<Vec<Inner>>("[[]]");
        refused::<InMap>(r#"{"inner": {"k": []}}"#);
        refused::<BTreeMap<String, Vec<Option<Inner>>>>(r#"{"k": [null, []]}"#);
        refused::<InNewtype>(r#"{"inner": []}"#);
        refused::<Wrapper>("[]");
        refused::<InEnum>(r#"{"inner": {"Struct": []}}"#);
        refused::<InEnum>(r#"{"inner": {"Newtype": []}}"#);
        refused::<InEnum>(r#"{"inner": {"Tuple": [1, []]}}"#);
        refused::<(u8, Inner)>("[1, []]");
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        #[serde(rename = "kind")]
        k: String,
        #[serde(default)]
        n: i64,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Flat {
        #[serde(rename = "flatOne")]
        one: u8,
        #[serde(default)]
        deep: Inner,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum Loose {
        Num(u64),
        Obj { a: u32 },
        List(Vec<String>),
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "type")]
    enum Tagged {
        A { v: u8 },
        B,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Pair(u8, String);

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Mixed {
        display_name: String,
        ids: Vec<u32>,
        pair: (u8, String),
        tuple_struct: Pair,
        maybe: Option<Inner>,
        maybe_not: Option<u8>,
        any: Value,
        strict: Strict,
        kinds: Vec<Kind>,
        labels: BTreeMap<String, String>,
        loose: Vec<Loose>,
        tagged: Vec<Tagged>,
        ratio: f64,
        big: i128,
        letter: char,
        unit: (),
        #[serde(flatten)]
        flat: Flat,
    }

    const MIXED: &str = r#"{
        "displayName": "Ac\u00e9 \"co\"",
        "ids": [1, 2, 3],
        "pair": [7, "seven"],
        "tupleStruct": [8, "eight"],
        "maybe": {"a": 1},
        "maybeNot": null,
        "any": {"list": [[], [1, {"x": []}]], "n": 1.5, "s": "t", "z": null},
        "strict": {"kind": "k"},
        "kinds": ["Unit", {"Newtype": {"b": "x"}}, {"Tuple": [1, {}]}, {"Struct": {"x": 2}}],
        "labels": {"b": "2", "a": "1"},
        "loose": [5, {"a": 1}, ["x", "y"]],
        "tagged": [{"type": "A", "v": 3}, {"type": "B"}],
        "ratio": -0.125e2,
        "big": -170141183460469231731687303715884105728,
        "letter": "λ",
        "unit": null,
        "flatOne": 9,
        "deep": {"a": 4, "b": "four"}
    }"#;

    #[test]
    fn valid_documents_decode_like_serde_json() {
        let mixed = from_slice::<Mixed>(MIXED.as_bytes()).expect("MIXED is valid");
        assert_eq!(mixed.flat.deep.b, "four");
        assert_eq!(mixed.any["list"][1][1]["x"], Value::Array(Vec::new()));
        same::<Mixed>(MIXED);
        same::<Value>(MIXED);
        same::<Value>(r#"[[], {"a": [[]]}, 1, "s", null, true]"#);
        same::<Vec<u32>>("[1, 2, 3]");
        same::<(u8, bool, Vec<Vec<u8>>)>("[1, false, [[], [2]]]");
        same::<Option<Inner>>("null");
        same::<Option<Inner>>(r#"{"a": 1, "b": "c"}"#);
        same::<Outer>(r#"{"inner": {"a": 5}}"#);
        same::<Outer>("{}");
        same::<InVec>(r#"{"inner": [{}, {"a": 1}]}"#);
        same::<InMap>(r#"{"inner": {"k": {"b": "v"}}}"#);
        same::<InNewtype>(r#"{"inner": {"a": 2}}"#);
        same::<InEnum>(r#"{"inner": "Unit"}"#);
        same::<Strict>(r#"{"kind": "a", "n": -3}"#);
        same::<HashMap<u32, String>>(r#"{"1": "a", "2": "b"}"#);
        same::<String>(r#""plain""#);
        same::<Value>("12345678901234567890");
    }

    #[test]
    fn errors_match_serde_json() {
        same::<Strict>(r#"{"kind": "a", "extra": 1}"#);
        same::<Strict>(r#"{"n": 1}"#);
        same::<Strict>(r#"{"kind": 5}"#);
        same::<Outer>(r#"{"inner": {"a": "x"}}"#);
        same::<Outer>(r#"{"inner": 5}"#);
        same::<Outer>(r#"{"inner": {"a": 1}} x"#);
        same::<Outer>(r#"{"inner": {"a": 1"#);
        same::<InEnum>(r#"{"inner": "Nope"}"#);
        same::<InEnum>(r#"{"inner": {"Struct": 3}}"#);
        same::<Vec<u32>>("[1, -2]");
        same::<Mixed>("{}");
        same::<Loose>("true");
        same::<Tagged>(r#"{"type": "C"}"#);
        same::<Inner>("");
    }

    #[test]
    fn borrowed_strings_stay_borrowed() {
        #[derive(Deserialize)]
        struct B<'a> {
            #[serde(borrow)]
            s: Cow<'a, str>,
        }
        let mut de = serde_json::Deserializer::from_str(r#"{"s": "borrowed"}"#);
        let b = B::deserialize(ObjectsOnly::new(&mut de)).expect("decodes");
        assert!(matches!(b.s, Cow::Borrowed("borrowed")));
    }

    /// Documents the limitation: serde buffers flattened and untagged content, so those inner
    /// structs are decoded from serde's buffer and are not checked.
    #[test]
    fn buffered_content_is_not_checked() {
        assert!(from_slice::<Flat>(br#"{"flatOne": 1, "deep": []}"#).is_err());
        #[derive(Debug, Deserialize)]
        struct HasFlat {
            #[serde(flatten)]
            flat: Flat,
        }
        let doc = r#"{"flatOne": 1, "deep": []}"#;
        let accepted = from_slice::<HasFlat>(doc.as_bytes()).expect("not checked");
        assert_eq!(accepted.flat.deep, Inner::default());
        // A struct holding a flattened field has no `visit_seq` at all, so `[]` fails anyway.
        assert!(serde_json::from_str::<HasFlat>("[]").is_err());
        assert!(from_slice::<HasFlat>(b"[]").is_err());
    }
}
