// ReadPage: one page of a list statement that asked for `limit` + 1 rows (API.md's lists): the
// first `limit` rows made into JSON by `row`, and whether there was one more. The statement is
// reset afterwards, so a cached one can run again.
#pragma once

#include <functional>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/db.h"
#include "common/result.h"

namespace hookd {

struct ListPage {
  nlohmann::json items = nlohmann::json::array();
  bool more = false;
};

inline Result<ListPage> ReadPage(Stmt& st, int limit,
                                 const std::function<nlohmann::json(const Stmt&)>& row) {
  ListPage page;
  while (true) {
    auto r = st.Step();
    if (!r.ok()) {
      st.Reset();
      return r.status();
    }
    if (!*r) break;
    if (static_cast<int>(page.items.size()) == limit) {
      page.more = true;
      break;
    }
    page.items.push_back(row(st));
  }
  st.Reset();
  return page;
}

}  // namespace hookd
