#include "cli/sse_reader.h"

namespace hookd::cli {
namespace {

constexpr size_t kMaxLine = 4 << 20;

}  // namespace

std::vector<SseEvent> SseReader::Feed(std::string_view bytes) {
  std::vector<SseEvent> out;
  partial_.append(bytes);
  size_t start = 0;
  while (true) {
    const size_t nl = partial_.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(partial_.data() + start, nl - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    Line(line, out);
    start = nl + 1;
  }
  partial_.erase(0, start);
  // A line that never ends is no stream hookd writes: dropped rather than held without bound.
  if (partial_.size() > kMaxLine) partial_.clear();
  return out;
}

void SseReader::Line(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {
    if (has_data_) out.push_back(std::move(current_));
    current_ = SseEvent();
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // a comment: the keep-alive ping, a drop notice
  const size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (value.starts_with(' ')) value.remove_prefix(1);
  if (field == "id") {
    current_.id = value;
  } else if (field == "event") {
    current_.event = value;
  } else if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data += value;
    has_data_ = true;
  }
}

}  // namespace hookd::cli
