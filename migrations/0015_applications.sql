-- Applications (API.md, "Applications (tenants)"): endpoints, messages, deliveries and sources
-- belong to one. What existed before belongs to the application `default` (id app_default, the
-- same on every database, so several nodes and a restored backup agree on it).
CREATE TABLE applications (
  seq         INTEGER PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  uid         TEXT,
  name        TEXT NOT NULL,
  metadata    TEXT NOT NULL DEFAULT '{}',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  deleted_at  INTEGER
);
-- A uid names one live application; a deleted one gives its uid up at once.
CREATE UNIQUE INDEX applications_uid ON applications (uid)
  WHERE uid IS NOT NULL AND deleted_at IS NULL;

-- The deleted ones awaiting removal (apps/app_reaper.h looks for them every few seconds).
CREATE INDEX applications_deleted ON applications (id) WHERE deleted_at IS NOT NULL;

INSERT INTO applications (id, uid, name, created_at, updated_at)
  VALUES ('app_default', 'default', 'Default', CAST(strftime('%s', 'now') AS INTEGER) * 1000,
          CAST(strftime('%s', 'now') AS INTEGER) * 1000);

-- A constant default fills existing rows without rewriting them (SQLite stores it in the schema).
ALTER TABLE sources ADD COLUMN app_id TEXT NOT NULL DEFAULT 'app_default';
ALTER TABLE endpoints ADD COLUMN app_id TEXT NOT NULL DEFAULT 'app_default';
ALTER TABLE messages ADD COLUMN app_id TEXT NOT NULL DEFAULT 'app_default';
ALTER TABLE deliveries ADD COLUMN app_id TEXT NOT NULL DEFAULT 'app_default';

-- An application's endpoints (fan-out, its endpoint list), and its messages and deliveries in
-- list order.
CREATE INDEX endpoints_app ON endpoints (app_id, id);
CREATE INDEX messages_app ON messages (app_id, seq);
CREATE INDEX deliveries_app ON deliveries (app_id, seq);

-- An Idempotency-Key is the application's own: two applications may use the same key.
DROP INDEX messages_idempotency;
CREATE UNIQUE INDEX messages_idempotency ON messages (app_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
