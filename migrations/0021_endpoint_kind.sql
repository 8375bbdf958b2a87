-- An endpoint's kind: 'http' (hookd POSTs to its url) or 'cli', the temporary endpoint of a
-- connected `hookd listen`, whose deliveries go over that command's WebSocket instead (API.md,
-- "The command line"). Its url is where the command forwards them, on the developer's machine;
-- hookd never dials it.
ALTER TABLE endpoints ADD COLUMN kind TEXT NOT NULL DEFAULT 'http';
