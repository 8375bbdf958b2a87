// The ingest slice's HTTP routes. Handlers only turn requests into calls on the stores and the
// IngestService and their results into responses (API.md, "Sources and ingest").
#pragma once

#include "common/clock.h"
#include "common/random.h"
#include "common/router.h"
#include "ingest/event_store.h"
#include "ingest/ingest_service.h"
#include "ingest/source_cache.h"
#include "ingest/source_store.h"

namespace hookd {

// /api/v1/sources CRUD and rotate-secret (admin).
void RegisterSourceRoutes(Router& router, SourceStore& store, SourceCache& cache,
                          const Clock& clock, Random& random);
// /api/v1/events list and detail (admin).
void RegisterEventRoutes(Router& router, EventStore& store);
// POST /ingest/:source_id (authenticated by the provider's signature).
void RegisterIngestRoutes(Router& router, IngestService& service);

}  // namespace hookd
