-- The provider headers an endpoint asks to have copied from an ingested event's original request
-- onto its deliveries (deliver/forward_headers.h): a JSON array of lower-case names and prefix
-- patterns ("x-github-*"). Existing endpoints forward nothing.
ALTER TABLE endpoints ADD COLUMN forward_headers TEXT NOT NULL DEFAULT '[]';
