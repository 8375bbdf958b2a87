#include "common/error_log.h"

namespace hookd {

bool ErrorLog::Log(std::string_view error) {
  const std::optional<int64_t> left_out = throttle_.Admit();
  if (!left_out) return false;
  if (*left_out > 0)
    logger_->Error(what_, {{"error", error}, {"suppressed", *left_out}});
  else
    logger_->Error(what_, {{"error", error}});
  return true;
}

}  // namespace hookd
