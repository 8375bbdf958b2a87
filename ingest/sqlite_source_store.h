// SourceStore on SQLite, through the connection pool. Thread-safe.
#pragma once

#include "common/db.h"
#include "ingest/source_store.h"

namespace hookd {

class SqliteSourceStore final : public SourceStore {
 public:
  explicit SqliteSourceStore(DbPool& pool) : pool_(pool) {}
  Status Insert(const Source& s) override;
  Result<Source> Get(const std::string& id) override;
  Result<std::vector<Source>> List(const std::optional<std::string>& after, int limit) override;
  Status Update(const Source& s) override;
  Status Delete(const std::string& id) override;

 private:
  DbPool& pool_;
};

}  // namespace hookd
