//! Account administration: creating users, setting passwords, disabling. Used by the CLI, the
//! demo data and (later) the admin API.

use super::identity::{
    check_email, check_new_password, check_role, check_username, login_key, stored_username,
    IdentityError,
};
use super::Core;
use crate::crypto::secret::Secret;
use crate::store::{NewUser, StoreError, UserRow};

/// A user to create.
#[derive(Debug, Default)]
pub struct NewAccount {
    /// Unique; stored lowercased, as [`stored_username`] keeps it.
    pub username: String,
    /// Unique, compared case-insensitively.
    pub email: String,
    /// `None` creates an account nobody can log in to until a password is set.
    pub password: Option<Secret>,
    pub first_name: String,
    pub last_name: String,
    pub gender: String,
    pub image: String,
    pub phone: String,
    pub birth_date: String,
    /// `user` or `admin`; empty means `user`.
    pub role: String,
}

/// Why an account change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A username, email, role or password failed its check.
    #[error(transparent)]
    Invalid(#[from] IdentityError),
    /// The unique username or email address is in use.
    #[error("the username or email address is already taken")]
    Taken,
    /// No user has that id, username or email.
    #[error("no such user")]
    NotFound,
    /// The store failed; the detail goes to the log, never to a client.
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for AccountError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => AccountError::Taken,
            other => AccountError::Internal(other.into()),
        }
    }
}

impl Core {
    /// Creates a user; a missing password leaves an account nobody can log in to yet.
    pub async fn create_account(&self, account: NewAccount) -> Result<UserRow, AccountError> {
        let account = NewAccount {
            username: stored_username(&account.username),
            ..account
        };

        // Check every value before paying for a hash.
        let role = if account.role.is_empty() {
            "user".to_owned()
        } else {
            account.role.clone()
        };
        check_role(&role)?;
        check_username(&account.username)?;
        check_email(&account.email)?;

        let password_hash = match &account.password {
            Some(password) => {
                check_new_password(password.expose())?;
                self.hasher
                    .hash(password)
                    .await
                    .map_err(|e| AccountError::Internal(e.into()))?
            }
            // Not a PHC string, so no password ever verifies against it.
            None => "!".to_owned(),
        };

        // Store it, then read it back as the API shows it.
        let user = NewUser {
            username_key: login_key(&account.username),
            email_key: login_key(&account.email),
            username: account.username,
            email: account.email,
            first_name: account.first_name,
            last_name: account.last_name,
            gender: account.gender,
            image: account.image,
            phone: account.phone,
            birth_date: account.birth_date,
            role,
            password_hash,
            created_ms: self.now_ms(),
        };
        let id = self.store.create_user(&user).await?;
        tracing::info!(user.id = id, "user created");
        self.store.get_user(id).await?.ok_or(AccountError::NotFound)
    }

    /// Finds a user by id, username or email.
    pub async fn find_account(&self, reference: &str) -> Result<UserRow, AccountError> {
        if let Ok(id) = reference.parse::<i64>() {
            if let Some(user) = self.store.get_user(id).await? {
                return Ok(user);
            }
        }

        self.store
            .find_user_by_login_key(&login_key(reference))
            .await?
            .ok_or(AccountError::NotFound)
    }

    /// Sets a new password and ends every session of the user.
    pub async fn set_password(&self, user_id: i64, password: &Secret) -> Result<(), AccountError> {
        check_new_password(password.expose())?;
        let hash = self
            .hasher
            .hash(password)
            .await
            .map_err(|e| AccountError::Internal(e.into()))?;

        if !self.store.set_password_hash(user_id, &hash).await? {
            return Err(AccountError::NotFound);
        }

        self.store
            .revoke_user_sessions(user_id, self.now_ms(), "password_changed")
            .await?;
        tracing::info!(user.id = user_id, "password set; sessions ended");
        Ok(())
    }

    /// Disables (or re-enables) a user; disabling ends every session.
    pub async fn set_disabled(&self, user_id: i64, disabled: bool) -> Result<(), AccountError> {
        if !self.store.set_user_disabled(user_id, disabled).await? {
            return Err(AccountError::NotFound);
        }

        if disabled {
            self.store
                .revoke_user_sessions(user_id, self.now_ms(), "user_disabled")
                .await?;
        }
        tracing::info!(user.id = user_id, disabled, "user status changed");
        Ok(())
    }
}
