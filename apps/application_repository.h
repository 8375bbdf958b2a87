// ApplicationRepository: durable storage of applications, whichever engine holds them
// (ApplicationStore on SQLite, PgApplicationStore on PostgreSQL), with the same answers, error
// kinds, order and cursor on both. `{app}` in a path is an application's id or its uid; a deleted
// application is not found by either. Implementations are thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apps/application.h"
#include "common/result.h"

namespace hookd {

class ApplicationRepository {
 public:
  virtual ~ApplicationRepository() = default;

  // 422 without a name; 409 uid_in_use when a live application has the uid.
  virtual Result<Application> Create(const ApplicationChange& change) = 0;
  // Creates the application `uid` (a name is then required) or changes the one that has it;
  // .second is true when it was created.
  virtual Result<std::pair<Application, bool>> Upsert(const std::string& uid,
                                                      const ApplicationChange& change) = 0;
  virtual Result<Application> Update(const std::string& app, const ApplicationChange& change) = 0;
  // 404 not_found for an unknown or deleted application.
  virtual Result<Application> Get(const std::string& app) = 0;
  // The id of the live application `app` names (an id or a uid); 404 otherwise.
  virtual Result<std::string> Resolve(const std::string& app) = 0;
  // Newest first; `search` matches the start of the name or the uid, or the whole id.
  virtual Result<std::vector<Application>> List(const std::optional<std::string>& search,
                                                const std::optional<std::string>& after,
                                                int limit) = 0;
  // Marks it deleted and deletes its endpoints and sources in one transaction, so from the commit
  // on nothing of it is ingested, fanned out to or attempted (the engine ends its claimed
  // deliveries as "endpoint deleted"); AppReaper removes the rest. 409 default_application for
  // the default application.
  virtual Status Delete(const std::string& app) = 0;
  // Called after a deletion commits with the ids of the sources it deleted (so this process's
  // source cache forgets them at once). Set before serving.
  virtual void OnSourcesDeleted(std::function<void(const std::vector<std::string>&)> f) = 0;
};

}  // namespace hookd
