-- Per-account data of the everyday XEPs. Owners are prepared bare JIDs (byte-compared, "C").

-- XEP-0191 block lists: one row per blocked JID (bare, full, domain or domain/resource, §4).
CREATE TABLE core.blocklist (
  owner text COLLATE "C" NOT NULL,
  jid   text COLLATE "C" NOT NULL,
  PRIMARY KEY (owner, jid)
);

-- Bumped on every change of an owner's block list: the router's Redis copy of a list is replaced
-- only by a newer version, so concurrent writers and loaders converge on the latest list.
CREATE TABLE core.blocklist_versions (
  owner   text   COLLATE "C" PRIMARY KEY,
  version bigint NOT NULL
);

-- XML kept for an account: the vCard (XEP-0054, kind 'vcard', key '') and private XML storage
-- (XEP-0049, kind 'private', key '<name> <namespace>' of the stored element).
CREATE TABLE core.account_xml (
  owner text COLLATE "C" NOT NULL,
  kind  text NOT NULL CHECK (kind IN ('vcard', 'private')),
  key   text COLLATE "C" NOT NULL,
  xml   text NOT NULL,
  PRIMARY KEY (owner, kind, key)
);

-- XEP-0012: when the account's last session ended, and the status of its last unavailable presence.
CREATE TABLE core.last_activity (
  owner  text        COLLATE "C" PRIMARY KEY,
  at     timestamptz NOT NULL,
  status text        NOT NULL DEFAULT ''
);
