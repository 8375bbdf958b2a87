-- Sources, received events and the durable status log.
-- Times are unix milliseconds (UTC); JSON columns hold UTF-8 JSON text.

CREATE TABLE sources (
  id                     TEXT PRIMARY KEY,
  name                   TEXT NOT NULL,
  provider               TEXT NOT NULL,
  secret                 TEXT NOT NULL,
  previous_secret        TEXT,
  previous_expires_at    INTEGER,
  tolerance_seconds      INTEGER NOT NULL DEFAULT 300,
  created_at             INTEGER NOT NULL,
  updated_at             INTEGER NOT NULL
);

-- seq is the rowid: insertion order, the cursor for lists.
CREATE TABLE events (
  seq                INTEGER PRIMARY KEY,
  id                 TEXT NOT NULL UNIQUE,
  source_id          TEXT NOT NULL,
  provider           TEXT NOT NULL,
  provider_event_id  TEXT NOT NULL,
  type               TEXT NOT NULL,
  headers            TEXT NOT NULL,
  body               BLOB NOT NULL,
  received_at        INTEGER NOT NULL
);
-- Dedup: one event per (source, provider event id), whatever races or restarts happen.
CREATE UNIQUE INDEX events_dedup ON events (source_id, provider_event_id);

-- seq is the rowid without AUTOINCREMENT (which would update sqlite_sequence on every append):
-- rows are only ever pruned from the oldest end, so the largest seq is never reused.
CREATE TABLE status_log (
  seq   INTEGER PRIMARY KEY,
  type  TEXT NOT NULL,
  at    INTEGER NOT NULL,
  data  TEXT NOT NULL
);
