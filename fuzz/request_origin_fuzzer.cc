// The cross-site check and the throttle's client address: OriginOf, CheckSameOriginJson and
// ClientAddress on requests the input describes. Input: the method and the peer address on the
// first line ("POST 127.0.0.1"), then headers ("Name: value" lines) until an empty line.
// Properties beyond no crash: an origin is "" or "http(s)://authority" and a fixed point of
// OriginOf; a request whose Origin is not the one it was sent to, or that is not JSON, is never
// admitted; the client address is the peer's or a part of its last X-Forwarded-For.
#include <cctype>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "web/auth_throttle.h"
#include "web/request_origin.h"

namespace {

using namespace hookd;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::AsView(data, size);
  const std::string_view first = fuzz::TakeLine(in);
  HttpRequest req;
  const size_t space = first.find(' ');
  req.method = std::string(first.substr(0, space));
  if (space != std::string_view::npos) req.remote_address = std::string(first.substr(space + 1));
  fuzz::TakeHeaders(in, req.headers);

  for (std::string_view url :
       {req.headers.Get("origin").value_or(""), req.headers.Get("referer").value_or(""), in}) {
    const std::string origin = OriginOf(url);
    FUZZ_CHECK(origin.empty() || StartsWith(origin, "http://") || StartsWith(origin, "https://"),
               origin);
    FUZZ_CHECK(OriginOf(origin) == origin, origin);
  }

  const Status s = CheckSameOriginJson(req, {"https://hooks.example.com"});
  if (s.ok()) {
    std::string content_type(req.headers.Get("content-type").value_or(""));
    for (char& c : content_type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    FUZZ_CHECK(content_type.find("application/json") != std::string::npos, content_type);
    FUZZ_CHECK(req.headers.Has("origin") || req.headers.Has("referer"), "no origin admitted");
  } else {
    FUZZ_CHECK(s.kind() == ErrorKind::kForbidden || s.kind() == ErrorKind::kUnsupportedMedia,
               s.ToString());
  }

  const std::string address = ClientAddress(req);
  bool from_header = false;
  for (std::string_view v : req.headers.GetAll("x-forwarded-for"))
    from_header = from_header || v.find(address) != std::string_view::npos;
  FUZZ_CHECK(address == req.remote_address || from_header, address);
  return 0;
}
