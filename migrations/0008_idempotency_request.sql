-- What identifies the request that first used a message's Idempotency-Key: the lower-case hex
-- SHA-256 of its event_type, source_id and payload bytes as stored (deliver/message_service.cc).
-- The same key with another request is refused (422 idempotency_key_reused). NULL for messages
-- without a key and for those written before this column: their key answers as before.
ALTER TABLE messages ADD COLUMN request_hash TEXT;
