// SseReader: splits a text/event-stream (the status stream's SSE) into its events as bytes
// arrive, in any pieces: `id:`, `event:` and `data:` fields, comments (`: ping`) skipped, an
// event ending at a blank line. Pure; not thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hookd::cli {

struct SseEvent {
  std::string id;
  std::string event;
  std::string data;  // data lines joined by "\n"
};

class SseReader {
 public:
  // The events completed by `bytes`.
  std::vector<SseEvent> Feed(std::string_view bytes);

 private:
  void Line(std::string_view line, std::vector<SseEvent>& out);
  std::string partial_;  // an unfinished line
  SseEvent current_;
  bool has_data_ = false;
};

}  // namespace hookd::cli
