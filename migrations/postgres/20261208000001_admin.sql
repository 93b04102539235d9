-- Roles an account holds besides being a player (today only `admin`: the operator's
-- console). Granted and revoked with `moonlight admin grant|revoke NAME`; access tokens
-- name them, and admin requests check them here again, so a revoke acts at once.
CREATE TABLE user_roles (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, role)
);

-- Every admin action, from the console or the command line: who (an account, or `cli` for
-- the command line), what, on what, when (Unix milliseconds), and its details as JSON.
CREATE TABLE admin_audit (
    id         TEXT PRIMARY KEY,
    at_ms      BIGINT NOT NULL,
    actor_id   TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    detail     TEXT NOT NULL
);

CREATE INDEX admin_audit_at ON admin_audit (at_ms);

-- When an admin locked the account (NULL: not locked). A locked account cannot log in,
-- and locking it revokes every refresh token it has, so it cannot refresh either.
ALTER TABLE users ADD COLUMN locked_at BIGINT;
