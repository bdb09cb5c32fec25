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
use crate::crypto::secret::Secret;

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
    /// The token the admin API (`/admin/*`) answers to, as a Bearer token; at least 32
    /// characters. Without one the admin API does not exist (404). Prefer `admin_token_file`.
    #[serde(serialize_with = "never_serialized")]
    pub admin_token: Option<Secret>,
    /// A file whose first line is the admin token.
    pub admin_token_file: Option<PathBuf>,
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
    /// The `[tokens]` table.
    pub tokens: RawTokens,
    /// The `[login]` table.
    pub login: RawLogin,
    /// The `[http]` table.
    pub http: RawHttp,
}

/// Token and session lifetimes.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawTokens {
    /// Access-token lifetime when a client names none.
    pub access_default_minutes: u32,
    /// How long a rotated-out refresh token may still be retried for the same successor.
    pub refresh_grace_seconds: u32,
    /// A session ends this long after login, however active.
    pub session_absolute_hours: u32,
    /// A session ends after this long without a refresh.
    pub session_idle_hours: u32,
}

/// Password login: hashing and throttling.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawLogin {
    /// Concurrent Argon2id computations; 0 means one per CPU core.
    pub max_concurrent_hashes: usize,
    /// Argon2id memory cost; at least the OWASP recommendation.
    pub hash_memory_kib: u32,
    /// Argon2id time cost; at least the OWASP recommendation.
    pub hash_passes: u32,
    /// Failed logins allowed per account before delays start.
    pub account_free_failures: u32,
    /// Failed logins allowed per client address before delays start.
    pub address_free_failures: u32,
    /// The longest delay imposed after repeated failures.
    pub max_delay_seconds: u32,
    /// Failures older than this no longer count.
    pub forget_after_minutes: u32,
}

/// Request limits.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawHttp {
    /// Larger request bodies are refused.
    pub max_body_bytes: usize,
    /// Larger totals of header names and values are refused with 431.
    pub max_header_bytes: usize,
    /// A request still running after this time is answered with 408.
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
            admin_token: None,
            admin_token_file: None,
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

/// Validated settings. The fields mirror [`RawConfig`], with the defaults filled in and the
/// units the server works in.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Address and port to listen on.
    pub bind: SocketAddr,
    /// Home of the embedded database and the default master key file.
    pub data_dir: PathBuf,
    /// A URL of one of [`crate::store::SUPPORTED_SCHEMES`].
    pub database_url: String,
    /// Where the master key comes from.
    pub master_key: MasterKeySource,
    /// The admin API's Bearer token; `None` turns the admin API off.
    pub admin_token: Option<Secret>,
    /// Add the demo users at start.
    pub demo: bool,
    /// Apply database migrations at start.
    pub migrate_on_start: bool,
    /// Seconds between two reloads of the signing keys from the database.
    pub key_reload_secs: u64,
    /// Algorithm of newly generated signing keys.
    pub signing_alg: KeyAlg,
    /// Mark cookies `Secure`.
    pub cookie_secure: bool,
    /// Argon2id cost of new password hashes.
    pub hash_cost: HashCost,
    /// Argon2id computations allowed at once; never 0.
    pub max_concurrent_hashes: usize,
    /// Larger request bodies are refused.
    pub max_body_bytes: usize,
    /// Larger totals of header names and values are refused.
    pub max_header_bytes: usize,
    /// A request still running after this time is answered with 408.
    pub request_timeout_secs: u64,
    /// A connection without a whole request head after this time is closed.
    pub header_read_timeout_secs: u64,
    /// Connections served at once.
    pub max_connections: usize,
    /// Reverse proxies whose `X-Forwarded-For` header names the real client.
    pub trusted_proxies: Vec<IpAddr>,
    /// The domain settings handed to the core.
    pub policy: Policy,
}

/// Serialises a secret setting as absent: secrets never leave the process through serde (the
/// raw configuration is only serialised for its defaults, where every secret is absent anyway).
fn never_serialized<S: serde::Serializer>(_: &Option<Secret>, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_none()
}

/// The top-level keys of [`RawConfig`], as the environment spells them after the prefix.
const TOP_LEVEL_KEYS: &[&str] = &[
    "bind",
    "data_dir",
    "database_url",
    "issuer",
    "master_key",
    "master_key_file",
    "admin_token",
    "admin_token_file",
    "demo",
    "migrate_on_start",
    "key_reload_seconds",
    "signing_alg",
    "cookie_secure",
    "tokens",
    "login",
    "http",
];

/// True when an environment key (prefix removed) is a configuration key or nested under one.
fn is_config_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let top = key.split("__").next().unwrap_or_default();
    TOP_LEVEL_KEYS.contains(&top)
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

        // `FRONTDESK_CONFIG`, `_LOG` and `_TEST_DATABASE_URL` are read elsewhere, not keys here.
        // Only variables that name a configuration key: the environment is shared with other
        // tools (`FRONTDESK_LOG`, test and bench settings), and those must not stop the server.
        figment = figment.merge(
            Env::prefixed("FRONTDESK_")
                .filter(|key| is_config_key(key.as_str()))
                .split("__"),
        );

        figment.extract().context("invalid configuration")
    }

    /// Checks every value and derives the settings the server runs on.
    pub fn validate(self) -> anyhow::Result<Settings> {
        // Where to listen, and the issuer URL every token names.
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

        // The database, defaulting to SQLite in the data directory.
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

        // Signing keys: how often to reload them, what seals them, how new ones are made.
        if !(1..=3600).contains(&self.key_reload_seconds) {
            bail!("key_reload_seconds: must be 1 to 3600");
        }
        let master_key = master_key_source(self.master_key, self.master_key_file, &self.data_dir)?;
        let admin_token = admin_token(self.admin_token, self.admin_token_file)?;
        let signing_alg = KeyAlg::parse(&self.signing_alg)
            .with_context(|| format!("signing_alg: {:?} (EdDSA or ES256)", self.signing_alg))?;

        // The nested tables, in the order an operator reads them.
        let (t, l, h) = (&self.tokens, &self.login, &self.http);
        check_tokens(t)?;
        check_login(l)?;
        let trusted_proxies = check_http(h)?;

        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        Ok(Settings {
            bind,
            data_dir: self.data_dir,
            database_url,
            master_key,
            admin_token,
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
            policy: domain_policy(&issuer, t, l),
        })
    }
}

/// Where the master key comes from: inline or a file, never both; by default a file in the
/// data directory.
fn master_key_source(
    inline: Option<String>,
    file: Option<PathBuf>,
    data_dir: &Path,
) -> anyhow::Result<MasterKeySource> {
    Ok(match (inline, file) {
        (Some(_), Some(_)) => bail!("set master_key or master_key_file, not both"),
        (Some(inline), None) => MasterKeySource::Inline(inline),
        (None, Some(file)) => MasterKeySource::File(file),
        (None, None) => MasterKeySource::File(data_dir.join("master.key")),
    })
}

/// The shortest admin token accepted, in characters.
const MIN_ADMIN_TOKEN_CHARS: usize = 32;

/// The admin token, inline or from the first line of a file, never both.
fn admin_token(inline: Option<Secret>, file: Option<PathBuf>) -> anyhow::Result<Option<Secret>> {
    let token = match (inline, file) {
        (Some(_), Some(_)) => bail!("set admin_token or admin_token_file, not both"),
        (Some(inline), None) => inline,
        (None, Some(path)) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("admin_token_file: reading {}", path.display()))?;
            Secret::new(text.lines().next().unwrap_or_default().trim())
        }
        (None, None) => return Ok(None),
    };

    if token.expose().chars().count() < MIN_ADMIN_TOKEN_CHARS {
        bail!("admin_token: must be at least {MIN_ADMIN_TOKEN_CHARS} characters");
    }
    Ok(Some(token))
}

/// Checks the token and session lifetimes.
fn check_tokens(t: &RawTokens) -> anyhow::Result<()> {
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
    Ok(())
}

/// Checks the password-hashing cost and the throttling allowances.
fn check_login(l: &RawLogin) -> anyhow::Result<()> {
    // Hashing: no weaker than OWASP, no dearer than a server can bear.
    if l.hash_memory_kib < HashCost::OWASP.memory_kib || l.hash_passes < HashCost::OWASP.passes {
        bail!("login.hash_memory_kib and hash_passes: at least 19456 KiB and 2 passes");
    }
    if l.hash_memory_kib > 4 * 1024 * 1024 || l.hash_passes > 100 {
        bail!("login.hash_memory_kib and hash_passes: at most 4 GiB and 100 passes");
    }
    if l.max_concurrent_hashes > 1024 {
        bail!("login.max_concurrent_hashes: at most 1024 (0 means one per core)");
    }

    // Throttling.
    if l.max_delay_seconds == 0 || l.account_free_failures == 0 || l.address_free_failures == 0 {
        bail!("login: failure allowances and max_delay_seconds must be positive");
    }
    if l.max_delay_seconds > 86_400 || l.forget_after_minutes == 0 {
        bail!("login: max_delay_seconds at most 86400, forget_after_minutes positive");
    }
    Ok(())
}

/// Checks the request limits and parses the trusted proxy addresses.
fn check_http(h: &RawHttp) -> anyhow::Result<Vec<IpAddr>> {
    if h.max_body_bytes < 1024 || h.max_header_bytes < 1024 || h.request_timeout_seconds == 0 {
        bail!("http: limits must be at least 1024 bytes and 1 second");
    }
    if h.header_read_timeout_seconds == 0 || h.max_connections == 0 {
        bail!("http.header_read_timeout_seconds and http.max_connections must be positive");
    }

    h.trusted_proxies
        .iter()
        .map(|p| {
            p.parse::<IpAddr>()
                .with_context(|| format!("http.trusted_proxies: {p:?}"))
        })
        .collect()
}

/// The domain settings, in the units the core counts in.
fn domain_policy(issuer: &str, t: &RawTokens, l: &RawLogin) -> Policy {
    let hour_ms = 3_600_000i64;
    let mut policy = Policy::with_issuer(issuer);
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
    policy
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

    #[test]
    fn admin_token_is_inline_or_a_file_long_enough_and_redacted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("admin-token");
        std::fs::write(&file, format!("{}\n", "t".repeat(40))).expect("write");
        let long = Secret::new("s".repeat(32));

        let settings = RawConfig {
            admin_token_file: Some(file.clone()),
            ..RawConfig::default()
        };
        let settings = settings.validate().expect("valid");
        assert_eq!(settings.admin_token, Some(Secret::new("t".repeat(40))));
        assert!(!format!("{settings:?}").contains("tttt"));
        assert_eq!(
            RawConfig::default().validate().expect("valid").admin_token,
            None
        );

        let both = RawConfig {
            admin_token: Some(long),
            admin_token_file: Some(file),
            ..RawConfig::default()
        };
        assert!(both.validate().is_err());
        let short = RawConfig {
            admin_token: Some(Secret::new("short")),
            ..RawConfig::default()
        };
        let err = short.validate().expect_err("too short").to_string();
        assert!(err.contains("admin_token"), "{err}");
    }

    #[test]
    fn environment_keys_are_filtered_to_configuration_keys() {
        assert!(is_config_key("BIND"));
        assert!(is_config_key("TOKENS__REFRESH_GRACE_SECONDS"));
        assert!(!is_config_key("LOG"));
        assert!(!is_config_key("BIN"));
        assert!(!is_config_key("TEST_DATABASE_URL"));
        assert!(!is_config_key("BINDX"));
    }

    #[test]
    fn a_complete_raw_config_round_trips_through_the_top_level_key_list() {
        let value = serde_json::to_value(RawConfig::default()).expect("serialise");
        let keys: Vec<&str> = value
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, TOP_LEVEL_KEYS);
    }
}
