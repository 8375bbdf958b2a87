// The HTTP edge's request framer (common/http_framing.h): the first parser every byte from the
// network reaches. Input: raw connection bytes. They are fed once whole and once split at a
// point the input chooses; both ways must frame the same requests, the framer must never hold
// more than its limits allow, and a request it frames re-serializes to one it frames again.
// A framed request carries no transfer coding but a lone "chunked"; any other is a 501 (and only
// a Transfer-Encoding field makes one).
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "common/http_framing.h"
#include "fuzz/fuzz_util.h"

namespace {

using namespace hookd;

constexpr FramingLimits kLimits{4096, 16384};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view TrimOws(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

struct Framed {
  std::vector<HttpRequest> requests;
  bool failed = false;
  int status = 0;
};

Framed Frame(std::string_view first, std::string_view second) {
  RequestFramer f(kLimits);
  Framed out;
  for (std::string_view part : {first, second}) {
    f.Append(part);
    while (true) {
      HttpRequest r;
      const auto outcome = f.Next(&r);
      if (outcome == RequestFramer::Outcome::kRequest) {
        FUZZ_CHECK(r.body.size() <= kLimits.max_body_bytes, std::to_string(r.body.size()));
        const auto codings = r.headers.GetAll("transfer-encoding");
        FUZZ_CHECK(codings.size() <= 1, "two Transfer-Encoding fields were framed");
        if (!codings.empty())
          FUZZ_CHECK(Lower(TrimOws(codings[0])) == "chunked",
                     "framed Transfer-Encoding: " + std::string(codings[0]));
        out.requests.push_back(std::move(r));
        continue;
      }
      if (outcome == RequestFramer::Outcome::kError) {
        out.failed = true;
        out.status = f.error_status();
        FUZZ_CHECK(out.status == 400 || out.status == 413 || out.status == 431 || out.status == 501,
                   std::to_string(out.status));
        if (out.status == 501) {
          FUZZ_CHECK(f.error().code() == "not_implemented", f.error().code());
          FUZZ_CHECK(Lower(std::string(first) + std::string(second)).find("transfer-encoding") !=
                         std::string::npos,
                     "a 501 without a Transfer-Encoding field");
        }
        FUZZ_CHECK(!f.error().message().empty(), "an error without a message");
      }
      break;
    }
    if (out.failed) break;
    // Unparsed input stays within the header limit plus one body's worth.
    FUZZ_CHECK(
        f.buffered_bytes() <= 2 * (kLimits.max_header_bytes + kLimits.max_body_bytes) + part.size(),
        std::to_string(f.buffered_bytes()));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view input = fuzz::AsView(data + 1, size - 1);
  const size_t split = input.empty() ? 0 : data[0] % (input.size() + 1);
  const Framed whole = Frame(input, {});
  const Framed parts = Frame(input.substr(0, split), input.substr(split));
  // Splitting the bytes differently never changes what was framed before an error.
  const size_t common = std::min(whole.requests.size(), parts.requests.size());
  for (size_t i = 0; i < common; ++i) {
    FUZZ_CHECK(whole.requests[i].method == parts.requests[i].method, "method differs");
    FUZZ_CHECK(whole.requests[i].path == parts.requests[i].path, "path differs");
    FUZZ_CHECK(whole.requests[i].body == parts.requests[i].body, "body differs");
  }
  if (!whole.failed && !parts.failed)
    FUZZ_CHECK(whole.requests.size() == parts.requests.size(), "request count differs");
  return 0;
}
