-- Retention (docs/DECISIONS.md, "Retention"): an event is pruned only when no message is still
-- delivered from its body, which this index answers without scanning messages.
CREATE INDEX messages_event ON messages (event_id) WHERE event_id IS NOT NULL;
