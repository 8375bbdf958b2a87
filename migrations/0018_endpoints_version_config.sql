-- The endpoints version (migrations/0007) also counts changes of what the delivery engine reads
-- from an endpoint besides fan-out's columns: its headers, secrets, rate limit, forwarded headers
-- and description. The engine's snapshot then reloads only when the version moved, not every
-- second: with 110,000 endpoints the reload was most of a core (docs/DECISIONS.md, "The engine's
-- endpoint snapshot reloads when the endpoints version moves"). The engine's own bookkeeping
-- (failing_since, circuit, circuit_retry_at) and updated_at still leave it alone.
DROP TRIGGER endpoints_version_on_update;
CREATE TRIGGER endpoints_version_on_update
AFTER UPDATE OF id, url, event_types, source_ids, disabled, headers, secret, previous_secrets,
  rate_limit_per_second, forward_headers, description ON endpoints
WHEN OLD.id IS NOT NEW.id OR OLD.url IS NOT NEW.url OR OLD.event_types IS NOT NEW.event_types
  OR OLD.source_ids IS NOT NEW.source_ids OR OLD.disabled IS NOT NEW.disabled
  OR OLD.headers IS NOT NEW.headers OR OLD.secret IS NOT NEW.secret
  OR OLD.previous_secrets IS NOT NEW.previous_secrets
  OR OLD.rate_limit_per_second IS NOT NEW.rate_limit_per_second
  OR OLD.forward_headers IS NOT NEW.forward_headers OR OLD.description IS NOT NEW.description
BEGIN
  UPDATE endpoints_version SET version = version + 1 WHERE id = 1;
END;
