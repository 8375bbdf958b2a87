-- Every secret a rotation replaced, each valid until its own grace ends
-- (common/previous_secrets.h): a JSON array [{"secret", "expires_at" (unix ms)}, …], newest
-- first, so rotating twice within the grace keeps the first secret too. previous_secret and previous_expires_at are still written
-- with the newest entry (for whoever reads the table directly) and are not read by hookd.
ALTER TABLE endpoints ADD COLUMN previous_secrets TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sources ADD COLUMN previous_secrets TEXT NOT NULL DEFAULT '[]';

UPDATE endpoints SET previous_secrets =
  json_array(json_object('secret', previous_secret, 'expires_at', previous_expires_at))
WHERE previous_secret IS NOT NULL AND previous_expires_at > 0;
UPDATE sources SET previous_secrets =
  json_array(json_object('secret', previous_secret, 'expires_at', previous_expires_at))
WHERE previous_secret IS NOT NULL AND previous_expires_at > 0;
