-- Outbound delivery: endpoints, messages, one delivery per (message, endpoint), attempts.
-- Times are unix milliseconds (UTC); JSON columns hold UTF-8 JSON text.

CREATE TABLE endpoints (
  id                     TEXT PRIMARY KEY,
  url                    TEXT NOT NULL,
  description            TEXT NOT NULL DEFAULT '',
  event_types            TEXT NOT NULL DEFAULT '[]',
  source_ids             TEXT NOT NULL DEFAULT '[]',
  headers                TEXT NOT NULL DEFAULT '{}',
  secret                 TEXT NOT NULL,
  previous_secret        TEXT,
  previous_expires_at    INTEGER NOT NULL DEFAULT 0,
  rate_limit_per_second  INTEGER,
  disabled               INTEGER NOT NULL DEFAULT 0,
  disabled_reason        TEXT,
  failing_since          INTEGER,
  created_at             INTEGER NOT NULL,
  updated_at             INTEGER NOT NULL
);

-- A message made from an ingested event keeps payload NULL and is delivered from events.body, so
-- the bytes are stored once.
CREATE TABLE messages (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL UNIQUE,
  event_type       TEXT NOT NULL,
  source_id        TEXT,
  event_id         TEXT,
  payload          BLOB,
  idempotency_key  TEXT,
  response         TEXT,
  created_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_idempotency ON messages (idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- attempts counts every attempt ever made; retry_index counts the failed attempts since the
-- delivery was last queued (created, retried by hand, recovered) and picks the next delay.
-- next_attempt_at is set while the delivery waits for an attempt (pending, retrying) and while a
-- worker holds it: claiming moves it to the end of the lease (lease_until), so an attempt cut off
-- by a crash is due again after restart. NULL once final.
CREATE TABLE deliveries (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL UNIQUE,
  message_id       TEXT NOT NULL,
  endpoint_id      TEXT NOT NULL,
  status           TEXT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  retry_index      INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER,
  lease_until      INTEGER,
  last_status      INTEGER,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
-- The engine claims endpoint by endpoint: due deliveries of one endpoint in order, and the
-- endpoints with any waiting delivery by a loose scan.
CREATE INDEX deliveries_due ON deliveries (endpoint_id, next_attempt_at)
  WHERE next_attempt_at IS NOT NULL;
CREATE INDEX deliveries_message ON deliveries (message_id);
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, seq);

CREATE TABLE attempts (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL UNIQUE,
  delivery_id      TEXT NOT NULL,
  number           INTEGER NOT NULL,
  started_at       INTEGER NOT NULL,
  duration_ms      INTEGER NOT NULL,
  response_status  INTEGER,
  response_body    TEXT,
  error            TEXT
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, number);
