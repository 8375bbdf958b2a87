#include "web/stream_http.h"

#include <ostream>  // boost/beast/http/status.hpp needs it

#include <boost/beast/http/status.hpp>

namespace hookd {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 &&
               HexValue(in[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> ParseQueryString(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string name = Decode(pair.substr(0, eq));
      std::string value = eq == std::string_view::npos ? "" : Decode(pair.substr(eq + 1));
      out.emplace(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  return out;
}

void SetTarget(HttpRequest& req, std::string_view target) {
  size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  req.query = q == std::string_view::npos ? std::map<std::string, std::string>()
                                          : ParseQueryString(target.substr(q + 1));
}

std::string RenderResponse(const HttpResponse& r, bool keep_alive) {
  namespace http = boost::beast::http;
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " ";
  out += std::string(http::obsolete_reason(http::int_to_status(static_cast<unsigned>(r.status))));
  out += "\r\n";
  if (!r.body.empty() || r.status != 204) out += "Content-Type: " + r.content_type + "\r\n";
  if (r.status != 204) out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  for (const auto& [name, value] : r.headers) out += name + ": " + value + "\r\n";
  out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  if (r.status != 204) out += r.body;
  return out;
}

std::vector<std::pair<std::string, std::string>> CorsHeaders(
    const std::optional<std::string_view>& origin) {
  if (!origin) return {};
  return {{"Access-Control-Allow-Origin", std::string(*origin)},
          {"Access-Control-Allow-Credentials", "true"},
          {"Vary", "Origin"}};
}

}  // namespace hookd
