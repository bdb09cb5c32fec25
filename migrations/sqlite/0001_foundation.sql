-- Users, sessions (token families), refresh tokens, signing keys, throttling and security events.
-- Times are Unix milliseconds; generated secrets are stored only as keyed digests.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL,
    username_key  TEXT    NOT NULL UNIQUE,
    email         TEXT    NOT NULL,
    email_key     TEXT    NOT NULL UNIQUE,
    first_name    TEXT    NOT NULL DEFAULT '',
    last_name     TEXT    NOT NULL DEFAULT '',
    gender        TEXT    NOT NULL DEFAULT '',
    image         TEXT    NOT NULL DEFAULT '',
    phone         TEXT    NOT NULL DEFAULT '',
    birth_date    TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL DEFAULT 'user',
    password_hash TEXT    NOT NULL,
    is_disabled   BOOLEAN NOT NULL DEFAULT FALSE,
    created_ms    BIGINT  NOT NULL
);

CREATE TABLE sessions (
    id               TEXT    PRIMARY KEY,
    user_id          BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id        TEXT    NOT NULL,
    auth_time_ms     BIGINT  NOT NULL,
    created_ms       BIGINT  NOT NULL,
    idle_expires_ms  BIGINT  NOT NULL,
    expires_ms       BIGINT  NOT NULL,
    revoked_ms       BIGINT,
    revoke_reason    TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE refresh_tokens (
    digest       BLOB    PRIMARY KEY,
    session_id   TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    generation   BIGINT  NOT NULL,
    issued_ms    BIGINT  NOT NULL,
    consumed_ms  BIGINT
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE signing_keys (
    kid              TEXT    PRIMARY KEY,
    alg              TEXT    NOT NULL,
    private_key_enc  BLOB    NOT NULL,
    public_jwk       TEXT    NOT NULL,
    created_ms       BIGINT  NOT NULL,
    signs_from_ms    BIGINT  NOT NULL,
    retired_ms       BIGINT,
    unpublish_ms     BIGINT
);

CREATE TABLE login_throttle (
    key              TEXT    PRIMARY KEY,
    failures         BIGINT  NOT NULL,
    last_failure_ms  BIGINT  NOT NULL,
    blocked_until_ms BIGINT  NOT NULL
);

CREATE TABLE security_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL,
    user_id     BIGINT,
    session_id  TEXT,
    client_ip   TEXT,
    detail      TEXT    NOT NULL DEFAULT '',
    at_ms       BIGINT  NOT NULL
);
CREATE INDEX security_events_at ON security_events (at_ms);
