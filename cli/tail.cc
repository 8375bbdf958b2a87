#include "cli/tail.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/sse_reader.h"
#include "cli/stream_base.h"

namespace hookd::cli {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;
using nlohmann::json;

enum class Outcome { kDropped, kRefused };

// One connection: prints every entry it reads and moves `last`; kRefused (with the line said)
// when hookd answers other than 200.
Outcome Follow(const StreamTarget& t, const std::string& target, const std::string& token,
               std::optional<int64_t>& last, bool as_json, bool color, std::ostream& out,
               std::ostream& err, bool& connected) {
  // `connected`: set when hookd answered 200 (the stream was up).
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto addresses = resolver.resolve(t.host, t.port, ec);
  if (!ec) stream.connect(addresses, ec);
  if (ec) return Outcome::kDropped;
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, t.host + ":" + t.port);
  req.set(http::field::accept, "text/event-stream");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (last) req.set("Last-Event-ID", std::to_string(*last));
  http::write(stream, req, ec);
  if (ec) return Outcome::kDropped;
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  http::read_header(stream, buffer, parser, ec);
  if (ec) return Outcome::kDropped;
  const int status = static_cast<int>(parser.get().result_int());
  SseReader sse;
  std::string error_body;
  connected = status == 200;
  while (!parser.is_done()) {
    char chunk[8192];
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    http::read_some(stream, buffer, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) break;
    const std::string_view got(chunk, sizeof chunk - parser.get().body().size);
    if (status != 200) {
      error_body.append(got);
      continue;
    }
    for (const SseEvent& e : sse.Feed(got)) {
      out << (as_json ? e.data : TailLine(e.data, color)) << "\n";
      out.flush();
      // An id that is not a seq (no stream hookd writes) leaves the resume point where it was.
      int64_t seq = 0;
      const char* end = e.id.data() + e.id.size();
      if (auto [p, ec] = std::from_chars(e.id.data(), end, seq); ec == std::errc() && p == end)
        last = seq;
    }
  }
  if (status == 200) return Outcome::kDropped;
  err << "hookd: " << DescribeError({status, error_body}) << "\n";
  return Outcome::kRefused;
}

std::string Field(const json& data, const char* name) {
  auto it = data.find(name);
  if (it == data.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

std::string TailLine(const std::string& entry_json, bool color) {
  const json e = json::parse(entry_json, nullptr, false);
  if (!e.is_object() || !e.value("type", json()).is_string() ||
      !e.value("seq", json()).is_number_integer() || !e.value("at", json("")).is_string() ||
      !e.value("data", json::object()).is_object())
    return entry_json;  // not an entry as hookd writes it: shown as it came
  const std::string type = e.value("type", std::string());
  const std::string at = e.value("at", std::string());
  const json data = e.value("data", json::object());
  std::string line = (at.size() >= 19 ? at.substr(11, 8) : at) + " #" +
                     std::to_string(e.value("seq", int64_t{0})) + " ";
  const char* hue = nullptr;
  if (type.ends_with(".succeeded") || type == "endpoint.enabled" || type.ends_with("closed"))
    hue = "32";
  else if (type.ends_with(".failed") || type == "endpoint.disabled" || type.ends_with("opened"))
    hue = "31";
  else if (type.ends_with(".retrying"))
    hue = "33";
  line += color && hue ? "\x1b[" + std::string(hue) + "m" + type + "\x1b[0m" : type;
  for (const char* key : {"event_type", "message_id", "delivery_id", "endpoint_id", "event_id",
                          "source_id", "app_id"}) {
    if (std::string v = Field(data, key); !v.empty()) line += " " + v;
  }
  if (std::string s = Field(data, "response_status"); !s.empty()) line += " HTTP " + s;
  if (std::string l = Field(data, "latency_ms"); !l.empty()) line += " " + l + " ms";
  if (std::string n = Field(data, "next_attempt_at"); !n.empty()) line += " next " + n;
  if (std::string r = Field(data, "error"); !r.empty()) line += " (" + r + ")";
  return line;
}

int RunTail(const Args& args, ApiClient& api, std::ostream& out, std::ostream& err, bool color) {
  if (!args.positional.empty()) return 2;
  auto t = FetchStreamTarget(api, "tail");
  if (!t.ok()) {
    err << "hookd: " << t.status().message() << "\n";
    return 1;
  }
  const std::string& base = t->base;
  std::string query;
  auto add = [&query](const char* key, const std::string& value) {
    query += (query.empty() ? "?" : "&") + std::string(key) + "=" + PercentEncode(value, "*,");
  };
  if (auto v = args.Get("--types")) add("types", *v);
  if (auto v = args.Get("--endpoint")) add("endpoint_id", *v);
  if (auto v = args.Get("--source")) add("source_id", *v);
  if (auto app = args.Get("--app")) {
    std::string id = *app;
    if (!id.starts_with("app_")) {  // a uid: the stream filters by id
      auto a = api.Call("GET", "/api/v1/apps/" + id, "");
      if (a.ok() && a->status == 200) id = json::parse(a->body).value("id", id);
    }
    add("app_id", id);
  }
  std::optional<int64_t> last;
  if (auto after = args.Get("--after")) {
    try {
      last = std::stoll(*after);
    } catch (...) {
      return 2;
    }
  }
  bool ever_connected = false;
  int tries = 0;  // failed reconnections since the stream was last up
  while (true) {
    bool connected = false;
    const Outcome o = Follow(*t, "/api/v1/stream" + query, api.config().token, last,
                             args.Has("--json"), color, out, err, connected);
    if (o == Outcome::kRefused) return 1;
    if (connected) {
      tries = 0;
      err << "hookd: the stream dropped; resuming"
          << (last ? " after #" + std::to_string(*last) : std::string()) << "\n";
    } else if (!ever_connected) {
      err << "hookd: cannot reach the status stream at " << base << "\n";
      return 1;
    } else {
      ++tries;
    }
    ever_connected = ever_connected || connected;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min(250 << std::min(tries, 4), 4000)));
  }
}

}  // namespace hookd::cli
