-- A manual retry (POST /api/v1/deliveries/{id}/retry, or recover) is one attempt: these columns
-- remember where the delivery returns when that attempt fails. manual_return_status is the status
-- it had (failed, succeeded or retrying) and manual_return_at its next_attempt_at then (the
-- retry's place in the schedule; NULL for a final status). Both are NULL when no manual attempt
-- is waiting or in flight; recording the attempt clears them. Kept in the row, so a manual
-- attempt cut off by a crash is made again after restart and then returns the same way.
ALTER TABLE deliveries ADD COLUMN manual_return_status TEXT;
ALTER TABLE deliveries ADD COLUMN manual_return_at INTEGER;
