-- Event types seen are counted off the publish path (apps/event_type_counter.h): a background
-- pass adds the messages after `message_seq` to event_types and moves it, in one transaction.
-- 0017 counted every message that existed then; the pass starts after them.
CREATE TABLE event_types_progress (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  message_seq  INTEGER NOT NULL
);
INSERT INTO event_types_progress (id, message_seq) SELECT 1, COALESCE(MAX(seq), 0) FROM messages;
