// SourceStore: durable storage of sources. The interface is the seam where another database
// can sit beside SQLite. Implementations are thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "ingest/source.h"

namespace hookd {

class SourceStore {
 public:
  virtual ~SourceStore() = default;
  virtual Status Insert(const Source& s) = 0;
  // 404 not_found when there is no such source.
  virtual Result<Source> Get(const std::string& id) = 0;
  // Newest first; `after` is the id of the last source of the previous page. Returns up to
  // limit + 1 rows so the caller can tell whether there is more.
  virtual Result<std::vector<Source>> List(const std::optional<std::string>& after, int limit) = 0;
  // Replaces every mutable field of the stored source with `s`'s; 404 when missing.
  virtual Status Update(const Source& s) = 0;
  // 404 when missing.
  virtual Status Delete(const std::string& id) = 0;
};

}  // namespace hookd
