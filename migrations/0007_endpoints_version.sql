-- A counter of the endpoint changes fan-out depends on (docs/DECISIONS.md, "Fan-out checks the
-- endpoints version in its transaction"). The triggers bump it in the transaction that makes the
-- change, whichever connection or process makes it: an endpoint added or deleted, or one whose
-- id, url, subscriptions or enabled state changed. The delivery engine's frequent bookkeeping
-- (failing_since, circuit, circuit_retry_at) and edits of other columns leave it alone.
CREATE TABLE endpoints_version (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  version  INTEGER NOT NULL
);
INSERT INTO endpoints_version (id, version) VALUES (1, 0);

CREATE TRIGGER endpoints_version_on_insert AFTER INSERT ON endpoints
BEGIN
  UPDATE endpoints_version SET version = version + 1 WHERE id = 1;
END;

CREATE TRIGGER endpoints_version_on_delete AFTER DELETE ON endpoints
BEGIN
  UPDATE endpoints_version SET version = version + 1 WHERE id = 1;
END;

-- UPDATE OF fires whenever a column is assigned (EndpointStore assigns them all), so the WHEN
-- clause counts only real changes.
CREATE TRIGGER endpoints_version_on_update
AFTER UPDATE OF id, url, event_types, source_ids, disabled ON endpoints
WHEN OLD.id IS NOT NEW.id OR OLD.url IS NOT NEW.url OR OLD.event_types IS NOT NEW.event_types
  OR OLD.source_ids IS NOT NEW.source_ids OR OLD.disabled IS NOT NEW.disabled
BEGIN
  UPDATE endpoints_version SET version = version + 1 WHERE id = 1;
END;
