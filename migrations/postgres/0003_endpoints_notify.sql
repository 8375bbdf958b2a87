-- Every bump of the endpoints version is announced: pg_notify('hookd_endpoints', <new version>),
-- queued in the transaction that bumps it and delivered when it commits (never when it rolls
-- back), so each node's endpoint cache can reload at once instead of within its TTL. A statement
-- touching several endpoints notifies once per row; listeners treat it as a wake-up.
CREATE OR REPLACE FUNCTION endpoints_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v bigint;
BEGIN
  UPDATE endpoints_version SET version = version + 1 WHERE id = 1 RETURNING version INTO v;
  PERFORM pg_notify('hookd_endpoints', v::text);
  RETURN NULL;
END $$;
