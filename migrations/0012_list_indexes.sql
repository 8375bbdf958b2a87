-- Indexes for the message and delivery lists (deliver/list_queries.cc): messages of one event
-- type newest first, and failed deliveries, which are few among many and can be weeks old. Only
-- a delivery that fails for good (or is retried from failed) touches deliveries_failed, so the
-- path of a delivery that succeeds pays nothing for it.
CREATE INDEX messages_type ON messages (event_type, seq);
CREATE INDEX deliveries_failed ON deliveries (seq) WHERE status = 'failed';
