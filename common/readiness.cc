#include "common/readiness.h"

#include <sys/statvfs.h>

namespace hookd {
namespace {

constexpr int64_t kProbeEveryMs = 1000;

Status NotReady(std::string why) {
  return Status(ErrorKind::kUnavailable, "not_ready", std::move(why));
}

}  // namespace

Result<uint64_t> Readiness::StatvfsFreeSpace(const std::string& path) {
  struct statvfs s {};
  if (::statvfs(path.c_str(), &s) != 0) return Status::Internal("statvfs failed on " + path);
  return static_cast<uint64_t>(s.f_bavail) * static_cast<uint64_t>(s.f_frsize);
}

Readiness::Readiness(DbPool& pool, std::string data_dir, const Clock& clock,
                     uint64_t min_free_bytes, FreeSpace free_space)
    : pool_(pool),
      data_dir_(std::move(data_dir)),
      clock_(clock),
      min_free_bytes_(min_free_bytes),
      free_space_(std::move(free_space)) {}

Status Readiness::Check() {
  const int64_t now = clock_.NowUnixMillis();
  std::lock_guard<std::mutex> lock(mu_);
  if (checked_at_ms_ != 0 && now - checked_at_ms_ < kProbeEveryMs && now >= checked_at_ms_)
    return last_;
  last_ = Probe(now);
  checked_at_ms_ = now;
  return last_;
}

Status Readiness::Probe(int64_t now_ms) {
  auto free = free_space_(data_dir_);
  if (free.ok() && *free < min_free_bytes_)
    return NotReady("the data directory has " + std::to_string(*free) + " bytes free; at least " +
                    std::to_string(min_free_bytes_) + " are needed");
  auto db = pool_.Acquire();
  if (!db.ok()) return NotReady("database: " + db.status().message());
  auto st = (*db)->Cached(
      "INSERT INTO readiness (id, checked_at) VALUES (1, ?)"
      " ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at");
  if (!st.ok()) return NotReady("database: " + st.status().message());
  if (Status s = (*st)->Bind(1, now_ms).Run(); !s.ok())
    return NotReady("a commit failed: " + s.message());
  return Status::Ok();
}

}  // namespace hookd
