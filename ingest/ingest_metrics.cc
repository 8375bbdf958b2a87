#include "ingest/ingest_metrics.h"

namespace hookd {

const char* IngestResultName(IngestResult r) {
  switch (r) {
    case IngestResult::kAccepted:
      return "accepted";
    case IngestResult::kDuplicate:
      return "duplicate";
    case IngestResult::kInvalidSignature:
      return "invalid_signature";
    case IngestResult::kTimestampOutOfTolerance:
      return "timestamp_out_of_tolerance";
    case IngestResult::kMissingEventId:
      return "missing_event_id";
    case IngestResult::kInvalidJson:
      return "invalid_json";
    case IngestResult::kUnsupportedMediaType:
      return "unsupported_media_type";
    case IngestResult::kPayloadTooLarge:
      return "payload_too_large";
    case IngestResult::kNotFound:
      return "not_found";
    case IngestResult::kUnavailable:
      return "unavailable";
    case IngestResult::kInternal:
      return "internal";
    case IngestResult::kCount:
      break;
  }
  return "internal";
}

IngestResult IngestResultFor(const Status& s) {
  for (size_t i = 0; i < static_cast<size_t>(IngestResult::kCount); ++i) {
    auto r = static_cast<IngestResult>(i);
    if (s.code() == IngestResultName(r)) return r;
  }
  return s.kind() == ErrorKind::kUnavailable ? IngestResult::kUnavailable : IngestResult::kInternal;
}

IngestCounters::IngestCounters(Metrics& metrics, const std::string& source,
                               const std::string& provider) {
  for (size_t i = 0; i < counters_.size(); ++i) {
    counters_[i] = &metrics.ingest_requests().Add(
        {{"source", source},
         {"provider", provider},
         {"result", IngestResultName(static_cast<IngestResult>(i))}});
  }
}

}  // namespace hookd
