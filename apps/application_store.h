// ApplicationStore: the ApplicationRepository on SQLite (migrations/0015_applications.sql).
// `{app}` in a path is an application's id or its uid; a deleted application is not found by
// either. Thread-safe (one pooled connection per call).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apps/application.h"
#include "apps/application_repository.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/random.h"

namespace hookd {

class ApplicationStore final : public ApplicationRepository {
 public:
  ApplicationStore(DbPool& pool, const Clock& clock, Random& random)
      : pool_(pool), clock_(clock), random_(random) {}

  // 422 without a name; 409 uid_in_use when a live application has the uid.
  Result<Application> Create(const ApplicationChange& change) override;
  // Creates the application `uid` (a name is then required) or changes the one that has it;
  // .second is true when it was created.
  Result<std::pair<Application, bool>> Upsert(const std::string& uid,
                                              const ApplicationChange& change) override;
  Result<Application> Update(const std::string& app, const ApplicationChange& change) override;
  // 404 not_found for an unknown or deleted application.
  Result<Application> Get(const std::string& app) override;
  // The id of the live application `app` names (an id or a uid); 404 otherwise.
  Result<std::string> Resolve(const std::string& app) override;
  // Newest first; `search` matches the start of the name or the uid, or the whole id.
  Result<std::vector<Application>> List(const std::optional<std::string>& search,
                                        const std::optional<std::string>& after,
                                        int limit) override;
  // Marks it deleted and deletes its endpoints and sources in one transaction, so from the commit
  // on nothing of it is ingested, fanned out to or attempted (the engine ends its claimed
  // deliveries as "endpoint deleted"); AppReaper removes the rest. 409 default_application for
  // the default application.
  Status Delete(const std::string& app) override;
  // Called after a deletion commits with the ids of the sources it deleted (so this process's
  // source cache forgets them at once). Set before serving.
  void OnSourcesDeleted(std::function<void(const std::vector<std::string>&)> f) override {
    sources_deleted_ = std::move(f);
  }

 private:
  Result<Application> GetIn(Db& db, const std::string& app);

  DbPool& pool_;
  const Clock& clock_;
  Random& random_;
  std::function<void(const std::vector<std::string>&)> sources_deleted_;
};

}  // namespace hookd
