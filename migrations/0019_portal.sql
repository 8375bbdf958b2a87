-- The portal (API.md, "Applications (tenants)"): a one-time link opens a browser session limited
-- to one application. The link's code is kept only as its SHA-256 and can be traded once, before
-- it expires; the session it opens is an application token of kind 'portal' (read-only when the
-- link said so) that expires with the link.
ALTER TABLE app_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'token';
ALTER TABLE app_tokens ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
CREATE TABLE portal_codes (
  code_hash   TEXT PRIMARY KEY,
  app_id      TEXT NOT NULL,
  read_only   INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER
) WITHOUT ROWID;
CREATE INDEX portal_codes_expires ON portal_codes (expires_at);
