#include "common/listen_protocol.h"

#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "common/json_limits.h"

namespace hookd {
namespace {

using nlohmann::json;

Status Bad(const std::string& why) { return Status::Malformed("bad_frame", why); }

Result<json> ParseObject(std::string_view text) {
  auto j = ParseJsonBounded(text);
  if (!j.ok()) return Bad(j.status().message());
  if (!j->is_object()) return Bad("a frame is a JSON object");
  if (!(*j)["type"].is_string()) return Bad("a frame has a string \"type\"");
  return j;
}

Result<std::vector<std::string>> Strings(const json& j, const char* field) {
  std::vector<std::string> out;
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array() || it->size() > 100)
    return Bad(std::string(field) + " must be an array of at most 100 strings");
  for (const json& v : *it) {
    if (!v.is_string() || v.get_ref<const std::string&>().empty())
      return Bad(std::string(field) + " must hold non-empty strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

// An optional string field; `present` tells whether it was there.
Result<std::optional<std::string>> OptString(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return Bad(std::string(field) + " must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<int64_t> Integer(const json& j, const char* field, int64_t min, int64_t max) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number_integer())
    return Bad(std::string(field) + " must be an integer");
  const auto out_of_range = [&] {
    return Bad(std::string(field) + " must be " + std::to_string(min) + ".." + std::to_string(max));
  };
  // A value above INT64_MAX is out of range whatever `max` is (and `max + 1` could overflow).
  if (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t(INT64_MAX)) return out_of_range();
  const int64_t v = it->get<int64_t>();
  if (v < min || v > max) return out_of_range();
  return v;
}

// `s` cut to `limit` bytes without splitting a UTF-8 sequence, its invalid bytes replaced.
std::string Utf8Prefix(std::string_view s, size_t limit) {
  if (s.size() > limit) {
    size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut);
  }
  // Dumping with `replace` makes any byte sequence valid UTF-8; parse the quoted text back.
  return json::parse(json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace))
      .get<std::string>();
}

}  // namespace

Result<ListenClientFrame> ParseListenClientFrame(std::string_view text) {
  auto j = ParseObject(text);
  if (!j.ok()) return j.status();
  const std::string& type = (*j)["type"].get_ref<const std::string&>();
  ListenClientFrame f;
  if (type == "close") {
    f.type = ListenClientFrame::Type::kClose;
    return f;
  }
  if (type == "hello") {
    f.type = ListenClientFrame::Type::kHello;
    ListenHello& h = f.hello;
    auto to = OptString(*j, "forward_to");
    if (!to.ok()) return to.status();
    if (!*to || (*to)->empty()) return Bad("hello needs forward_to");
    h.forward_to = **to;
    auto events = Strings(*j, "events");
    if (!events.ok()) return events.status();
    h.events = std::move(events).value();
    auto sources = Strings(*j, "source_ids");
    if (!sources.ok()) return sources.status();
    h.source_ids = std::move(sources).value();
    auto app = OptString(*j, "app");
    if (!app.ok()) return app.status();
    h.app = *app;
    auto endpoint = OptString(*j, "endpoint_id");
    if (!endpoint.ok()) return endpoint.status();
    h.endpoint_id = *endpoint;
    if (j->contains("max_concurrency")) {
      auto n = Integer(*j, "max_concurrency", 1, kListenMaxConcurrency);
      if (!n.ok()) return n.status();
      h.max_concurrency = static_cast<int>(*n);
    }
    return f;
  }
  if (type == "result") {
    f.type = ListenClientFrame::Type::kResult;
    ListenResult& r = f.result;
    auto id = Integer(*j, "id", 1, INT64_MAX);
    if (!id.ok()) return id.status();
    r.id = *id;
    auto status = Integer(*j, "status", 0, 999);
    if (!status.ok()) return status.status();
    r.status = static_cast<int>(*status);
    auto duration = Integer(*j, "duration_ms", 0, INT64_MAX);
    if (!duration.ok()) return duration.status();
    r.duration_ms = *duration;
    auto body = OptString(*j, "body");
    if (!body.ok()) return body.status();
    r.body = Utf8Prefix(body->value_or(""), kListenResultBodyBytes);
    auto error = OptString(*j, "error");
    if (!error.ok()) return error.status();
    r.error = Utf8Prefix(error->value_or(""), 512);
    return f;
  }
  return Bad("unknown frame type " + json(type).dump());
}

std::string ListenHelloFrame(const ListenHello& h) {
  json j = {{"type", "hello"},
            {"forward_to", h.forward_to},
            {"events", h.events},
            {"source_ids", h.source_ids},
            {"max_concurrency", h.max_concurrency}};
  if (h.app) j["app"] = *h.app;
  if (h.endpoint_id) j["endpoint_id"] = *h.endpoint_id;
  return j.dump();
}

std::string ListenResultFrame(const ListenResult& r) {
  json j = {{"type", "result"},
            {"id", r.id},
            {"status", r.status},
            {"duration_ms", r.duration_ms},
            {"body", Utf8Prefix(r.body, kListenResultBodyBytes)}};
  if (!r.error.empty()) j["error"] = Utf8Prefix(r.error, 512);
  return j.dump();
}

std::string ListenCloseFrame() { return R"({"type":"close"})"; }

std::string ListenReadyFrame(const ListenReady& r) {
  return json{{"type", "ready"},
              {"endpoint_id", r.endpoint_id},
              {"app_id", r.app_id},
              {"secret", r.secret},
              {"resumed", r.resumed}}
      .dump();
}

std::string ListenDeliveryFrame(const ListenDelivery& d) {
  json headers = json::array();
  for (const auto& [name, value] : d.headers) headers.push_back({name, value});
  return json{{"type", "delivery"},
              {"id", d.id},
              {"headers", std::move(headers)},
              {"body_base64", Base64Encode(d.body)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ListenClosedFrame(int64_t failed) {
  return json{{"type", "closed"}, {"failed", failed}}.dump();
}

std::string ListenErrorFrame(std::string_view code, std::string_view message) {
  return json{{"type", "error"}, {"code", code}, {"message", message}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

Result<ListenServerFrame> ParseListenServerFrame(std::string_view text) {
  auto j = ParseObject(text);
  if (!j.ok()) return j.status();
  const std::string type = (*j)["type"].get<std::string>();
  ListenServerFrame f;
  auto str = [&](const char* field) -> std::string {
    auto it = j->find(field);
    return it != j->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (type == "ready") {
    f.type = ListenServerFrame::Type::kReady;
    f.ready = {str("endpoint_id"), str("app_id"), str("secret"),
               j->value("resumed", json(false)) == true};
    if (f.ready.endpoint_id.empty() || f.ready.secret.empty())
      return Bad("ready needs endpoint_id and secret");
    return f;
  }
  if (type == "delivery") {
    f.type = ListenServerFrame::Type::kDelivery;
    auto id = Integer(*j, "id", 1, INT64_MAX);
    if (!id.ok()) return id.status();
    f.delivery.id = *id;
    auto it = j->find("headers");
    if (it == j->end() || !it->is_array()) return Bad("delivery needs headers");
    for (const json& h : *it) {
      if (!h.is_array() || h.size() != 2 || !h[0].is_string() || !h[1].is_string())
        return Bad("a header is [name, value]");
      f.delivery.headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
    }
    auto body = Base64Decode(str("body_base64"));
    if (!body) return Bad("delivery needs body_base64");
    f.delivery.body = std::move(*body);
    return f;
  }
  if (type == "closed") {
    f.type = ListenServerFrame::Type::kClosed;
    auto it = j->find("failed");
    f.failed = it != j->end() && it->is_number_integer() ? it->get<int64_t>() : 0;
    return f;
  }
  if (type == "error") {
    f.type = ListenServerFrame::Type::kError;
    f.code = str("code");
    f.text = str("message");
    return f;
  }
  return Bad("unknown frame type " + json(type).dump());
}

}  // namespace hookd
