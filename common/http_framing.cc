#include "common/http_framing.h"

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/optional.hpp>
#include <cctype>
#include <iterator>
#include <optional>
#include <string_view>

namespace hookd {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;

// A string body that grows with the bytes that arrive. Beast's string_body reserves the declared
// Content-Length at once, so a client could make every connection cost the limit by announcing
// a large body and sending nothing.
struct GrowingStringBody {
  using value_type = std::string;
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>&, beast::error_code& ec) { ec = {}; }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      std::size_t n = 0;
      for (const auto b : beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      ec = {};
      return n;
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

using Parser = http::request_parser<GrowingStringBody>;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 &&
               HexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

bool AsksContinue(const Parser& p) {
  auto it = p.get().find(http::field::expect);
  if (it == p.get().end()) return false;
  std::string v(it->value());
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v == "100-continue";
}

// True when the request has no Transfer-Encoding, or exactly one field whose value is "chunked"
// (any case, with OWS). Beast frames "gzip, chunked" as chunked and a lone "gzip" as no body at
// all; neither is implemented here (RFC 9112 section 6.1: 501).
bool TransferCodingSupported(const Parser& p) {
  const auto [first, last] = p.get().equal_range(http::field::transfer_encoding);
  if (first == last) return true;
  if (std::next(first) != last) return false;
  std::string_view v(first->value().data(), first->value().size());
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return EqualsIgnoreCase(v, "chunked") && p.chunked();
}

}  // namespace

struct RequestFramer::Impl {
  FramingLimits limits;
  std::string in;  // bytes received and not yet consumed by the parser, from `pos`
  size_t pos = 0;
  std::optional<Parser> parser;
  bool continue_taken = false;
  bool coding_checked = false;  // the current request's Transfer-Encoding was looked at
  bool failed = false;

  void NewParser() {
    parser.emplace();
    parser->header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser->body_limit(limits.max_body_bytes);
    parser->eager(true);
    continue_taken = false;
    coding_checked = false;
  }
  void Compact() {
    if (pos == in.size()) {
      in.clear();
      pos = 0;
    } else if (pos > 4096 && pos * 2 > in.size()) {
      in.erase(0, pos);
      pos = 0;
    }
  }
};

RequestFramer::RequestFramer(FramingLimits limits) : impl_(new Impl{limits, {}, 0, {}}) {
  impl_->NewParser();
}

RequestFramer::~RequestFramer() = default;

void RequestFramer::Append(std::string_view bytes) { impl_->in.append(bytes); }

RequestFramer::Outcome RequestFramer::Next(HttpRequest* out) {
  Impl& m = *impl_;
  if (m.failed) return Outcome::kError;
  // The HTTP status is error_status(); a 501's kind is kMalformed, there being no closer one.
  const auto fail = [&](int status, const char* code, std::string message) {
    m.failed = true;
    error_status_ = status;
    error_ = Status(status == 413 ? ErrorKind::kTooLarge : ErrorKind::kMalformed, code,
                    std::move(message));
    return Outcome::kError;
  };
  while (true) {
    const size_t avail = m.in.size() - m.pos;
    beast::error_code ec;
    size_t used = 0;
    if (avail > 0) used = m.parser->put(boost::asio::const_buffer(m.in.data() + m.pos, avail), ec);
    m.pos += used;
    // As soon as the headers are in, before any body error: a coding not implemented is a 501.
    if (!m.coding_checked && m.parser->is_header_done()) {
      m.coding_checked = true;
      if (!TransferCodingSupported(*m.parser))
        return fail(501, "not_implemented",
                    "Transfer-Encoding other than a lone \"chunked\" is not implemented");
    }
    if (ec == http::error::header_limit)
      return fail(431, "headers_too_large",
                  "the request line and headers exceed " +
                      std::to_string(m.limits.max_header_bytes) + " bytes");
    if (ec == http::error::body_limit)
      return fail(413, "payload_too_large",
                  "the body exceeds " + std::to_string(m.limits.max_body_bytes) + " bytes");
    if (ec && ec != http::error::need_more)
      return fail(400, "bad_request", "malformed HTTP request: " + ec.message());
    if (m.parser->is_done()) {
      auto msg = m.parser->release();
      keep_alive_ = msg.keep_alive();
      out->method = std::string(msg.method_string());
      ParseTarget(std::string_view(msg.target().data(), msg.target().size()), out);
      for (const auto& field : msg)
        out->headers.Add(std::string(field.name_string()), std::string(field.value()));
      out->body = std::move(msg.body());
      m.NewParser();
      m.Compact();
      return Outcome::kRequest;
    }
    if (used == 0 || avail == 0) {
      // A line the parser needs whole (a chunk size with extensions, say) may not grow past the
      // header limit either; header_limit itself covers the request line and headers.
      if (m.in.size() - m.pos > m.limits.max_header_bytes)
        return fail(400, "bad_request", "malformed HTTP request: a framing line is too long");
      m.Compact();
      return Outcome::kNeedMore;
    }
  }
}

void RequestFramer::Release() {
  impl_->failed = true;
  std::string().swap(impl_->in);
  impl_->pos = 0;
  impl_->NewParser();
}

bool RequestFramer::TakeContinue() {
  Impl& m = *impl_;
  if (m.failed || m.continue_taken || !m.parser->is_header_done() || m.parser->is_done())
    return false;
  if (!AsksContinue(*m.parser)) return false;
  m.continue_taken = true;
  return true;
}

size_t RequestFramer::buffered_bytes() const {
  const std::string& body = impl_->parser->get().body();
  return (impl_->in.size() - impl_->pos) + (body.empty() ? 0 : body.capacity());
}

bool RequestFramer::header_done() const { return impl_->parser->is_header_done(); }

void ParseTarget(std::string_view target, HttpRequest* out) {
  const size_t q = target.find('?');
  out->path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      out->query[PercentDecode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
}

}  // namespace hookd

namespace hookd {
namespace {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return status < 400 ? "OK" : status < 500 ? "Client Error" : "Server Error";
  }
}

void AppendHeaderText(std::string& out, std::string_view text) {
  for (char c : text)
    if (c != '\r' && c != '\n') out.push_back(c);
}

}  // namespace

std::string FormatResponse(const HttpResponse& response, bool keep_alive) {
  std::string out;
  out.reserve(160 + response.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += ReasonPhrase(response.status);
  // 204 and 304 carry no body, and so no Content-Length (RFC 9110 sections 8.6, 15.3.5).
  const bool bodyless = response.status == 204 || response.status == 304;
  if (!bodyless) {
    out += "\r\nContent-Type: ";
    AppendHeaderText(out, response.content_type);
    out += "\r\nContent-Length: ";
    out += std::to_string(response.body.size());
  }
  out += keep_alive ? "\r\nConnection: keep-alive\r\n" : "\r\nConnection: close\r\n";
  for (const auto& [name, value] : response.headers) {
    AppendHeaderText(out, name);
    out += ": ";
    AppendHeaderText(out, value);
    out += "\r\n";
  }
  out += "\r\n";
  if (!bodyless) out += response.body;
  return out;
}

}  // namespace hookd
