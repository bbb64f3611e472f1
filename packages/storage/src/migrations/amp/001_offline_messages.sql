-- Messages stored for later delivery (XEP-0160) and AMP deferrals (XEP-0079).
-- order_key uses the "C" collation so flush order is byte order on every server and locale.
CREATE TABLE amp.offline_messages (
  id         bigserial   PRIMARY KEY,
  key        text        NOT NULL UNIQUE,
  owner      text        NOT NULL,
  sender     text        NOT NULL,
  stanza     text        NOT NULL,
  order_key  text        COLLATE "C" NOT NULL,
  stored_at  timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NULL,
  meta       jsonb
);

-- Flush and count per owner, oldest first.
CREATE INDEX offline_messages_owner_order ON amp.offline_messages (owner, order_key, id);

-- The expiry timer scans only messages that have an expire-at.
CREATE INDEX offline_messages_expires_at ON amp.offline_messages (expires_at)
  WHERE expires_at IS NOT NULL;
