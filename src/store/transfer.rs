//! The SQL of export and import, written once for every backend like the rest of the store.
//!
//! [`impl_transfer!`] gives a backend inherent `transfer_*` methods that the storage contract's
//! export and import methods call. Each backend supplies two associated constants, the only
//! backend-specific statements involved:
//!
//! - `EXPORT_SNAPSHOT`: run first inside the export transaction so that every table is read from
//!   one snapshot (PostgreSQL needs `REPEATABLE READ`; a SQLite read transaction already is one);
//! - `AFTER_IMPORT`: moves id generators past imported ids (PostgreSQL identity sequences;
//!   SQLite's `AUTOINCREMENT` follows explicit ids by itself).

/// Implements the `transfer_*` methods for `$store`, a struct with a `pool: sqlx::Pool<$db>`.
macro_rules! impl_transfer {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn transfer_count(
                &self,
                table: $crate::store::Table,
            ) -> $crate::store::StoreResult<i64> {
                let sql = format!("SELECT COUNT(*) FROM {}", table.name());
                let (n,): (i64,) = sqlx::query_as(&sql)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_err)?;
                Ok(n)
            }

            async fn transfer_export(
                &self,
                sink: &mut $crate::store::RecordSink<'_>,
            ) -> $crate::store::StoreResult<()> {
                use futures_util::TryStreamExt as _;
                use $crate::store::{
                    ClientRow, EventRecord, Record, RefreshRow, SessionRow, SigningKeyRow, ThrottleRow,
                    UserRecord,
                };

                /// Streams one query's rows into the sink as `$variant` records.
                macro_rules! stream {
                    ($tx:expr, $row:ty, $variant:path, $sql:expr) => {{
                        let mut rows = sqlx::query_as::<_, $row>($sql).fetch(&mut *$tx);
                        while let Some(row) = rows.try_next().await.map_err(map_err)? {
                            sink($variant(row))
                                .map_err(|e| $crate::store::StoreError::Backend(e.into()))?;
                        }
                    }};
                }

                // One transaction, on one snapshot, so that the tables agree with each other.
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                for statement in Self::EXPORT_SNAPSHOT {
                    sqlx::query(statement)
                        .execute(&mut *tx)
                        .await
                        .map_err(map_err)?;
                }

                stream!(
                    tx,
                    UserRecord,
                    Record::User,
                    "SELECT id, username, username_key, email, email_key, first_name, last_name, \
                     gender, image, phone, birth_date, role, password_hash, is_disabled, \
                     created_ms FROM users ORDER BY id"
                );

                stream!(
                    tx,
                    SessionRow,
                    Record::Session,
                    "SELECT id, user_id, client_id, auth_time_ms, created_ms, idle_expires_ms, \
                     expires_ms, revoked_ms, revoke_reason FROM sessions ORDER BY id"
                );

                stream!(
                    tx,
                    RefreshRow,
                    Record::Refresh,
                    "SELECT digest, session_id, generation, issued_ms, consumed_ms \
                     FROM refresh_tokens ORDER BY digest"
                );

                stream!(
                    tx,
                    SigningKeyRow,
                    Record::SigningKey,
                    "SELECT kid, alg, private_key_enc, public_jwk, created_ms, signs_from_ms, \
                     retired_ms, unpublish_ms FROM signing_keys ORDER BY kid"
                );

                stream!(
                    tx,
                    ThrottleRow,
                    Record::Throttle,
                    "SELECT key, failures, last_failure_ms, blocked_until_ms \
                     FROM login_throttle ORDER BY key"
                );

                stream!(
                    tx,
                    EventRecord,
                    Record::Event,
                    "SELECT id, kind, user_id, session_id, client_ip, detail, at_ms \
                     FROM security_events ORDER BY id"
                );

                let sql = format!(
                    "SELECT {} FROM clients ORDER BY client_id",
                    $crate::store::clients_sql::CLIENT_COLUMNS
                );
                stream!(tx, ClientRow, Record::Client, &sql);

                tx.commit().await.map_err(map_err)
            }

            async fn transfer_import(
                &self,
                records: &[$crate::store::Record],
            ) -> $crate::store::StoreResult<()> {
                use $crate::store::Record;

                // The whole batch commits or none of it does.
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                for record in records {
                    let query = match record {
                        Record::User(u) => sqlx::query(
                            "INSERT INTO users (id, username, username_key, email, email_key, \
                             first_name, last_name, gender, image, phone, birth_date, role, \
                             password_hash, is_disabled, created_ms) VALUES ($1, $2, $3, $4, \
                             $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                        )
                        .bind(u.id)
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
                        .bind(u.is_disabled)
                        .bind(u.created_ms),
                        Record::Session(s) => sqlx::query(
                            "INSERT INTO sessions (id, user_id, client_id, auth_time_ms, \
                             created_ms, idle_expires_ms, expires_ms, revoked_ms, revoke_reason) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        )
                        .bind(&s.id)
                        .bind(s.user_id)
                        .bind(&s.client_id)
                        .bind(s.auth_time_ms)
                        .bind(s.created_ms)
                        .bind(s.idle_expires_ms)
                        .bind(s.expires_ms)
                        .bind(s.revoked_ms)
                        .bind(&s.revoke_reason),
                        Record::Refresh(t) => sqlx::query(
                            "INSERT INTO refresh_tokens (digest, session_id, generation, \
                             issued_ms, consumed_ms) VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(&t.digest)
                        .bind(&t.session_id)
                        .bind(t.generation)
                        .bind(t.issued_ms)
                        .bind(t.consumed_ms),
                        Record::SigningKey(k) => sqlx::query(
                            "INSERT INTO signing_keys (kid, alg, private_key_enc, public_jwk, \
                             created_ms, signs_from_ms, retired_ms, unpublish_ms) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        )
                        .bind(&k.kid)
                        .bind(&k.alg)
                        .bind(&k.private_key_enc)
                        .bind(&k.public_jwk)
                        .bind(k.created_ms)
                        .bind(k.signs_from_ms)
                        .bind(k.retired_ms)
                        .bind(k.unpublish_ms),
                        Record::Throttle(t) => sqlx::query(
                            "INSERT INTO login_throttle (key, failures, last_failure_ms, \
                             blocked_until_ms) VALUES ($1, $2, $3, $4)",
                        )
                        .bind(&t.key)
                        .bind(t.failures)
                        .bind(t.last_failure_ms)
                        .bind(t.blocked_until_ms),
                        Record::Event(e) => sqlx::query(
                            "INSERT INTO security_events (id, kind, user_id, session_id, \
                             client_ip, detail, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        )
                        .bind(e.id)
                        .bind(&e.kind)
                        .bind(e.user_id)
                        .bind(&e.session_id)
                        .bind(&e.client_ip)
                        .bind(&e.detail)
                        .bind(e.at_ms),
                        Record::Client(c) => $crate::store::clients_sql::bind_client!(
                            sqlx::query($crate::store::clients_sql::INSERT_CLIENT),
                            c
                        ),
                    };

                    query.execute(&mut *tx).await.map_err(map_err)?;
                }

                tx.commit().await.map_err(map_err)
            }

            async fn transfer_finish(&self) -> $crate::store::StoreResult<()> {
                for statement in Self::AFTER_IMPORT {
                    sqlx::query(statement)
                        .execute(&self.pool)
                        .await
                        .map_err(map_err)?;
                }
                Ok(())
            }
        }
    };
}

pub(super) use impl_transfer;
