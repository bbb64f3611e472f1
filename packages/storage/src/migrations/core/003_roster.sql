-- Rosters (RFC 6121 §2) with versioning (XEP-0237). Owner and contact are prepared bare JIDs,
-- compared byte for byte; the "C" collation makes listing order byte order on every server.
CREATE TABLE core.roster (
  owner             text    COLLATE "C" NOT NULL,
  contact           text    COLLATE "C" NOT NULL,
  name              text    NULL,
  subscription      text    NOT NULL DEFAULT 'none'
                    CHECK (subscription IN ('none', 'to', 'from', 'both')),
  -- RFC 6121 §3.1.2: 'subscribe' while an outbound request is pending.
  ask               text    NULL CHECK (ask = 'subscribe'),
  -- RFC 6121 §3.4: a pre-approved inbound subscription.
  approved          boolean NOT NULL DEFAULT false,
  -- RFC 6121 §3.1.3: an inbound request awaiting the owner's answer, and the stanza to re-deliver.
  pending_in        boolean NOT NULL DEFAULT false,
  pending_in_stanza text    NULL,
  groups            text[]  NOT NULL DEFAULT '{}',
  -- The roster version at which this row last changed.
  version           bigint  NOT NULL,
  -- A removed item stays as a tombstone so that a client can learn of the removal (XEP-0237 §4).
  removed           boolean NOT NULL DEFAULT false,
  PRIMARY KEY (owner, contact)
);

-- Incremental roster retrieval: the rows of one owner changed after a version.
CREATE INDEX roster_owner_version ON core.roster (owner, version);

-- One row per owner that has ever had a roster change. version is the current roster version
-- (0: never changed); floor is the oldest version still served incrementally: raised when old
-- tombstones are pruned, since a client at an older version may have missed those removals.
CREATE TABLE core.roster_versions (
  owner   text   COLLATE "C" PRIMARY KEY,
  version bigint NOT NULL DEFAULT 0,
  floor   bigint NOT NULL DEFAULT 0
);
