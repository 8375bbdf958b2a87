// MemoryLogSink: a LogSink that keeps the lines written to it, for tests that assert what was
// logged. Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/log.h"

namespace hookd::testing {

class MemoryLogSink final : public LogSink {
 public:
  void Write(std::string_view line) override {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.emplace_back(line);
  }
  std::vector<std::string> Lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }
  // Every line parsed as JSON (a line that does not parse is a discarded value).
  std::vector<nlohmann::json> JsonLines() const {
    std::vector<nlohmann::json> out;
    for (const std::string& line : Lines())
      out.push_back(nlohmann::json::parse(line, nullptr, false));
    return out;
  }
  // The JSON lines whose msg is `msg`.
  std::vector<nlohmann::json> WithMsg(std::string_view msg) const {
    std::vector<nlohmann::json> out;
    for (nlohmann::json& j : JsonLines())
      if (j.is_object() && j.value("msg", "") == msg) out.push_back(std::move(j));
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace hookd::testing
