-- One row that /readyz rewrites to prove a commit still goes through (a full disk fails it).
CREATE TABLE readiness (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  checked_at  INTEGER NOT NULL
);
