#include "deliver/endpoint_service.h"

#include <algorithm>
#include <cctype>

#include "common/api_helpers.h"
#include "common/http_types.h"
#include "common/ids.h"
#include "common/status_log.h"
#include "common/time_format.h"
#include "deliver/endpoint_disabled.h"
#include "deliver/forward_headers.h"
#include "deliver/signer.h"

namespace hookd {
namespace {

constexpr int64_t kMaxGraceSeconds = 30 * 86400;
constexpr size_t kMaxHeaders = 20;

Result<std::vector<std::string>> StringArray(const nlohmann::json& req, const char* field) {
  std::vector<std::string> out;
  const auto& v = req.at(field);
  if (!v.is_array()) return Status::InvalidField(std::string(field) + " must be an array");
  for (const auto& item : v) {
    if (!item.is_string() || item.get_ref<const std::string&>().empty() ||
        item.get_ref<const std::string&>().size() > 200)
      return Status::InvalidField(std::string(field) + " must hold non-empty strings");
    out.push_back(item.get<std::string>());
  }
  if (out.size() > 100) return Status::InvalidField(std::string(field) + ": at most 100 entries");
  return out;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A field value (RFC 9110 section 5.5) holds visible ASCII, space, HTAB and obs-text (0x80-0xff);
// any other control character (NUL, CR, LF, 0x01-0x1f, DEL) could end or corrupt the header.
Status CheckHeaderValue(const std::string& name, std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if ((u < 0x20 && u != '\t') || u == 0x7f) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      const std::string byte = {'0', 'x', kHex[u >> 4], kHex[u & 0x0f]};
      return Status::InvalidField(
          "header " + name + " has a control character (" + byte + " at offset " +
          std::to_string(i) + "); values may hold visible ASCII, space, tab and bytes 0x80-0xFF");
    }
  }
  return Status::Ok();
}

// Custom headers may not break the request (control characters), override what hookd sends, or
// be hop-by-hop.
Result<std::vector<std::pair<std::string, std::string>>> ParseHeaders(const nlohmann::json& v) {
  if (!v.is_object()) return Status::InvalidField("headers must be an object of strings");
  if (v.size() > kMaxHeaders) return Status::InvalidField("headers: at most 20");
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : v.items()) {
    if (name.empty() || name.size() > 100 || !std::all_of(name.begin(), name.end(), IsTokenChar))
      return Status::InvalidField("header name \"" + name + "\" is not a valid HTTP token");
    if (!value.is_string()) return Status::InvalidField("header " + name + " must be a string");
    const std::string& text = value.get_ref<const std::string&>();
    if (text.size() > 4096) return Status::InvalidField("header " + name + " is too long");
    if (Status s = CheckHeaderValue(name, text); !s.ok()) return s;
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.starts_with("webhook-") || lower.starts_with("svix-") ||
        lower.starts_with("hookd-") || std::string_view(lower) == "content-type" ||
        lower == "content-length" || lower == "host" || lower == "user-agent" ||
        lower == "connection" || lower == "transfer-encoding" || lower == "te" ||
        lower == "upgrade" || lower == "keep-alive" || lower == "expect")
      return Status::InvalidField("header " + name + " is set by hookd and cannot be overridden");
    out.emplace_back(name, text);
  }
  return out;
}

}  // namespace

Status EndpointService::Apply(const nlohmann::json& req, Endpoint& e,
                              std::vector<EndpointWarning>& warnings) {
  if (req.contains("url")) {
    auto url = OptionalString(req, "url");
    if (!url.ok()) return url.status();
    if (!*url) return Status::InvalidField("url must be a string");
    auto checked = guard_.CheckUrl(**url);
    if (!checked.ok()) {
      // A name that does not resolve now (no DNS on this machine, a record not made yet) cannot
      // reach anything forbidden now, and every attempt resolves and checks it again.
      if (checked.status().code() != "unresolvable_host") return checked.status();
      warnings.push_back({"unresolvable_host",
                          checked.status().message() +
                              "; the endpoint is saved anyway: its host is resolved and checked "
                              "again at every delivery, and attempts fail (and are retried) "
                              "until it resolves to an allowed address"});
    }
    e.url = **url;
  }
  if (req.contains("description")) {
    auto d = OptionalString(req, "description");
    if (!d.ok()) return d.status();
    if (*d && (*d)->size() > 1000) return Status::InvalidField("description: at most 1000 chars");
    e.description = d->value_or("");
  }
  if (req.contains("event_types")) {
    auto types = StringArray(req, "event_types");
    if (!types.ok()) return types.status();
    if (Status s = ValidateEventTypePatterns(*types); !s.ok()) return s;
    e.filter.event_types = std::move(types).value();
  }
  if (req.contains("source_ids")) {
    auto ids = StringArray(req, "source_ids");
    if (!ids.ok()) return ids.status();
    for (const auto& id : *ids)
      if (!LooksLikeId("src", id))
        return Status::InvalidField("source_ids: not a source id: " + id);
    e.filter.source_ids = std::move(ids).value();
  }
  if (req.contains("rate_limit_per_second")) {
    auto rate = OptionalInt(req, "rate_limit_per_second", 1, 100000);
    if (!rate.ok()) return rate.status();
    e.rate_limit_per_second = *rate;
  }
  if (req.contains("headers")) {
    auto headers = ParseHeaders(req.at("headers"));
    if (!headers.ok()) return headers.status();
    e.headers = std::move(headers).value();
  }
  if (req.contains("forward_headers")) {
    auto forward = ParseForwardHeaders(req.at("forward_headers"));
    if (!forward.ok()) return forward.status();
    e.forward_headers = std::move(forward).value();
  }
  return Status::Ok();
}

Result<Endpoint> EndpointService::Create(const nlohmann::json& req,
                                         std::vector<EndpointWarning>* warnings,
                                         const std::string& app_id) {
  if (Status s =
          RejectUnknownFields(req, {"url", "description", "event_types", "source_ids", "secret",
                                    "rate_limit_per_second", "headers", "forward_headers"});
      !s.ok())
    return s;
  if (!req.contains("url")) return Status::InvalidField("url is required");
  Endpoint e;
  std::vector<EndpointWarning> found;
  if (Status s = Apply(req, e, found); !s.ok()) return s;
  auto secret = OptionalString(req, "secret");
  if (!secret.ok()) return secret.status();
  e.secret = *secret ? **secret : GenerateEndpointSecret(random_);
  if (Status s = ValidateEndpointSecret(e.secret); !s.ok()) return s;
  e.id = NewId("ep", clock_, random_);
  e.app_id = app_id;
  e.created_at = e.updated_at = clock_.NowUnixMillis();
  if (Status s = store_.Insert(e); !s.ok()) return s;
  cache_.Invalidate();
  if (warnings) *warnings = std::move(found);
  return e;
}

Result<Endpoint> EndpointService::CreateCli(const nlohmann::json& req, const std::string& app_id) {
  if (Status s = RejectUnknownFields(req, {"url", "description", "event_types", "source_ids"});
      !s.ok())
    return s;
  auto url = OptionalString(req, "url");
  if (!url.ok()) return url.status();
  if (!*url) return Status::InvalidField("url is required");
  if (auto parsed = ParseEndpointUrl(**url); !parsed.ok()) return parsed.status();
  nlohmann::json rest = req;
  rest.erase("url");
  Endpoint e;
  std::vector<EndpointWarning> ignored;
  if (Status s = Apply(rest, e, ignored); !s.ok()) return s;
  e.url = **url;
  e.kind = "cli";
  e.secret = GenerateEndpointSecret(random_);
  e.id = NewId("ep", clock_, random_);
  e.app_id = app_id;
  e.created_at = e.updated_at = clock_.NowUnixMillis();
  if (Status s = store_.Insert(e); !s.ok()) return s;
  cache_.Invalidate();
  return e;
}

Result<Endpoint> EndpointService::Update(const std::string& id, const nlohmann::json& req,
                                         std::vector<EndpointWarning>* warnings) {
  if (req.contains("secret"))
    return Status::InvalidField("change the secret with POST /api/v1/endpoints/{id}/rotate-secret");
  if (Status s = RejectUnknownFields(req, {"url", "description", "event_types", "source_ids",
                                           "rate_limit_per_second", "headers", "forward_headers"});
      !s.ok())
    return s;
  auto e = store_.Get(id);
  if (!e.ok()) return e.status();
  std::vector<EndpointWarning> found;
  if (Status s = Apply(req, *e, found); !s.ok()) return s;
  e->updated_at = clock_.NowUnixMillis();
  if (Status s = store_.Update(*e); !s.ok()) return s;
  cache_.Invalidate();
  if (warnings) *warnings = std::move(found);
  return e;
}

Result<Endpoint> EndpointService::RotateSecret(const std::string& id, const nlohmann::json& req) {
  if (Status s = RejectUnknownFields(req, {"secret", "grace_seconds"}); !s.ok()) return s;
  auto secret = OptionalString(req, "secret");
  if (!secret.ok()) return secret.status();
  auto grace = OptionalInt(req, "grace_seconds", 0, kMaxGraceSeconds);
  if (!grace.ok()) return grace.status();
  const std::string next = *secret ? **secret : GenerateEndpointSecret(random_);
  if (Status s = ValidateEndpointSecret(next); !s.ok()) return s;
  auto e = store_.Get(id);
  if (!e.ok()) return e.status();
  const int64_t now = clock_.NowUnixMillis();
  if (Status s = AddPreviousSecret(e->previous_secrets, e->secret,
                                   now + grace->value_or(86400) * 1000, now);
      !s.ok())
    return s;
  e->secret = next;
  e->updated_at = now;
  if (Status s = store_.Update(*e); !s.ok()) return s;
  cache_.Invalidate();
  return e;
}

Result<Endpoint> EndpointService::Enable(const std::string& id) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto txn = Transaction::Begin(**db);
  if (!txn.ok()) return txn.status();
  auto e = store_.Get(id);
  if (!e.ok()) return e.status();
  const int64_t now = clock_.NowUnixMillis();
  const bool was_disabled = e->disabled;
  e->disabled = false;
  e->disabled_reason.clear();
  e->failing_since.reset();
  e->updated_at = now;
  if (Status s = EndpointStore::UpdateIn(**db, *e); !s.ok()) return s;
  if (was_disabled) {
    if (Status s = AppendStatus(**db, "endpoint.enabled", now,
                                {{"app_id", e->app_id}, {"endpoint_id", id}});
        !s.ok())
      return s;
  }
  if (Status s = (*txn)->Commit(); !s.ok()) return s;
  cache_.Invalidate();
  if (was_disabled) logger_.Info("endpoint enabled", {{"endpoint_id", id}});
  if (was_disabled && status_committed_) status_committed_();
  return e;
}

Result<Endpoint> EndpointService::Disable(const std::string& id, const std::string& reason) {
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  auto txn = Transaction::Begin(**db);
  if (!txn.ok()) return txn.status();
  auto e = store_.Get(id);
  if (!e.ok()) return e.status();
  if (e->disabled) return e;
  const int64_t now = clock_.NowUnixMillis();
  e->disabled = true;
  e->disabled_reason = reason;
  e->updated_at = now;
  if (Status s = EndpointStore::UpdateIn(**db, *e); !s.ok()) return s;
  if (Status s = AppendStatus(**db, "endpoint.disabled", now,
                              {{"app_id", e->app_id}, {"endpoint_id", id}, {"reason", reason}});
      !s.ok())
    return s;
  if (Status s = (*txn)->Commit(); !s.ok()) return s;
  cache_.Invalidate();
  logger_.Warn("endpoint disabled", {{"endpoint_id", id}, {"reason", reason}});
  return e;
}

Result<int64_t> EndpointService::Recover(const std::string& id, const nlohmann::json& req) {
  if (Status s = RejectUnknownFields(req, {"since"}); !s.ok()) return s;
  auto since_text = OptionalString(req, "since");
  if (!since_text.ok()) return since_text.status();
  if (!*since_text) return Status::InvalidField("since is required (RFC 3339)");
  auto since = ParseRfc3339(**since_text);
  if (!since) return Status::InvalidField("since must be an RFC 3339 time");
  auto e = store_.Get(id);
  if (!e.ok()) return e.status();
  // Its deliveries would only fail again at once, without an attempt.
  if (e->disabled) return EndpointDisabled(id);
  auto db = pool_.Acquire();
  if (!db.ok()) return db.status();
  // Each failed delivery gets one attempt, as a manual retry does (docs/DECISIONS.md, "A manual
  // retry is one attempt"): it stays failed, and its attempt's failure leaves it failed. One
  // whose manual attempt is already queued or in flight is left as it is. The endpoint is checked
  // again in the statement: one disabled since the read re-queues nothing.
  auto st = (*db)->Cached(
      "UPDATE deliveries SET manual_return_status = 'failed', manual_return_at = NULL,"
      " next_attempt_at = ?1, updated_at = ?1 WHERE endpoint_id = ?2 AND status = 'failed'"
      " AND manual_return_status IS NULL AND next_attempt_at IS NULL AND created_at >= ?3"
      " AND NOT EXISTS (SELECT 1 FROM endpoints WHERE id = ?2 AND disabled != 0)");
  if (!st.ok()) return st.status();
  const int64_t now = clock_.NowUnixMillis();
  if (Status s = (*st)->Bind(1, now).Bind(2, id).Bind(3, *since).Run(); !s.ok()) return s;
  const int64_t requeued = (*db)->Changes();
  if (requeued == 0) {
    if (auto again = store_.Get(id); again.ok() && again->disabled) return EndpointDisabled(id);
  }
  if (requeued > 0 && wake_) wake_();
  return requeued;
}

Status EndpointService::Delete(const std::string& id) {
  Status s = store_.Delete(id);
  if (s.ok()) cache_.Invalidate();
  return s;
}

}  // namespace hookd
