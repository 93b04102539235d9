-- Accounts and refresh tokens. Timestamps are Unix seconds.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    -- as the player typed it, for display
    username      TEXT NOT NULL,
    -- lower-cased, so "Luna" and "luna" cannot both exist
    username_key  TEXT NOT NULL,
    -- Argon2id PHC string
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    CONSTRAINT users_username_key UNIQUE (username_key)
);

-- A family is one login's chain of refresh tokens. Reusing a spent token revokes the
-- whole family; the family's expiry is absolute (rotation does not extend it).
CREATE TABLE refresh_families (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT,
    revoke_reason TEXT
);

CREATE INDEX refresh_families_user ON refresh_families (user_id);

-- Only a SHA-256 of each token is stored; the token itself exists only on the client.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    issued_at  BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Failed-login backoff, keyed by the normalised username whether or not the account
-- exists, so the backoff itself does not reveal which usernames are taken.
CREATE TABLE login_failures (
    username_key TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);
