-- XEP-0079 events (alert, error, notify) recorded before they are sent: a worker killed between
-- the decision and the send leaves the row, and another worker sends it once its claim lapses.
-- key is the idempotency key (work key or stored message key, pass and rule index), so a
-- redelivered work item never records, and never sends, the same event twice.
CREATE TABLE amp.outbox (
  id            bigserial   PRIMARY KEY,
  key           text        NOT NULL UNIQUE,
  recipient     text        NOT NULL,
  stanza        text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- The recorder's claim: nobody else sends the event before this time.
  claimed_until timestamptz NOT NULL,
  sent_at       timestamptz NULL
);

CREATE INDEX outbox_unsent ON amp.outbox (claimed_until) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent ON amp.outbox (sent_at) WHERE sent_at IS NOT NULL;
