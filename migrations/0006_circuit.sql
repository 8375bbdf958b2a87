-- Each endpoint's circuit breaker state (deliver/circuit_breaker.h), written by the delivery
-- engine when it changes, so GET /api/v1/endpoints/{id} shows it from any process and a restart
-- keeps a paused endpoint paused. circuit_retry_at (unix ms) is the end of an open circuit's
-- cool-down.
ALTER TABLE endpoints ADD COLUMN circuit TEXT NOT NULL DEFAULT 'closed';
ALTER TABLE endpoints ADD COLUMN circuit_retry_at INTEGER;
