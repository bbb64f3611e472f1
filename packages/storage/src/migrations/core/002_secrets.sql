-- Server-wide secrets shared by every router (e.g. the key that derives the fake SCRAM salt of
-- an unknown user, so that a salt never tells whether an account exists). Created on first use.
CREATE TABLE core.secrets (
  name       text        PRIMARY KEY,
  value      bytea       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
