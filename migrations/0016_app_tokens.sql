-- Application tokens (API.md, "Applications (tenants)"): a bearer token limited to one
-- application, shown once and stored only as its SHA-256. Revoked or expired ones are kept (their
-- rows say when) and refused.
CREATE TABLE app_tokens (
  seq         INTEGER PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  app_id      TEXT NOT NULL,
  name        TEXT NOT NULL DEFAULT '',
  token_hash  TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER,
  revoked_at  INTEGER
);
CREATE INDEX app_tokens_app ON app_tokens (app_id, seq);
