-- Accounts. Only SCRAM credentials are stored (RFC 5802 §3: salt, iteration count, StoredKey,
-- ServerKey), never a plaintext or a reversible password.
CREATE TABLE core.users (
  domain       text        NOT NULL,
  username     text        NOT NULL,
  scram_sha1   jsonb       NOT NULL,
  scram_sha256 jsonb       NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (domain, username)
);
