//! Configuration: a TOML file and `FRONTDESK_*` environment variables, read once at start into a
//! raw form, then checked into [`Settings`], whose values are all valid by construction.
//!
//! Nested keys are written with a double underscore in the environment:
//! `FRONTDESK_TOKENS__REFRESH_GRACE_SECONDS=10`. Every secret can also be given as a file path
//! (`master_key_file`), which keeps it out of the environment and the process list.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::core::throttle::ThrottlePolicy;
use crate::core::Policy;
use crate::crypto::keys::KeyAlg;
use crate::crypto::password::HashCost;

/// The configuration as written, before validation.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawConfig {
    /// Address and port to listen on.
    pub bind: String,
    /// Where the embedded database and the master key file live.
    pub data_dir: PathBuf,
    /// `sqlite:`, `postgres://` or `postgresql://` URL; empty means `frontdesk.db` in the data
    /// directory. Also `FRONTDESK_DATABASE_URL`.
    pub database_url: String,
    /// The public base URL of this server; tokens carry it as `iss`.
    pub issuer: String,
    /// The master key, base64 of 32 bytes. Prefer `master_key_file`.
    pub master_key: Option<String>,
    /// A file holding the master key; created with mode 0600 if missing.
    pub master_key_file: Option<PathBuf>,
    /// Add the demo users at start.
    pub demo: bool,
    /// Apply database migrations at start (`frontdesk migrate` applies them on demand). Turn it
    /// off when an operator runs `frontdesk migrate` once before a rolling upgrade.
    pub migrate_on_start: bool,
    /// Seconds between two reloads of the signing keys from the database, so that keys added
    /// by another node are published and trusted here too (docs/multi-node.md).
    pub key_reload_seconds: u32,
    /// Algorithm of newly generated signing keys: `EdDSA` or `ES256`.
    pub signing_alg: String,
    /// Mark cookies `Secure`; by default, whenever the issuer is an https URL.
    pub cookie_secure: Option<bool>,
    pub tokens: RawTokens,
    pub login: RawLogin,
    pub http: RawHttp,
}

/// Token and session lifetimes.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawTokens {
    pub access_default_minutes: u32,
    pub refresh_grace_seconds: u32,
    pub session_absolute_hours: u32,
    pub session_idle_hours: u32,
}

/// Password login: hashing and throttling.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawLogin {
    /// Concurrent Argon2id computations; 0 means one per CPU core.
    pub max_concurrent_hashes: usize,
    pub hash_memory_kib: u32,
    pub hash_passes: u32,
    pub account_free_failures: u32,
    pub address_free_failures: u32,
    pub max_delay_seconds: u32,
    pub forget_after_minutes: u32,
}

/// Request limits.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawHttp {
    pub max_body_bytes: usize,
    pub max_header_bytes: usize,
    pub request_timeout_seconds: u32,
    /// A connection that has not sent a whole request head within this time is closed.
    pub header_read_timeout_seconds: u32,
    /// Connections served at once; further clients wait to be accepted.
    pub max_connections: usize,
    /// Addresses of reverse proxies whose `X-Forwarded-For` header names the real client.
    pub trusted_proxies: Vec<String>,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database_url: String::new(),
            issuer: String::new(),
            master_key: None,
            master_key_file: None,
            demo: false,
            migrate_on_start: true,
            key_reload_seconds: 5,
            signing_alg: "EdDSA".into(),
            cookie_secure: None,
            tokens: RawTokens::default(),
            login: RawLogin::default(),
            http: RawHttp::default(),
        }
    }
}

impl Default for RawTokens {
    fn default() -> Self {
        Self {
            access_default_minutes: 60,
            refresh_grace_seconds: 5,
            session_absolute_hours: 30 * 24,
            session_idle_hours: 14 * 24,
        }
    }
}

impl Default for RawLogin {
    fn default() -> Self {
        let throttle = ThrottlePolicy::default();
        Self {
            max_concurrent_hashes: 0,
            hash_memory_kib: HashCost::OWASP.memory_kib,
            hash_passes: HashCost::OWASP.passes,
            account_free_failures: throttle.account_free_failures as u32,
            address_free_failures: throttle.address_free_failures as u32,
            max_delay_seconds: (throttle.max_delay_ms / 1000) as u32,
            forget_after_minutes: (throttle.forget_after_ms / 60_000) as u32,
        }
    }
}

impl Default for RawHttp {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            max_header_bytes: 16 * 1024,
            request_timeout_seconds: 30,
            header_read_timeout_seconds: 10,
            max_connections: 10_000,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Where the master key comes from.
#[derive(Clone, Debug)]
pub enum MasterKeySource {
    /// Given inline (base64).
    Inline(String),
    /// Read from, or created at, this path.
    File(PathBuf),
}

/// Validated settings.
#[derive(Clone, Debug)]
pub struct Settings {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub master_key: MasterKeySource,
    pub demo: bool,
    pub migrate_on_start: bool,
    pub key_reload_secs: u64,
    pub signing_alg: KeyAlg,
    pub cookie_secure: bool,
    pub hash_cost: HashCost,
    pub max_concurrent_hashes: usize,
    pub max_body_bytes: usize,
    pub max_header_bytes: usize,
    pub request_timeout_secs: u64,
    pub header_read_timeout_secs: u64,
    pub max_connections: usize,
    pub trusted_proxies: Vec<IpAddr>,
    pub policy: Policy,
}

impl RawConfig {
    /// Reads the defaults, then the TOML file (if any), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(RawConfig::default()));
        if let Some(file) = file {
            if !file.is_file() {
                bail!(
                    "the configuration file {} does not exist or is not a file",
                    file.display()
                );
            }
            figment = figment.merge(Toml::file(file));
        }
        figment = figment.merge(Env::prefixed("FRONTDESK_").split("__").ignore(&[
            "config",
            "log",
            "test_database_url",
        ]));
        figment.extract().context("invalid configuration")
    }

    /// Checks every value and derives the settings the server runs on.
    pub fn validate(self) -> anyhow::Result<Settings> {
        let bind: SocketAddr = self
            .bind
            .parse()
            .with_context(|| format!("bind: {:?} is not an address:port", self.bind))?;
        let issuer = if self.issuer.is_empty() {
            format!("http://{bind}")
        } else {
            self.issuer.trim_end_matches('/').to_owned()
        };
        let issuer_url = Url::parse(&issuer).with_context(|| format!("issuer: {issuer:?}"))?;
        if !matches!(issuer_url.scheme(), "http" | "https")
            || issuer_url.query().is_some()
            || issuer_url.fragment().is_some()
        {
            bail!("issuer: must be an http or https URL without query or fragment");
        }
        let database_url = if self.database_url.is_empty() {
            format!("sqlite:{}", self.data_dir.join("frontdesk.db").display())
        } else {
            self.database_url.clone()
        };
        if !crate::store::is_supported_url(&database_url) {
            bail!(
                "database_url: expected a {} URL",
                crate::store::SUPPORTED_SCHEMES
            );
        }
        if !(1..=3600).contains(&self.key_reload_seconds) {
            bail!("key_reload_seconds: must be 1 to 3600");
        }
        let master_key = match (self.master_key, self.master_key_file) {
            (Some(_), Some(_)) => bail!("set master_key or master_key_file, not both"),
            (Some(inline), None) => MasterKeySource::Inline(inline),
            (None, Some(file)) => MasterKeySource::File(file),
            (None, None) => MasterKeySource::File(self.data_dir.join("master.key")),
        };
        let signing_alg = KeyAlg::parse(&self.signing_alg)
            .with_context(|| format!("signing_alg: {:?} (EdDSA or ES256)", self.signing_alg))?;

        let t = &self.tokens;
        if !(1..=43_200).contains(&t.access_default_minutes) {
            bail!("tokens.access_default_minutes: must be 1 to 43200");
        }
        if t.refresh_grace_seconds > 60 {
            bail!("tokens.refresh_grace_seconds: at most 60 (it is a window for retries)");
        }
        let ten_years_hours = 10 * 366 * 24;
        if !(1..=ten_years_hours).contains(&t.session_absolute_hours)
            || !(1..=ten_years_hours).contains(&t.session_idle_hours)
        {
            bail!("tokens.session_absolute_hours and session_idle_hours: 1 to {ten_years_hours}");
        }
        let l = &self.login;
        if l.hash_memory_kib < HashCost::OWASP.memory_kib || l.hash_passes < HashCost::OWASP.passes
        {
            bail!("login.hash_memory_kib and hash_passes: at least 19456 KiB and 2 passes");
        }
        if l.hash_memory_kib > 4 * 1024 * 1024 || l.hash_passes > 100 {
            bail!("login.hash_memory_kib and hash_passes: at most 4 GiB and 100 passes");
        }
        if l.max_concurrent_hashes > 1024 {
            bail!("login.max_concurrent_hashes: at most 1024 (0 means one per core)");
        }
        if l.max_delay_seconds == 0 || l.account_free_failures == 0 || l.address_free_failures == 0
        {
            bail!("login: failure allowances and max_delay_seconds must be positive");
        }
        if l.max_delay_seconds > 86_400 || l.forget_after_minutes == 0 {
            bail!("login: max_delay_seconds at most 86400, forget_after_minutes positive");
        }
        let h = &self.http;
        if h.max_body_bytes < 1024 || h.max_header_bytes < 1024 || h.request_timeout_seconds == 0 {
            bail!("http: limits must be at least 1024 bytes and 1 second");
        }
        if h.header_read_timeout_seconds == 0 || h.max_connections == 0 {
            bail!("http.header_read_timeout_seconds and http.max_connections must be positive");
        }
        let trusted_proxies = h
            .trusted_proxies
            .iter()
            .map(|p| {
                p.parse::<IpAddr>()
                    .with_context(|| format!("http.trusted_proxies: {p:?}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;

        let hour_ms = 3_600_000i64;
        let mut policy = Policy::with_issuer(&issuer);
        policy.default_access_secs = i64::from(t.access_default_minutes) * 60;
        policy.refresh_grace_ms = i64::from(t.refresh_grace_seconds) * 1000;
        policy.session_absolute_ms = i64::from(t.session_absolute_hours) * hour_ms;
        policy.session_idle_ms = i64::from(t.session_idle_hours) * hour_ms;
        policy.throttle = ThrottlePolicy {
            account_free_failures: i64::from(l.account_free_failures),
            address_free_failures: i64::from(l.address_free_failures),
            max_delay_ms: i64::from(l.max_delay_seconds) * 1000,
            forget_after_ms: i64::from(l.forget_after_minutes) * 60_000,
            ..ThrottlePolicy::default()
        };
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        Ok(Settings {
            bind,
            data_dir: self.data_dir,
            database_url,
            master_key,
            demo: self.demo,
            migrate_on_start: self.migrate_on_start,
            key_reload_secs: u64::from(self.key_reload_seconds),
            signing_alg,
            cookie_secure: self.cookie_secure.unwrap_or(issuer_url.scheme() == "https"),
            hash_cost: HashCost {
                memory_kib: l.hash_memory_kib,
                passes: l.hash_passes,
                lanes: 1,
            },
            max_concurrent_hashes: if l.max_concurrent_hashes == 0 {
                cores
            } else {
                l.max_concurrent_hashes
            },
            max_body_bytes: h.max_body_bytes,
            max_header_bytes: h.max_header_bytes,
            request_timeout_secs: u64::from(h.request_timeout_seconds),
            header_read_timeout_secs: u64::from(h.header_read_timeout_seconds),
            max_connections: h.max_connections,
            trusted_proxies,
            policy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_to_a_plain_http_loopback_server() {
        let settings = RawConfig::default().validate().expect("defaults are valid");
        assert_eq!(settings.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.policy.issuer, "http://127.0.0.1:8080");
        assert!(!settings.cookie_secure);
        assert!(settings.database_url.ends_with("frontdesk.db"));
    }

    #[test]
    fn bad_values_are_refused_with_the_key_named() {
        let mut raw = RawConfig {
            bind: "nope".into(),
            ..RawConfig::default()
        };
        assert!(raw
            .clone()
            .validate()
            .unwrap_err()
            .to_string()
            .contains("bind"));
        raw.bind = "127.0.0.1:0".into();
        raw.tokens.access_default_minutes = 0;
        assert!(raw
            .clone()
            .validate()
            .unwrap_err()
            .to_string()
            .contains("access_default"));
        raw.tokens.access_default_minutes = 60;
        raw.login.hash_memory_kib = 1024;
        assert!(raw
            .clone()
            .validate()
            .unwrap_err()
            .to_string()
            .contains("hash_memory"));
        raw.login.hash_memory_kib = 19_456;
        raw.signing_alg = "HS256".into();
        assert!(raw
            .validate()
            .unwrap_err()
            .to_string()
            .contains("signing_alg"));
    }

    #[test]
    fn postgres_urls_are_accepted_and_unknown_schemes_refused() {
        for url in ["postgres://u@db/fd", "postgresql://u@db/fd?sslmode=require"] {
            let raw = RawConfig {
                database_url: url.into(),
                ..RawConfig::default()
            };
            assert_eq!(raw.validate().expect("valid").database_url, url);
        }
        let raw = RawConfig {
            database_url: "mysql://db/fd".into(),
            ..RawConfig::default()
        };
        assert!(raw
            .validate()
            .unwrap_err()
            .to_string()
            .contains("database_url"));
    }

    #[test]
    fn https_issuer_turns_secure_cookies_on() {
        let raw = RawConfig {
            issuer: "https://id.example.com/".into(),
            ..RawConfig::default()
        };
        let settings = raw.validate().expect("valid");
        assert!(settings.cookie_secure);
        assert_eq!(settings.policy.issuer, "https://id.example.com");
    }

    #[test]
    fn values_without_a_sane_bound_are_refused() {
        type Change = Box<dyn Fn(&mut RawConfig)>;
        let cases: Vec<(&str, Change)> = vec![
            (
                "max_concurrent_hashes",
                Box::new(|r| r.login.max_concurrent_hashes = usize::MAX),
            ),
            (
                "hash_memory_kib",
                Box::new(|r| r.login.hash_memory_kib = u32::MAX),
            ),
            ("hash_passes", Box::new(|r| r.login.hash_passes = u32::MAX)),
            (
                "session_absolute_hours",
                Box::new(|r| r.tokens.session_absolute_hours = 100_000_000),
            ),
            (
                "forget_after_minutes",
                Box::new(|r| r.login.forget_after_minutes = 0),
            ),
            (
                "trusted_proxies",
                Box::new(|r| r.http.trusted_proxies = vec!["proxy".into()]),
            ),
            ("max_connections", Box::new(|r| r.http.max_connections = 0)),
        ];
        for (key, change) in cases {
            let mut raw = RawConfig::default();
            change(&mut raw);
            let err = raw.validate().expect_err(key).to_string();
            assert!(err.contains(key), "{key}: {err}");
        }
    }

    #[test]
    fn a_directory_is_not_a_configuration_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = RawConfig::load(Some(dir.path()))
            .expect_err("a directory")
            .to_string();
        assert!(err.contains("not a file"), "{err}");
    }
}
