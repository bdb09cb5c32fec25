//! Reading request bodies the way DummyJSON clients send them: JSON or form-urlencoded. Any
//! other content type, or no body, reads as an empty object (so a login says which fields are
//! missing). Bodies past the configured size are refused with 413 before parsing.

use axum::body::to_bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use serde_json::{Map, Value};

use super::error::ApiError;
use super::AppState;

/// The fields of a JSON or form body.
#[derive(Debug, Default)]
pub struct Fields(pub Map<String, Value>);

impl FromRequest<AppState> for Fields {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();

        // A declared length over the limit is refused before reading a byte of it.
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > state.max_body_bytes as u64) {
            return Err(ApiError::BodyTooLarge);
        }

        let bytes = to_bytes(req.into_body(), state.max_body_bytes)
            .await
            .map_err(|_| ApiError::BodyTooLarge)?;

        match content_type.as_str() {
            "application/json" => parse_json(&bytes),
            "application/x-www-form-urlencoded" => Ok(parse_form(&bytes)),
            _ => Ok(Fields::default()),
        }
    }
}

/// Parses a JSON body; a blank body, or JSON that is not an object, reads as no fields.
fn parse_json(bytes: &[u8]) -> Result<Fields, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Fields::default());
    }

    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(Fields(map)),
        Ok(_) => Ok(Fields::default()),
        Err(_) => Err(ApiError::BadBody("Request body is not valid JSON")),
    }
}

/// Form fields as strings; for a repeated field the first occurrence counts.
fn parse_form(bytes: &[u8]) -> Fields {
    let mut map = Map::new();
    for (key, value) in url::form_urlencoded::parse(bytes) {
        map.entry(key.into_owned())
            .or_insert_with(|| Value::String(value.into_owned()));
    }
    Fields(map)
}

/// JavaScript truthiness, which decides DummyJSON's "required" checks.
pub fn is_truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(_) => true,
    }
}

impl Fields {
    /// A non-empty string field.
    pub fn string(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// `expiresInMins`: absent, null or empty means "the default"; a number or a numeric
    /// string is taken as minutes; anything else is out of range.
    pub fn minutes(&self, name: &str) -> Result<Option<f64>, ()> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse::<f64>().map(Some).map_err(|_| ()),
            Some(Value::Number(n)) => n.as_f64().map(Some).ok_or(()),
            Some(_) => Err(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthiness_follows_javascript() {
        assert!(!is_truthy(None));
        assert!(!is_truthy(Some(&Value::from(""))));
        assert!(!is_truthy(Some(&Value::from(0))));
        assert!(is_truthy(Some(&Value::from("x"))));
        assert!(is_truthy(Some(&Value::from(12))));
    }

    #[test]
    fn minutes_accept_numbers_and_numeric_strings() {
        let fields = |v: Value| Fields(Map::from_iter([("m".to_owned(), v)]));
        assert_eq!(fields(Value::from(30)).minutes("m"), Ok(Some(30.0)));
        assert_eq!(fields(Value::from("1.5")).minutes("m"), Ok(Some(1.5)));
        assert_eq!(fields(Value::from("")).minutes("m"), Ok(None));
        assert_eq!(fields(Value::Null).minutes("m"), Ok(None));
        assert!(fields(Value::from("abc")).minutes("m").is_err());
        assert!(fields(Value::from(true)).minutes("m").is_err());
    }

    #[test]
    fn malformed_json_is_a_clear_error_and_non_objects_read_as_empty() {
        assert!(parse_json(b"{").is_err());
        assert!(parse_json(b"[1,2]").expect("array").0.is_empty());
        assert!(parse_json(b"  ").expect("blank").0.is_empty());
    }
}
