// SourceStore on PostgreSQL, over a PgPool: the same behaviour as SqliteSourceStore (docs/
// DECISIONS.md, "PostgreSQL: the stores over a PgPool"). Each call is one statement in its own
// transaction. Thread-safe.
#pragma once

#include "ingest/source_store.h"
#include "storage/pg/pg_pool.h"

namespace hookd {

class PgSourceStore final : public SourceStore {
 public:
  explicit PgSourceStore(PgPool& pool) : pool_(pool) {}
  // Only into a live application (422 invalid_field otherwise); it holds a share lock on the
  // application's row until it commits, so an application being deleted meanwhile either is
  // seen deleted or waits for this source and then deletes it with its others.
  Status Insert(const Source& s) override;
  Result<Source> Get(const std::string& id) override;
  // Newest first by id in byte order (COLLATE "C"), as SQLite compares text.
  Result<std::vector<Source>> List(const std::optional<std::string>& after, int limit) override;
  Status Update(const Source& s) override;
  Status Delete(const std::string& id) override;

 private:
  PgPool& pool_;
};

}  // namespace hookd
