//! The SQL of the `clients` table, written once for every backend like the rest of the store.
//!
//! [`impl_clients!`] gives a backend inherent `clients_*` methods that the storage contract's
//! client methods call; [`bind_client!`] binds a row to [`INSERT_CLIENT`], which export and
//! import share.

/// The columns of `clients`, in [`super::ClientRow`] order.
pub(crate) const CLIENT_COLUMNS: &str = "client_id, name, secret_digest, is_public, \
     is_first_party, redirect_uris, post_logout_redirect_uris, allowed_scopes, grant_types, \
     access_token_ttl_secs, refresh_token_ttl_secs, id_token_alg, created_ms";

/// Inserts a whole row; bind it with [`bind_client!`].
pub(crate) const INSERT_CLIENT: &str = "INSERT INTO clients (client_id, name, secret_digest, \
     is_public, is_first_party, redirect_uris, post_logout_redirect_uris, allowed_scopes, \
     grant_types, access_token_ttl_secs, refresh_token_ttl_secs, id_token_alg, created_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

/// Binds every column of a [`super::ClientRow`] to a query, in [`CLIENT_COLUMNS`] order.
macro_rules! bind_client {
    ($query:expr, $c:expr) => {
        $query
            .bind(&$c.client_id)
            .bind(&$c.name)
            .bind(&$c.secret_digest)
            .bind($c.is_public)
            .bind($c.is_first_party)
            .bind(&$c.redirect_uris)
            .bind(&$c.post_logout_redirect_uris)
            .bind(&$c.allowed_scopes)
            .bind(&$c.grant_types)
            .bind($c.access_token_ttl_secs)
            .bind($c.refresh_token_ttl_secs)
            .bind(&$c.id_token_alg)
            .bind($c.created_ms)
    };
}

/// Implements the `clients_*` methods for `$store`, a struct with a `pool` field.
macro_rules! impl_clients {
    ($store:ty) => {
        impl $store {
            async fn clients_create(
                &self,
                c: &$crate::store::ClientRow,
            ) -> $crate::store::StoreResult<()> {
                let query = sqlx::query($crate::store::clients_sql::INSERT_CLIENT);
                $crate::store::clients_sql::bind_client!(query, c)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?;
                Ok(())
            }

            async fn clients_get(
                &self,
                client_id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::ClientRow>> {
                // PostgreSQL text cannot hold a NUL, so such an id names no client.
                if client_id.contains('\0') {
                    return Ok(None);
                }

                let sql = format!(
                    "SELECT {} FROM clients WHERE client_id = $1",
                    $crate::store::clients_sql::CLIENT_COLUMNS
                );
                sqlx::query_as(&sql)
                    .bind(client_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)
            }

            async fn clients_list(
                &self,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ClientRow>> {
                let sql = format!(
                    "SELECT {} FROM clients ORDER BY client_id",
                    $crate::store::clients_sql::CLIENT_COLUMNS
                );
                sqlx::query_as(&sql)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)
            }

            async fn clients_update(
                &self,
                c: &$crate::store::ClientRow,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE clients SET name = $2, secret_digest = $3, is_public = $4, \
                     is_first_party = $5, redirect_uris = $6, post_logout_redirect_uris = $7, \
                     allowed_scopes = $8, grant_types = $9, access_token_ttl_secs = $10, \
                     refresh_token_ttl_secs = $11, id_token_alg = $12 WHERE client_id = $1",
                )
                .bind(&c.client_id)
                .bind(&c.name)
                .bind(&c.secret_digest)
                .bind(c.is_public)
                .bind(c.is_first_party)
                .bind(&c.redirect_uris)
                .bind(&c.post_logout_redirect_uris)
                .bind(&c.allowed_scopes)
                .bind(&c.grant_types)
                .bind(c.access_token_ttl_secs)
                .bind(c.refresh_token_ttl_secs)
                .bind(&c.id_token_alg)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn clients_delete(&self, client_id: &str) -> $crate::store::StoreResult<bool> {
                if client_id.contains('\0') {
                    return Ok(false);
                }

                let done = sqlx::query("DELETE FROM clients WHERE client_id = $1")
                    .bind(client_id)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

pub(crate) use bind_client;
pub(crate) use impl_clients;
