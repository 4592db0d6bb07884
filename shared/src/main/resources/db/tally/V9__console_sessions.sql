-- Sessions of the administrators' console: the console's cookie holds a random session ID, never
-- an access token. Only the SHA-256 of the ID is stored (dev.tally.store.ConsoleSessions).

-- A session works while it is not revoked, before expires_at, within the idle timeout of
-- last_used_at (which is updated at most once a minute), and while the access token it was made
-- from is neither revoked nor expired: each use reads the token's state with the session.
CREATE TABLE console_sessions (
    id              bigserial PRIMARY KEY,
    session_sha256  bytea       NOT NULL UNIQUE,
    access_token_id bigint      NOT NULL REFERENCES access_tokens (id) ON DELETE CASCADE,
    user_id         bigint      NOT NULL,
    created_at      timestamptz NOT NULL,
    last_used_at    timestamptz NOT NULL,
    -- The absolute end: 8 hours after sign-in, or the token's own expiry if that comes first.
    expires_at      timestamptz NOT NULL,
    -- Set at sign-out, when the token is revoked, and when a use finds the token revoked or
    -- expired.
    revoked_at      timestamptz,
    CHECK (octet_length(session_sha256) = 32)
);

-- Serves ending a token's sessions when it is revoked.
CREATE INDEX console_sessions_access_token_id ON console_sessions (access_token_id);
