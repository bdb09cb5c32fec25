//! OAuth clients (apps): registration, updates, secrets and client authentication. Used by the
//! CLI and the admin API; the rules of what may be registered are in
//! [`crate::core::oauth::registration`].
//!
//! A confidential client's secret is 256 random bits with the prefix `fds_` (so secret scanners
//! can spot a leaked one). It is shown once, when it is generated, and stored only as a keyed
//! digest: checking it is one HMAC and a constant-time comparison, never a password hash.

use serde::{Deserialize, Serialize};

use super::oauth::registration::{self as rules, RegistrationError};
use super::Core;
use crate::crypto::digest::constant_time_eq;
use crate::crypto::secret::Secret;
use crate::store::{ClientRow, StoreError};

/// The prefix of every generated client secret.
pub const SECRET_PREFIX: &str = "fds_";

/// A client to register. Omitted settings take the defaults of
/// [`crate::core::oauth::registration`].
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    pub client_id: String,
    pub name: String,
    /// A public client gets no secret and must use PKCE.
    #[serde(default)]
    pub is_public: bool,
    /// A first-party client skips the consent screen.
    #[serde(default)]
    pub is_first_party: bool,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Space-separated; `None` means [`rules::DEFAULT_SCOPES`].
    pub allowed_scopes: Option<String>,
    /// `None` means [`rules::DEFAULT_GRANT_TYPES`].
    pub grant_types: Option<Vec<String>>,
    pub access_token_ttl_secs: Option<i64>,
    pub refresh_token_ttl_secs: Option<i64>,
    /// `None` means `RS256`.
    pub id_token_alg: Option<String>,
}

/// A change to a client: every field left `None` stays as it is. Whether a client is public
/// cannot change, since that decides whether it has a secret at all.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientUpdate {
    pub name: Option<String>,
    pub is_first_party: Option<bool>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub allowed_scopes: Option<String>,
    pub grant_types: Option<Vec<String>>,
    /// `Some(None)` (JSON `null`) returns to the server's default.
    #[serde(default, deserialize_with = "present")]
    pub access_token_ttl_secs: Option<Option<i64>>,
    /// `Some(None)` (JSON `null`) returns to the server's default.
    #[serde(default, deserialize_with = "present")]
    pub refresh_token_ttl_secs: Option<Option<i64>>,
    pub id_token_alg: Option<String>,
    /// Replace the secret of a confidential client; the new one is returned once.
    #[serde(default)]
    pub rotate_secret: bool,
}

/// Reads a field that is present, `null` included, as `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// A client as the CLI and the admin API show it: never its secret or the secret's digest.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    pub is_public: bool,
    pub is_first_party: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Space-separated, sorted.
    pub allowed_scopes: String,
    pub grant_types: Vec<String>,
    /// `None`: the server's default.
    pub access_token_ttl_secs: Option<i64>,
    /// `None`: the server's default.
    pub refresh_token_ttl_secs: Option<i64>,
    pub id_token_alg: String,
    pub created_ms: i64,
}

impl From<ClientRow> for Client {
    fn from(row: ClientRow) -> Self {
        let list = |text: &str| {
            text.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Client {
            redirect_uris: list(&row.redirect_uris),
            post_logout_redirect_uris: list(&row.post_logout_redirect_uris),
            grant_types: list(&row.grant_types),
            client_id: row.client_id,
            name: row.name,
            is_public: row.is_public,
            is_first_party: row.is_first_party,
            allowed_scopes: row.allowed_scopes,
            access_token_ttl_secs: row.access_token_ttl_secs,
            refresh_token_ttl_secs: row.refresh_token_ttl_secs,
            id_token_alg: row.id_token_alg,
            created_ms: row.created_ms,
        }
    }
}

/// Why a client change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A field failed its check; the message names it.
    #[error(transparent)]
    Invalid(#[from] RegistrationError),
    /// A public client has no secret to rotate.
    #[error("a public client has no secret")]
    PublicClientSecret,
    /// The client id is taken.
    #[error("a client with this client_id exists")]
    Exists,
    /// No client has that id.
    #[error("no such client")]
    NotFound,
    /// The store failed; the detail goes to the log, never to a client.
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for ClientError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => ClientError::Exists,
            other => ClientError::Internal(other.into()),
        }
    }
}

/// Why a client could not be authenticated. One variant for an unknown client, a public client
/// and a wrong secret, so the answer tells an attacker nothing.
#[derive(Debug, thiserror::Error)]
pub enum ClientAuthError {
    #[error("invalid client credentials")]
    InvalidClient,
    /// The store failed.
    #[error("internal error: {0}")]
    Internal(#[from] StoreError),
}

impl Core {
    /// Registers a client. A confidential client's secret is returned here and never again.
    pub async fn create_client(
        &self,
        new: NewClient,
    ) -> Result<(Client, Option<Secret>), ClientError> {
        rules::check_client_id(&new.client_id)?;

        // Defaults first, then every rule, on the same path an update takes.
        let mut row = ClientRow {
            client_id: new.client_id,
            name: new.name,
            secret_digest: None,
            is_public: new.is_public,
            is_first_party: new.is_first_party,
            redirect_uris: String::new(),
            post_logout_redirect_uris: String::new(),
            allowed_scopes: String::new(),
            grant_types: String::new(),
            access_token_ttl_secs: new.access_token_ttl_secs,
            refresh_token_ttl_secs: new.refresh_token_ttl_secs,
            id_token_alg: new.id_token_alg.unwrap_or_else(|| "RS256".into()),
            created_ms: self.now_ms(),
        };
        let lists = Lists {
            redirect_uris: new.redirect_uris,
            post_logout_redirect_uris: new.post_logout_redirect_uris,
            allowed_scopes: new
                .allowed_scopes
                .unwrap_or_else(|| rules::DEFAULT_SCOPES.into()),
            grant_types: new
                .grant_types
                .unwrap_or_else(|| rules::DEFAULT_GRANT_TYPES.map(String::from).to_vec()),
        };
        apply_rules(&mut row, lists)?;

        // The secret exists only in this answer; the store keeps its digest.
        let secret = (!row.is_public).then(|| self.new_client_secret());
        row.secret_digest = secret
            .as_ref()
            .map(|s| self.client_secret_digest(s.expose()));

        self.store.create_client(&row).await?;
        tracing::info!(client.id = %row.client_id, client.public = row.is_public, "client created");
        Ok((row.into(), secret))
    }

    /// The client with this id.
    pub async fn get_client(&self, client_id: &str) -> Result<Client, ClientError> {
        Ok(self.client_row(client_id).await?.into())
    }

    /// Every client, in client id order.
    pub async fn list_clients(&self) -> Result<Vec<Client>, ClientError> {
        let rows = self.store.list_clients().await?;
        Ok(rows.into_iter().map(Client::from).collect())
    }

    /// Changes a client; returns it with the new secret when one was asked for.
    pub async fn update_client(
        &self,
        client_id: &str,
        update: ClientUpdate,
    ) -> Result<(Client, Option<Secret>), ClientError> {
        let mut row = self.client_row(client_id).await?;
        let current = Client::from(row.clone());

        // Apply the given fields over the current ones, then check the result as a whole.
        row.name = update.name.unwrap_or(row.name);
        row.is_first_party = update.is_first_party.unwrap_or(row.is_first_party);
        row.access_token_ttl_secs = update
            .access_token_ttl_secs
            .unwrap_or(row.access_token_ttl_secs);
        row.refresh_token_ttl_secs = update
            .refresh_token_ttl_secs
            .unwrap_or(row.refresh_token_ttl_secs);
        row.id_token_alg = update.id_token_alg.unwrap_or(row.id_token_alg);
        let lists = Lists {
            redirect_uris: update.redirect_uris.unwrap_or(current.redirect_uris),
            post_logout_redirect_uris: update
                .post_logout_redirect_uris
                .unwrap_or(current.post_logout_redirect_uris),
            allowed_scopes: update.allowed_scopes.unwrap_or(current.allowed_scopes),
            grant_types: update.grant_types.unwrap_or(current.grant_types),
        };
        apply_rules(&mut row, lists)?;

        // A new secret replaces the old one at once.
        let secret = if update.rotate_secret {
            if row.is_public {
                return Err(ClientError::PublicClientSecret);
            }
            let secret = self.new_client_secret();
            row.secret_digest = Some(self.client_secret_digest(secret.expose()));
            Some(secret)
        } else {
            None
        };

        if !self.store.update_client(&row).await? {
            return Err(ClientError::NotFound);
        }
        tracing::info!(client.id = %row.client_id, secret.rotated = secret.is_some(), "client updated");
        Ok((row.into(), secret))
    }

    /// Deletes a client.
    pub async fn delete_client(&self, client_id: &str) -> Result<(), ClientError> {
        if rules::check_client_id(client_id).is_err()
            || !self.store.delete_client(client_id).await?
        {
            return Err(ClientError::NotFound);
        }
        tracing::info!(client.id = %client_id, "client deleted");
        Ok(())
    }

    /// Authenticates a confidential client by its secret. The work and the answer are the same
    /// whether the client is unknown, public, or the secret is wrong.
    pub async fn authenticate_client(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<Client, ClientAuthError> {
        let presented = self.client_secret_digest(secret);
        let row = match rules::check_client_id(client_id) {
            Ok(()) => self.store.get_client(client_id).await?,
            Err(_) => None,
        };

        // Compare against a stand-in digest when there is nothing real to compare against.
        let stored = row.as_ref().and_then(|r| r.secret_digest.clone());
        let is_known = stored.is_some();
        let expected = stored.unwrap_or_else(|| vec![0; presented.len()]);
        let is_match = constant_time_eq(&expected, &presented);

        match row {
            Some(row) if is_known && is_match && !row.is_public => Ok(row.into()),
            _ => Err(ClientAuthError::InvalidClient),
        }
    }

    /// The stored row of a client; an id that cannot exist is not looked up.
    async fn client_row(&self, client_id: &str) -> Result<ClientRow, ClientError> {
        if rules::check_client_id(client_id).is_err() {
            return Err(ClientError::NotFound);
        }
        self.store
            .get_client(client_id)
            .await?
            .ok_or(ClientError::NotFound)
    }

    /// A fresh secret: the prefix and 256 random bits.
    fn new_client_secret(&self) -> Secret {
        Secret::new(format!("{SECRET_PREFIX}{}", self.random.token(32)))
    }

    /// The stored form of a client secret.
    fn client_secret_digest(&self, secret: &str) -> Vec<u8> {
        self.digests.client_secret.digest(secret)
    }
}

/// The list-valued settings of a client, as given.
struct Lists {
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    allowed_scopes: String,
    grant_types: Vec<String>,
}

/// Checks every setting of `row` together with `lists` and stores the lists' canonical forms.
fn apply_rules(row: &mut ClientRow, lists: Lists) -> Result<(), RegistrationError> {
    rules::check_name(&row.name)?;
    row.grant_types = rules::check_grant_types(&lists.grant_types, row.is_public)?;
    row.redirect_uris = rules::check_redirect_uris(&lists.redirect_uris)?;
    row.post_logout_redirect_uris = rules::check_redirect_uris(&lists.post_logout_redirect_uris)?;
    row.allowed_scopes = rules::check_scopes(&lists.allowed_scopes)?;

    // Only the code flow sends users back to the app.
    let uses_code = lists.grant_types.iter().any(|g| g == "authorization_code");
    if uses_code && row.redirect_uris.is_empty() {
        return Err(RegistrationError::MissingRedirectUri);
    }

    rules::check_lifetime(
        row.access_token_ttl_secs,
        rules::ACCESS_TTL_SECS,
        "access_token_ttl_secs",
    )?;
    rules::check_lifetime(
        row.refresh_token_ttl_secs,
        rules::REFRESH_TTL_SECS,
        "refresh_token_ttl_secs",
    )?;
    rules::check_id_token_alg(&row.id_token_alg)
}
