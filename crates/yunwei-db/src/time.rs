//! [`Time`]: an instant as the store keeps it — microseconds since the Unix epoch, UTC, in a
//! `BIGINT` on both backends (the same comparisons, indexes and cursor values everywhere) — and
//! as the API shows it, an RFC 3339 string. A stored value outside the range of instants fails
//! the read instead of becoming 1970 or an empty string.

use std::fmt;

use sqlx::{Postgres, Sqlite};

use crate::db::UnknownStoredValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(jiff::Timestamp);

impl Time {
    pub fn now() -> Time {
        Time(jiff::Timestamp::now())
    }

    /// The instant `micros` microseconds after the epoch, if it is one.
    pub fn from_micros(micros: i64) -> Result<Time, UnknownStoredValue> {
        jiff::Timestamp::from_microsecond(micros)
            .map(Time)
            .map_err(|e| UnknownStoredValue(format!("stored instant {micros} µs is out of range: {e}")))
    }

    /// As stored: microseconds since the epoch.
    pub fn micros(self) -> i64 {
        self.0.as_microsecond()
    }

    pub fn timestamp(self) -> jiff::Timestamp {
        self.0
    }
}

impl From<jiff::Timestamp> for Time {
    fn from(t: jiff::Timestamp) -> Time {
        // Truncated to what the store keeps, so a value compares equal after a round trip.
        Time(jiff::Timestamp::from_microsecond(t.as_microsecond()).unwrap_or(t))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl serde::Serialize for Time {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl sqlx::Type<Sqlite> for Time {
    fn type_info() -> <Sqlite as sqlx::Database>::TypeInfo {
        <i64 as sqlx::Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &<Sqlite as sqlx::Database>::TypeInfo) -> bool {
        <i64 as sqlx::Type<Sqlite>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Sqlite> for Time {
    fn decode(value: <Sqlite as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Time::from_micros(<i64 as sqlx::Decode<Sqlite>>::decode(value)?)?)
    }
}

impl sqlx::Type<Postgres> for Time {
    fn type_info() -> <Postgres as sqlx::Database>::TypeInfo {
        <i64 as sqlx::Type<Postgres>>::type_info()
    }
    fn compatible(ty: &<Postgres as sqlx::Database>::TypeInfo) -> bool {
        <i64 as sqlx::Type<Postgres>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Postgres> for Time {
    fn decode(value: <Postgres as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Time::from_micros(<i64 as sqlx::Decode<Postgres>>::decode(value)?)?)
    }
}

impl<'q> sqlx::Encode<'q, Sqlite> for Time {
    fn encode_by_ref(
        &self,
        buf: &mut <Sqlite as sqlx::Database>::ArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <i64 as sqlx::Encode<Sqlite>>::encode_by_ref(&self.micros(), buf)
    }
}

impl<'q> sqlx::Encode<'q, Postgres> for Time {
    fn encode_by_ref(
        &self,
        buf: &mut <Postgres as sqlx::Database>::ArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <i64 as sqlx::Encode<Postgres>>::encode_by_ref(&self.micros(), buf)
    }
}

impl rusqlite::types::FromSql for Time {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        Time::from_micros(value.as_i64()?).map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

impl From<Time> for crate::db::Arg {
    fn from(t: Time) -> Self {
        crate::db::Arg::Int(t.micros())
    }
}

impl From<Option<Time>> for crate::db::Arg {
    fn from(t: Option<Time>) -> Self {
        crate::db::Arg::OptInt(t.map(Time::micros))
    }
}

#[cfg(test)]
mod tests {
    use super::Time;

    #[test]
    fn an_instant_round_trips_through_micros_and_shows_as_rfc_3339() {
        let t = Time::from_micros(1_764_900_000_123_456).unwrap();
        assert_eq!(t.micros(), 1_764_900_000_123_456);
        assert_eq!(serde_json::to_value(t).unwrap(), "2025-12-05T02:00:00.123456Z");
        assert_eq!(Time::from(t.timestamp()), t);
        assert!(Time::from_micros(i64::MAX).is_err());
        assert!(Time::from_micros(i64::MIN).is_err());
    }
}
