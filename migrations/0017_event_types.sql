-- Event types seen (API.md, "Applications (tenants)"): per application, how many messages of
-- each type were made and when the last one was, so a UI can offer them when subscribing. Kept
-- by fan-out in the message's own transaction; all-time counts (retention does not lower them).
CREATE TABLE event_types (
  app_id      TEXT NOT NULL,
  event_type  TEXT NOT NULL,
  count       INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  PRIMARY KEY (app_id, event_type)
) WITHOUT ROWID;
-- Every application's types together, in type order (GET /api/v1/event-types).
CREATE INDEX event_types_type ON event_types (event_type);

-- What the messages already made say.
INSERT INTO event_types (app_id, event_type, count, last_seen)
  SELECT app_id, event_type, COUNT(*), MAX(created_at) FROM messages GROUP BY app_id, event_type;
