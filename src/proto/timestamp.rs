//! `google.protobuf.Timestamp`, ours rather than `pbjson_types`' because its proto3 JSON form must be Google's: UTC
//! with a `Z` and 0, 3, 6 or 9 fractional digits (`2026-01-01T00:00:00Z`). pbjson writes `+00:00`, which real
//! clients accept but which is not what the services send, and fixing it afterwards meant rendering every response
//! through a `serde_json::Value`. build.rs maps the proto type here for prost and pbjson alike.

// proto.rs silences lints for generated code; this file is written by hand, so they apply here.
#![warn(clippy::all)]

use chrono::{DateTime, SecondsFormat, Utc};

/// Seconds and nanoseconds since the Unix epoch, as the wire has them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, ::prost::Message)]
pub struct Timestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl Timestamp {
    /// The instant, if it is one chrono can represent (nanos in range).
    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        u32::try_from(self.nanos)
            .ok()
            .and_then(|n| DateTime::from_timestamp(self.seconds, n))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Timestamp {
            seconds: t.timestamp(),
            nanos: t.timestamp_subsec_nanos() as i32,
        }
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self
            .to_datetime()
            .ok_or_else(|| serde::ser::Error::custom("timestamp out of range"))?;
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    /// Any RFC 3339 instant, in any offset (as Google's front ends accept).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Rfc3339;
        impl serde::de::Visitor<'_> for Rfc3339 {
            type Value = Timestamp;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an RFC 3339 timestamp such as \"2026-01-01T00:00:00Z\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc).into())
                    .map_err(|e| E::custom(format!("`{v}` is not an RFC 3339 timestamp: {e}")))
            }
        }
        d.deserialize_str(Rfc3339)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn json_is_utc_with_z_and_only_the_fraction_it_needs() {
        let whole = Timestamp::from(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(
            serde_json::to_string(&whole).ok().as_deref(),
            Some("\"2026-01-01T00:00:00Z\"")
        );
        let milli = Timestamp {
            nanos: 120_000_000,
            ..whole
        };
        assert_eq!(
            serde_json::to_string(&milli).ok().as_deref(),
            Some("\"2026-01-01T00:00:00.120Z\"")
        );
        let nano = Timestamp { nanos: 1, ..whole };
        assert_eq!(
            serde_json::to_string(&nano).ok().as_deref(),
            Some("\"2026-01-01T00:00:00.000000001Z\"")
        );
    }

    #[test]
    fn any_offset_is_read_and_bad_input_is_named() {
        let t: Timestamp =
            serde_json::from_str("\"2026-01-01T03:00:00+03:00\"").unwrap_or_default();
        assert_eq!(
            t.seconds,
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .unwrap()
                .timestamp()
        );
        let err = serde_json::from_str::<Timestamp>("\"yesterday\"")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("`yesterday`")));
    }

    #[test]
    fn nanos_out_of_range_do_not_serialize() {
        let bad = Timestamp {
            seconds: 0,
            nanos: -1,
        };
        assert!(serde_json::to_string(&bad).is_err());
    }
}
