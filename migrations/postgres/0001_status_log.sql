-- PostgreSQL's schema starts with the status log; the other tables follow as their stores move
-- behind the storage seam.
--
-- The status log is one ordered log for every node (docs/DECISIONS.md, "PostgreSQL: the status
-- log's seqs are taken at the end of the writing transaction"): a transaction takes its seqs from
-- status_log_head in its last statement, and the row lock it takes there is held until it commits,
-- so seqs become visible in increasing order and a reader that asks for seq > last never skips an
-- entry.
CREATE TABLE status_log (
  seq   bigint PRIMARY KEY,
  type  text NOT NULL,
  at    bigint NOT NULL,
  data  text NOT NULL
);

-- The last seq handed out: one row.
CREATE TABLE status_log_head (
  id    integer PRIMARY KEY CHECK (id = 1),
  seq   bigint NOT NULL
);
INSERT INTO status_log_head (id, seq) VALUES (1, 0);
