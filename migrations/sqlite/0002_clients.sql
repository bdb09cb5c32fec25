-- OAuth clients (apps). Lists (redirect URIs, post-logout redirect URIs, scopes, grant types)
-- are space-separated text: none of their items may contain a space, and it is the form OAuth
-- itself uses for scopes. Token lifetimes are seconds; NULL means the server's default.

CREATE TABLE clients (
    client_id                  TEXT    PRIMARY KEY,
    name                       TEXT    NOT NULL,
    secret_digest              BLOB,
    is_public                  BOOLEAN NOT NULL,
    is_first_party             BOOLEAN NOT NULL DEFAULT FALSE,
    redirect_uris              TEXT    NOT NULL DEFAULT '',
    post_logout_redirect_uris  TEXT    NOT NULL DEFAULT '',
    allowed_scopes             TEXT    NOT NULL DEFAULT '',
    grant_types                TEXT    NOT NULL DEFAULT '',
    access_token_ttl_secs      BIGINT,
    refresh_token_ttl_secs     BIGINT,
    id_token_alg               TEXT    NOT NULL DEFAULT 'RS256',
    created_ms                 BIGINT  NOT NULL
);
