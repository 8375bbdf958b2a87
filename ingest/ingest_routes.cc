#include "common/http_errors.h"
#include "ingest/routes.h"

namespace hookd {

void RegisterIngestRoutes(Router& router, IngestService& service) {
  router.Add("POST", "/ingest/:source_id", Access::kPublic,
             AsyncHandler([&service](HttpRequest& req, Reply reply) {
               service.Ingest(
                   req.params["source_id"], req.headers, std::move(req.body),
                   [reply = std::move(reply)](Result<IngestOutcome> r) {
                     if (!r.ok()) return reply(ErrorResponse(r.status()));
                     reply(JsonResponse(r->duplicate ? 200 : 202,
                                        {{"id", r->id}, {"duplicate", r->duplicate}}));
                   },
                   req.request_id);
             }));
}

}  // namespace hookd
