// ApplicationRepository on PostgreSQL, over a PgPool: the same answers, error kinds, order and
// cursor as SQLite's ApplicationStore (docs/DECISIONS.md, "PostgreSQL: applications"). A live
// application's uid is unique by the database's partial index (applications_uid), so nodes
// creating one uid at once make one application; a deletion locks the application's row, which
// the inserts of its endpoints, sources and tokens share-lock, so either such an insert sees the
// application deleted or the deletion removes what it inserted. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apps/application_repository.h"
#include "common/clock.h"
#include "common/random.h"
#include "storage/pg/pg_pool.h"

namespace hookd {

class PgApplicationStore final : public ApplicationRepository {
 public:
  PgApplicationStore(PgPool& pool, const Clock& clock, Random& random)
      : pool_(pool), clock_(clock), random_(random) {}

  // INSERT ... ON CONFLICT on the live uid: 409 uid_in_use when another application has it.
  Result<Application> Create(const ApplicationChange& change) override;
  // Reads the live application with the uid under a row lock and changes it, or inserts it with
  // ON CONFLICT DO NOTHING; an insert that lost to another node's reads the winner and changes
  // it, so concurrent upserts of one uid make one application.
  Result<std::pair<Application, bool>> Upsert(const std::string& uid,
                                              const ApplicationChange& change) override;
  Result<Application> Update(const std::string& app, const ApplicationChange& change) override;
  Result<Application> Get(const std::string& app) override;
  Result<std::string> Resolve(const std::string& app) override;
  // Newest first by seq with the same cursor as SQLite's; with several writers seqs can become
  // visible out of order, so a page read while another node commits an application can pass it.
  // The search matches as SQLite's LIKE does: a prefix, ASCII letters in either case.
  Result<std::vector<Application>> List(const std::optional<std::string>& search,
                                        const std::optional<std::string>& after,
                                        int limit) override;
  Status Delete(const std::string& app) override;
  void OnSourcesDeleted(std::function<void(const std::vector<std::string>&)> f) override {
    sources_deleted_ = std::move(f);
  }

 private:
  Result<std::pair<Application, bool>> UpsertOnce(const std::string& uid,
                                                  const ApplicationChange& change);
  Result<Application> UpdateOnce(const std::string& app, const ApplicationChange& change);
  Result<std::vector<std::string>> DeleteOnce(const std::string& app);

  PgPool& pool_;
  const Clock& clock_;
  Random& random_;
  std::function<void(const std::vector<std::string>&)> sources_deleted_;
};

}  // namespace hookd
