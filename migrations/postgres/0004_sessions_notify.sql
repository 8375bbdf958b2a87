-- A deleted session (a sign-out, a revoke, the pruning of stale ones) is announced on
-- hookd_sessions when the deleting statement's transaction commits, so every node forgets the
-- sessions it validated from memory and asks the table again at their next use: a session signed
-- out through one node is refused by the others at once instead of within their cache's TTL. One
-- notification per statement that deleted at least one row (a sign-in first prunes stale
-- sessions, which most often deletes none); the payload is empty (a wake-up).
CREATE OR REPLACE FUNCTION sessions_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM gone) THEN
    PERFORM pg_notify('hookd_sessions', '');
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER sessions_deleted AFTER DELETE ON sessions
  REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION sessions_deleted();
