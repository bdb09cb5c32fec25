//! The rows of an export: every table, every column, independent of the backend.
//!
//! These are the types that `frontdesk export` writes and `frontdesk import` reads (the file
//! format is described in docs/export-format.md). Binary columns travel as unpadded base64url
//! strings. A table added by a later migration gets a variant in [`Table`] and in [`Record`],
//! and the compiler then points at every place that must learn about it.

use serde::{Deserialize, Serialize};

use super::{ClientRow, RefreshRow, SessionRow, SigningKeyRow, ThrottleRow};

/// A table of the schema, in the order an import must load them (parents before children).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    Users,
    Sessions,
    RefreshTokens,
    SigningKeys,
    LoginThrottle,
    SecurityEvents,
    Clients,
}

impl Table {
    /// Every table, in load order.
    pub const ALL: [Table; 7] = [
        Table::Users,
        Table::Sessions,
        Table::RefreshTokens,
        Table::SigningKeys,
        Table::LoginThrottle,
        Table::SecurityEvents,
        Table::Clients,
    ];

    /// The table's name in the schema and in export files.
    pub fn name(self) -> &'static str {
        match self {
            Table::Users => "users",
            Table::Sessions => "sessions",
            Table::RefreshTokens => "refresh_tokens",
            Table::SigningKeys => "signing_keys",
            Table::LoginThrottle => "login_throttle",
            Table::SecurityEvents => "security_events",
            Table::Clients => "clients",
        }
    }

    /// The table called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Reads one exported row of this table.
    pub fn parse(self, row: serde_json::Value) -> Result<Record, serde_json::Error> {
        Ok(match self {
            Table::Users => Record::User(serde_json::from_value(row)?),
            Table::Sessions => Record::Session(serde_json::from_value(row)?),
            Table::RefreshTokens => Record::Refresh(serde_json::from_value(row)?),
            Table::SigningKeys => Record::SigningKey(serde_json::from_value(row)?),
            Table::LoginThrottle => Record::Throttle(serde_json::from_value(row)?),
            Table::SecurityEvents => Record::Event(serde_json::from_value(row)?),
            Table::Clients => Record::Client(serde_json::from_value(row)?),
        })
    }
}

/// A complete `users` row, normalised keys included.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub username_key: String,
    pub email: String,
    pub email_key: String,
    pub first_name: String,
    pub last_name: String,
    pub gender: String,
    pub image: String,
    pub phone: String,
    pub birth_date: String,
    pub role: String,
    pub password_hash: String,
    pub is_disabled: bool,
    pub created_ms: i64,
}

/// A complete `security_events` row, id included.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRecord {
    pub id: i64,
    pub kind: String,
    pub user_id: Option<i64>,
    pub session_id: Option<String>,
    pub client_ip: Option<String>,
    pub detail: String,
    pub at_ms: i64,
}

/// One row of one table.
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    User(UserRecord),
    Session(SessionRow),
    Refresh(RefreshRow),
    SigningKey(SigningKeyRow),
    Throttle(ThrottleRow),
    Event(EventRecord),
    Client(ClientRow),
}

impl Record {
    /// The table the row belongs to.
    pub fn table(&self) -> Table {
        match self {
            Record::User(_) => Table::Users,
            Record::Session(_) => Table::Sessions,
            Record::Refresh(_) => Table::RefreshTokens,
            Record::SigningKey(_) => Table::SigningKeys,
            Record::Throttle(_) => Table::LoginThrottle,
            Record::Event(_) => Table::SecurityEvents,
            Record::Client(_) => Table::Clients,
        }
    }

    /// The row as a JSON object whose keys are the column names.
    pub fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        match self {
            Record::User(r) => serde_json::to_value(r),
            Record::Session(r) => serde_json::to_value(r),
            Record::Refresh(r) => serde_json::to_value(r),
            Record::SigningKey(r) => serde_json::to_value(r),
            Record::Throttle(r) => serde_json::to_value(r),
            Record::Event(r) => serde_json::to_value(r),
            Record::Client(r) => serde_json::to_value(r),
        }
    }
}

/// Serde for binary columns: unpadded base64url text.
pub mod base64_bytes {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the bytes as base64url without padding.
    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Reads base64url without padding.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

/// Serde for nullable binary columns: unpadded base64url text, or `null`.
pub mod base64_bytes_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the bytes as base64url without padding, or `null`.
    pub fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => super::base64_bytes::serialize(bytes, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads base64url without padding, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::base64_bytes")] Vec<u8>);

        let wrapped: Option<Wrapped> = Option::deserialize(deserializer)?;
        Ok(wrapped.map(|Wrapped(bytes)| bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_round_trip_and_binary_columns_are_base64() {
        for table in Table::ALL {
            assert_eq!(Table::from_name(table.name()), Some(table));
        }
        let row = RefreshRow {
            digest: vec![0, 255, 7],
            session_id: "s".into(),
            generation: 2,
            issued_ms: 5,
            consumed_ms: None,
        };
        let json = Record::Refresh(row.clone()).to_json().expect("json");
        assert_eq!(json["digest"], "AP8H");
        assert_eq!(
            Table::RefreshTokens.parse(json).expect("parse"),
            Record::Refresh(row)
        );
    }
}
