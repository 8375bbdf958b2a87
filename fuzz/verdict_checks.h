// The invariants every verifier verdict must hold, shared by the verifier fuzz targets.
#pragma once

#include <string_view>

#include "common/json_limits.h"
#include "fuzz/fuzz_util.h"
#include "ingest/verifier.h"
#include "ingest/verifier_util.h"

namespace hookd::fuzz {

// A success names a usable event from a JSON object body; a failure is one of the documented
// statuses (ingest/verifier.h) with the kind its code implies.
inline void CheckVerdict(const Result<VerifiedEvent>& verdict, std::string_view body) {
  if (verdict.ok()) {
    FUZZ_CHECK(!verdict->provider_event_id.empty(), "an accepted event has an id");
    FUZZ_CHECK(CheckIdentifier(verdict->provider_event_id, "id").ok(), verdict->provider_event_id);
    FUZZ_CHECK(CheckIdentifier(verdict->event_type, "type").ok(), verdict->event_type);
    auto parsed = ParseJsonBounded(body);
    FUZZ_CHECK(parsed.ok() && parsed->is_object(), "an accepted body is a JSON object");
    return;
  }
  const Status& s = verdict.status();
  if (s.code() == "invalid_signature" || s.code() == "timestamp_out_of_tolerance") {
    FUZZ_CHECK(s.kind() == ErrorKind::kUnauthenticated, s.ToString());
  } else {
    FUZZ_CHECK(s.code() == "invalid_json" || s.code() == "missing_event_id" ||
                   s.code() == "invalid_header",
               s.ToString());
    FUZZ_CHECK(s.kind() == ErrorKind::kMalformed, s.ToString());
  }
}

}  // namespace hookd::fuzz
