//! The SQL behind the storage contract, written once for every backend.
//!
//! SQLite (3.35 and later) and PostgreSQL both understand `$n` placeholders, `RETURNING` and
//! `ON CONFLICT`, so one text per query serves both; [`impl_store!`] instantiates the trait for a
//! backend's pool type. Schema differences live in each backend's migrations only.
//!
//! Every statement here is safe under PostgreSQL's default `READ COMMITTED` isolation with
//! several nodes: the atomic rules are single statements whose `WHERE` clause is re-checked
//! after a concurrent writer commits (`UPDATE … WHERE consumed_ms IS NULL RETURNING`), or
//! upserts (`ON CONFLICT`), so none of them can fail with a serialization error.

use super::StoreError;

/// Maps a driver error onto the contract's error: unique violations become `Conflict`.
pub(super) fn map_err(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::Backend(Box::new(err)),
    }
}

/// The columns of `users`, in [`super::UserRow`] order.
pub(super) const USER_COLUMNS: &str = "id, username, email, first_name, last_name, gender, image, \
     phone, birth_date, role, password_hash, is_disabled, created_ms";

/// The columns of `sessions`, in [`super::SessionRow`] order.
pub(super) const SESSION_COLUMNS: &str = "id, user_id, client_id, auth_time_ms, created_ms, \
     idle_expires_ms, expires_ms, revoked_ms, revoke_reason";

/// Implements [`super::Store`] for `$store`, a struct with a `pool: sqlx::Pool<$db>` field.
macro_rules! impl_store {
    ($store:ty, $db:ty) => {
        $crate::store::transfer::impl_transfer!($store, $db);
        $crate::store::clients_sql::impl_clients!($store);

        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            async fn ping(&self) -> $crate::store::StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await.map_err(map_err)?;
                Ok(())
            }

            async fn create_user(&self, u: &NewUser) -> StoreResult<i64> {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO users (username, username_key, email, email_key, first_name, \
                     last_name, gender, image, phone, birth_date, role, password_hash, created_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                )
                .bind(&u.username)
                .bind(&u.username_key)
                .bind(&u.email)
                .bind(&u.email_key)
                .bind(&u.first_name)
                .bind(&u.last_name)
                .bind(&u.gender)
                .bind(&u.image)
                .bind(&u.phone)
                .bind(&u.birth_date)
                .bind(&u.role)
                .bind(&u.password_hash)
                .bind(u.created_ms)
                .fetch_one(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(id)
            }

            async fn find_user_by_login_key(&self, key: &str) -> StoreResult<Option<UserRow>> {
                // No stored key holds a NUL (PostgreSQL text cannot), so such a key names
                // nobody on either backend; PostgreSQL would refuse the parameter outright.
                if key.contains('\0') {
                    return Ok(None);
                }

                let sql = format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE username_key = $1 OR email_key = $1"
                );
                sqlx::query_as(&sql).bind(key).fetch_optional(&self.pool).await.map_err(map_err)
            }

            async fn get_user(&self, id: i64) -> StoreResult<Option<UserRow>> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
                sqlx::query_as(&sql).bind(id).fetch_optional(&self.pool).await.map_err(map_err)
            }

            async fn list_users(&self) -> StoreResult<Vec<UserRow>> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
                sqlx::query_as(&sql).fetch_all(&self.pool).await.map_err(map_err)
            }

            async fn count_users(&self) -> StoreResult<i64> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_err)?;
                Ok(n)
            }

            async fn set_user_disabled(&self, id: i64, disabled: bool) -> StoreResult<bool> {
                let done = sqlx::query("UPDATE users SET is_disabled = $1 WHERE id = $2")
                    .bind(disabled)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_password_hash(&self, id: i64, hash: &str) -> StoreResult<bool> {
                let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(hash)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn create_session(&self, s: &SessionRow, first: &RefreshRow) -> StoreResult<()> {
                // The session and its first refresh token exist together or not at all.
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                sqlx::query(
                    "INSERT INTO sessions (id, user_id, client_id, auth_time_ms, created_ms, \
                     idle_expires_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&s.id)
                .bind(s.user_id)
                .bind(&s.client_id)
                .bind(s.auth_time_ms)
                .bind(s.created_ms)
                .bind(s.idle_expires_ms)
                .bind(s.expires_ms)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;

                sqlx::query(
                    "INSERT INTO refresh_tokens (digest, session_id, generation, issued_ms) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&first.digest)
                .bind(&first.session_id)
                .bind(first.generation)
                .bind(first.issued_ms)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
                tx.commit().await.map_err(map_err)
            }

            async fn get_session(&self, id: &str) -> StoreResult<Option<SessionRow>> {
                let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
                sqlx::query_as(&sql).bind(id).fetch_optional(&self.pool).await.map_err(map_err)
            }

            async fn get_session_with_user(
                &self,
                id: &str,
            ) -> StoreResult<Option<(SessionRow, UserRow)>> {
                let Some(session) = self.get_session(id).await? else {
                    return Ok(None);
                };

                let user = self.get_user(session.user_id).await?;
                Ok(user.map(|user| (session, user)))
            }

            async fn consume_refresh(
                &self,
                digest: &[u8],
                now_ms: i64,
            ) -> StoreResult<Option<RefreshRow>> {
                sqlx::query_as(
                    "UPDATE refresh_tokens SET consumed_ms = $1 \
                     WHERE digest = $2 AND consumed_ms IS NULL \
                     RETURNING digest, session_id, generation, issued_ms, consumed_ms",
                )
                .bind(now_ms)
                .bind(digest)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)
            }

            async fn find_refresh(&self, digest: &[u8]) -> StoreResult<Option<RefreshRow>> {
                sqlx::query_as(
                    "SELECT digest, session_id, generation, issued_ms, consumed_ms \
                     FROM refresh_tokens WHERE digest = $1",
                )
                .bind(digest)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)
            }

            async fn insert_refresh_if_absent(&self, t: &RefreshRow) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO refresh_tokens (digest, session_id, generation, issued_ms) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (digest) DO NOTHING",
                )
                .bind(&t.digest)
                .bind(&t.session_id)
                .bind(t.generation)
                .bind(t.issued_ms)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(())
            }

            async fn touch_session(&self, id: &str, idle_expires_ms: i64) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE sessions SET idle_expires_ms = $1 \
                     WHERE id = $2 AND revoked_ms IS NULL AND idle_expires_ms < $1",
                )
                .bind(idle_expires_ms)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(())
            }

            async fn revoke_session(&self, id: &str, now_ms: i64, reason: &str) -> StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE sessions SET revoked_ms = $1, revoke_reason = $2 \
                     WHERE id = $3 AND revoked_ms IS NULL",
                )
                .bind(now_ms)
                .bind(reason)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn revoke_user_sessions(
                &self,
                user_id: i64,
                now_ms: i64,
                reason: &str,
            ) -> StoreResult<u64> {
                let done = sqlx::query(
                    "UPDATE sessions SET revoked_ms = $1, revoke_reason = $2 \
                     WHERE user_id = $3 AND revoked_ms IS NULL",
                )
                .bind(now_ms)
                .bind(reason)
                .bind(user_id)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(done.rows_affected())
            }

            async fn list_signing_keys(&self) -> StoreResult<Vec<SigningKeyRow>> {
                sqlx::query_as(
                    "SELECT kid, alg, private_key_enc, public_jwk, created_ms, signs_from_ms, \
                     retired_ms, unpublish_ms FROM signing_keys ORDER BY created_ms, kid",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)
            }

            async fn insert_signing_key(&self, k: &SigningKeyRow) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO signing_keys (kid, alg, private_key_enc, public_jwk, created_ms, \
                     signs_from_ms, retired_ms, unpublish_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&k.kid)
                .bind(&k.alg)
                .bind(&k.private_key_enc)
                .bind(&k.public_jwk)
                .bind(k.created_ms)
                .bind(k.signs_from_ms)
                .bind(k.retired_ms)
                .bind(k.unpublish_ms)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(())
            }

            async fn get_throttle(&self, key: &str) -> StoreResult<Option<ThrottleRow>> {
                sqlx::query_as(
                    "SELECT key, failures, last_failure_ms, blocked_until_ms \
                     FROM login_throttle WHERE key = $1",
                )
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)
            }

            async fn swap_throttle(
                &self,
                expected: Option<&ThrottleRow>,
                next: &ThrottleRow,
            ) -> StoreResult<bool> {
                // Compare-and-swap: insert where no row was seen, else update the row only as seen.
                let done = match expected {
                    None => sqlx::query(
                        "INSERT INTO login_throttle \
                         (key, failures, last_failure_ms, blocked_until_ms) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING",
                    )
                    .bind(&next.key)
                    .bind(next.failures)
                    .bind(next.last_failure_ms)
                    .bind(next.blocked_until_ms)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?,
                    Some(old) => sqlx::query(
                        "UPDATE login_throttle \
                         SET failures = $1, last_failure_ms = $2, blocked_until_ms = $3 \
                         WHERE key = $4 AND failures = $5 AND last_failure_ms = $6 \
                           AND blocked_until_ms = $7",
                    )
                    .bind(next.failures)
                    .bind(next.last_failure_ms)
                    .bind(next.blocked_until_ms)
                    .bind(&next.key)
                    .bind(old.failures)
                    .bind(old.last_failure_ms)
                    .bind(old.blocked_until_ms)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?,
                };
                Ok(done.rows_affected() == 1)
            }

            async fn clear_throttle(&self, key: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM login_throttle WHERE key = $1")
                    .bind(key)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?;
                Ok(())
            }

            async fn create_client(&self, c: &$crate::store::ClientRow) -> StoreResult<()> {
                self.clients_create(c).await
            }

            async fn get_client(&self, id: &str) -> StoreResult<Option<$crate::store::ClientRow>> {
                self.clients_get(id).await
            }

            async fn list_clients(&self) -> StoreResult<Vec<$crate::store::ClientRow>> {
                self.clients_list().await
            }

            async fn update_client(&self, c: &$crate::store::ClientRow) -> StoreResult<bool> {
                self.clients_update(c).await
            }

            async fn delete_client(&self, id: &str) -> StoreResult<bool> {
                self.clients_delete(id).await
            }

            async fn record_event(&self, e: &SecurityEvent) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO security_events (kind, user_id, session_id, client_ip, detail, \
                     at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&e.kind)
                .bind(e.user_id)
                .bind(&e.session_id)
                .bind(&e.client_ip)
                .bind(&e.detail)
                .bind(e.at_ms)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(())
            }

            async fn list_events(&self, limit: i64) -> StoreResult<Vec<SecurityEvent>> {
                sqlx::query_as(
                    "SELECT kind, user_id, session_id, client_ip, detail, at_ms \
                     FROM security_events ORDER BY id DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)
            }

            async fn count_rows(&self, table: $crate::store::Table) -> StoreResult<i64> {
                self.transfer_count(table).await
            }

            async fn export_rows(&self, sink: &mut $crate::store::RecordSink<'_>) -> StoreResult<()> {
                self.transfer_export(sink).await
            }

            async fn import_rows(&self, records: &[$crate::store::Record]) -> StoreResult<()> {
                self.transfer_import(records).await
            }

            async fn finish_import(&self) -> StoreResult<()> {
                self.transfer_finish().await
            }
        }
    };
}

pub(super) use impl_store;
