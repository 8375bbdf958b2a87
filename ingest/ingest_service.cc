#include "ingest/ingest_service.h"

#include <algorithm>
#include <chrono>

#include "common/api_helpers.h"
#include "common/ids.h"
#include "common/json_text.h"

namespace hookd {
namespace {

// The request's headers as a JSON object with lower-case names (a repeated name keeps its last
// value, as a JSON object can hold one). Credentials a proxy might add are not kept.
std::string HeadersJson(const Headers& headers) {
  std::vector<std::pair<std::string, std::string_view>> kept;
  kept.reserve(headers.items().size());
  for (const auto& [name, value] : headers.items()) {
    std::string key = name;
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key == "authorization" || key == "cookie") continue;
    auto same =
        std::find_if(kept.begin(), kept.end(), [&](const auto& k) { return k.first == key; });
    if (same != kept.end())
      same->second = value;
    else
      kept.emplace_back(std::move(key), value);
  }
  std::string out = "{";
  for (const auto& [key, value] : kept) {
    if (out.size() > 1) out.push_back(',');
    AppendJsonString(out, key);
    out.push_back(':');
    AppendJsonString(out, value);
  }
  out.push_back('}');
  return out;
}

}  // namespace

IngestService::IngestService(SourceCache& sources, GroupCommitter& committer, Metrics& metrics,
                             const Clock& clock, Random& random, size_t max_body_bytes,
                             const Logger& logger, std::chrono::milliseconds signature_log_interval)
    : sources_(sources),
      committer_(committer),
      metrics_(metrics),
      clock_(clock),
      random_(random),
      max_body_bytes_(max_body_bytes),
      logger_(logger),
      signature_failures_(clock, signature_log_interval) {}

void IngestService::Ingest(const std::string& source_id, const Headers& headers, std::string body,
                           Done done, std::string_view request_id) {
  const auto started = std::chrono::steady_clock::now();
  auto finish = [this, started, done = std::move(done)](const IngestCounters& counters,
                                                        Result<IngestOutcome> r) {
    counters.Count(r.ok() ? (r->duplicate ? IngestResult::kDuplicate : IngestResult::kAccepted)
                          : IngestResultFor(r.status()));
    metrics_.ingest_duration().Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    done(std::move(r));
  };

  auto entry = sources_.Get(source_id);
  if (!entry.ok()) return finish(sources_.unknown_counters(), entry.status());
  const SourceEntry& src = **entry;
  const IngestCounters& counters = src.counters;

  if (body.size() > max_body_bytes_)
    return finish(counters, Status(ErrorKind::kTooLarge, "payload_too_large",
                                   "the body is " + std::to_string(body.size()) +
                                       " bytes; the limit is " + std::to_string(max_body_bytes_)));
  auto ct = headers.Get("content-type");
  if (!ct || !IsJsonContentType(*ct))
    return finish(counters, Status(ErrorKind::kUnsupportedMedia, "unsupported_media_type",
                                   "webhooks must be sent as application/json"));

  const int64_t now_ms = clock_.NowUnixMillis();
  const std::vector<std::string> secrets = src.source.LiveSecrets(now_ms);
  auto verified =
      src.verifier->Verify({headers, body, secrets, src.source.tolerance_seconds, now_ms / 1000});
  if (!verified.ok()) {
    const Status& failure = verified.status();
    if (failure.kind() == ErrorKind::kUnauthenticated && logger_.Enabled(LogLevel::kWarn)) {
      // This failure and the ones left out since the last line.
      if (auto left_out = signature_failures_.Admit(src.source.id))
        logger_.Warn("signatures failing for a source", {{"source_id", src.source.id},
                                                         {"failures", *left_out + 1},
                                                         {"code", failure.code()},
                                                         {"reason", failure.message()},
                                                         {"request_id", request_id}});
    }
    return finish(counters, failure);
  }

  Event event;
  event.id = NewId("evt", clock_, random_);
  event.source_id = src.source.id;
  event.app_id = src.source.app_id;
  event.provider = src.source.provider;
  event.provider_event_id = std::move(verified->provider_event_id);
  event.type = std::move(verified->event_type);
  event.headers_json = HeadersJson(headers);
  event.body = std::move(body);
  event.received_at = now_ms;
  // The entry keeps the counters alive until the commit answers.
  committer_.Submit(std::move(event),
                    [finish = std::move(finish), entry = *entry](Result<IngestOutcome> r) mutable {
                      finish(entry->counters, std::move(r));
                    });
}

}  // namespace hookd
