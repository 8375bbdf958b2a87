-- Browser sessions (API.md, "Auth and errors"). The cookie's value is never stored: id_hash is the
-- hex SHA-256 of it, so a copy of the database yields no usable cookie. token_fingerprint ties the
-- session to the admin token that signed it in; a session made under another token is invalid.
-- Times are unix milliseconds (UTC). last_seen_at is written at most about once a minute.

CREATE TABLE sessions (
  id_hash            TEXT PRIMARY KEY,
  token_fingerprint  TEXT NOT NULL,
  created_at         INTEGER NOT NULL,
  last_seen_at       INTEGER NOT NULL
) WITHOUT ROWID;
