// PostgreSQL's schema keeps in step with SQLite's: a SQLite database migrated by hookd's own
// runner and a PostgreSQL database migrated by its runner have the same tables, the same columns
// (name, kind of value, NOT NULL, default, primary key) and, for every SQLite index, a PostgreSQL
// index over the same columns, as unique and as partial. A SQLite migration added without its
// PostgreSQL counterpart fails here. What differs on purpose is listed in kExceptions with why;
// an exception that no longer matches anything fails too, so the list stays true.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "common/db.h"
#include "storage/pg/pg_conn.h"
#include "storage/pg/pg_migrations.h"
#include "tests/testing/migrated_db.h"
#include "tests/testing/pg_test_db.h"
#include "tests/testing/temp_dir.h"

namespace hookd {
namespace {

struct Exception {
  const char* key;
  const char* reason;
};

// Keys are those of the problems Compare reports ("table: ...", "table.column: ...").
const Exception kExceptions[] = {
    {"schema_migrations.applied_at: type",
     "each runner keeps its own bookkeeping: PostgreSQL's applied_at is timestamptz"},
    {"schema_migrations.applied_at: default",
     "PostgreSQL's runner lets the server fill applied_at (DEFAULT now())"},
    {"status_log_head: table only in PostgreSQL",
     "the status log's seq counter, taken at the end of each writing transaction so seqs become "
     "visible in order across nodes (migrations/postgres/0001)"},
    {"nodes: table only in PostgreSQL", "the nodes sharing the database and their heartbeats"},
    {"endpoint_owners: table only in PostgreSQL",
     "which node dispatches each endpoint, under an expiring lease (one SQLite process needs "
     "none)"},
    {"deliveries.claimed_by: column only in PostgreSQL",
     "the node holding a claimed delivery, which a result must name (one SQLite writer needs "
     "none)"},
};

struct Column {
  std::string kind;  // integer, text or bytes
  bool not_null = false;
  std::optional<std::string> dflt;
};

struct Index {
  std::vector<std::string> columns;
  bool unique = false;
  bool partial = false;
};

struct Schema {
  std::map<std::string, std::map<std::string, Column>> tables;
  std::map<std::string, std::vector<std::string>> primary_keys;
  std::map<std::string, std::map<std::string, Index>> indexes;  // table -> name -> index
};

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

std::string SqliteKind(const std::string& declared) {
  if (declared == "INTEGER") return "integer";
  if (declared == "TEXT") return "text";
  if (declared == "BLOB") return "bytes";
  return std::string("sqlite ") + declared;
}

std::string PgKind(const std::string& type) {
  if (type == "bigint" || type == "integer" || type == "smallint") return "integer";
  if (type == "text") return "text";
  if (type == "bytea") return "bytes";
  return std::string("postgresql ") + type;
}

// The rows of `sql` (bound to `arg` when there is one), `columns` values each; NULL as kNull.
constexpr char kNull[] = "\x01NULL";

std::vector<std::vector<std::string>> SqliteRows(Db& db, const std::string& sql, int columns,
                                                 const std::string& arg = "") {
  std::vector<std::vector<std::string>> rows;
  auto st = db.Prepare(sql);
  EXPECT_TRUE(st.ok()) << sql << ": " << st.status().ToString();
  if (!st.ok()) return rows;
  if (!arg.empty()) st->Bind(1, arg);
  while (true) {
    auto row = st->Step();
    EXPECT_TRUE(row.ok()) << row.status().ToString();
    if (!row.ok() || !*row) break;
    std::vector<std::string> r;
    for (int c = 0; c < columns; ++c) r.push_back(st->IsNull(c) ? kNull : st->Text(c));
    rows.push_back(std::move(r));
  }
  return rows;
}

Schema ReadSqlite(Db& db) {
  Schema s;
  for (const auto& t : SqliteRows(db,
                                  "SELECT name FROM sqlite_master"
                                  " WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                                  1)) {
    const std::string& table = t[0];
    std::map<int, std::string> pk;
    for (const auto& c : SqliteRows(db,
                                    "SELECT name, type, \"notnull\", dflt_value, pk"
                                    " FROM pragma_table_info(?)",
                                    5, table)) {
      Column col{SqliteKind(c[1]), c[2] == "1" || c[4] != "0", std::nullopt};
      if (c[3] != kNull) col.dflt = c[3];
      s.tables[table][c[0]] = col;
      if (c[4] != "0") pk[std::stoi(c[4])] = c[0];
    }
    for (const auto& [n, name] : pk) s.primary_keys[table].push_back(name);
    for (const auto& i : SqliteRows(
             db, "SELECT name, \"unique\", partial, origin FROM pragma_index_list(?)", 4, table)) {
      Index idx;
      idx.unique = i[1] == "1";
      idx.partial = i[2] == "1";
      for (const auto& c :
           SqliteRows(db, "SELECT name FROM pragma_index_info(?) ORDER BY seqno", 1, i[0]))
        idx.columns.push_back(c[0]);
      // The indexes SQLite makes for UNIQUE and PRIMARY KEY have its own names: keyed by columns.
      const std::string name = i[3] == "c" ? i[0] : std::string("(") + Join(idx.columns) + ")";
      s.indexes[table][name] = idx;
    }
  }
  return s;
}

std::vector<std::vector<std::string>> PgRows(PgConn& conn, const std::string& sql) {
  std::vector<std::vector<std::string>> rows;
  auto r = conn.Exec(sql);
  EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
  if (!r.ok()) return rows;
  for (int i = 0; i < r->rows(); ++i) {
    std::vector<std::string> row;
    for (int c = 0; c < r->columns(); ++c)
      row.push_back(r->IsNull(i, c) ? kNull : std::string(r->Text(i, c)));
    rows.push_back(std::move(row));
  }
  return rows;
}

Schema ReadPg(PgConn& conn) {
  Schema s;
  const std::regex cast("::[a-z ]+$");
  for (const auto& c : PgRows(conn,
                              "SELECT table_name, column_name, data_type, is_nullable,"
                              " column_default FROM information_schema.columns"
                              " WHERE table_schema = 'public'")) {
    Column col{PgKind(c[2]), c[3] == "NO", std::nullopt};
    if (c[4] != kNull) col.dflt = std::regex_replace(c[4], cast, "");
    s.tables[c[0]][c[1]] = col;
  }
  // Every index of the schema with its columns in order, unique and partial.
  for (const auto& i : PgRows(conn,
                              "SELECT t.relname, c.relname, i.indisprimary, i.indisunique,"
                              " i.indpred IS NOT NULL, array_to_string(ARRAY("
                              "  SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o)"
                              "  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n"
                              "  ORDER BY k.o), ',')"
                              " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                              " JOIN pg_class t ON t.oid = i.indrelid"
                              " JOIN pg_namespace ns ON ns.oid = t.relnamespace"
                              " WHERE ns.nspname = 'public'")) {
    Index idx;
    idx.unique = i[3] == "t";
    idx.partial = i[4] == "t";
    std::string col;
    for (char ch : i[5] + ",") {
      if (ch != ',') {
        col += ch;
      } else {
        idx.columns.push_back(col);
        col.clear();
      }
    }
    if (i[2] == "t") s.primary_keys[i[0]] = idx.columns;
    s.indexes[i[0]][i[1]] = idx;
  }
  return s;
}

// What differs, each as "key: detail" where exceptions name the key.
std::map<std::string, std::string> Compare(const Schema& lite, const Schema& pg) {
  std::map<std::string, std::string> out;
  for (const auto& [table, columns] : lite.tables) {
    auto pt = pg.tables.find(table);
    if (pt == pg.tables.end()) {
      out[table + ": table missing in PostgreSQL"] = "";
      continue;
    }
    for (const auto& [name, c] : columns) {
      const std::string key = table + "." + name;
      auto pc = pt->second.find(name);
      if (pc == pt->second.end()) {
        out[key + ": column missing in PostgreSQL"] = "";
        continue;
      }
      if (c.kind != pc->second.kind) out[key + ": type"] = c.kind + " vs " + pc->second.kind;
      if (c.not_null != pc->second.not_null) out[key + ": not null"] = "";
      if (c.dflt != pc->second.dflt)
        out[key + ": default"] =
            c.dflt.value_or("none") + " vs " + pc->second.dflt.value_or("none");
    }
    for (const auto& [name, c] : pt->second) {
      if (!columns.count(name)) out[table + "." + name + ": column only in PostgreSQL"] = "";
    }
    auto lpk = lite.primary_keys.find(table);
    auto ppk = pg.primary_keys.find(table);
    const std::string lk = lpk == lite.primary_keys.end() ? "" : Join(lpk->second);
    const std::string pk = ppk == pg.primary_keys.end() ? "" : Join(ppk->second);
    if (lk != pk) out[table + ": primary key"] = std::string("(") + lk + ") vs (" + pk + ")";
  }
  for (const auto& [table, columns] : pg.tables) {
    if (!lite.tables.count(table)) out[table + ": table only in PostgreSQL"] = "";
  }
  for (const auto& [table, indexes] : lite.indexes) {
    auto pt = pg.indexes.find(table);
    for (const auto& [name, idx] : indexes) {
      bool found = false;
      if (pt != pg.indexes.end()) {
        for (const auto& [pname, p] : pt->second) {
          // A named SQLite index keeps its name; the ones SQLite names itself match by columns.
          if (name.front() != '(' && pname != name) continue;
          found = p.columns == idx.columns && p.unique == idx.unique && p.partial == idx.partial;
          if (found) break;
        }
      }
      if (!found) {
        std::string what =
            name.front() == '(' ? std::string() : std::string("(") + Join(idx.columns) + ") ";
        if (idx.unique) what += "unique ";
        if (idx.partial) what += "partial ";
        out[table + ": index " + name] = what + "has no counterpart";
      }
    }
  }
  return out;
}

class PgSchemaTest : public testing::PgTest {};

TEST_F(PgSchemaTest, EverySqliteTableColumnAndIndexHasItsPostgresCounterpart) {
  testing::TempDir dir;
  auto pool = testing::MigratedPool(dir.path() + "/hookd.db");
  auto lite_db = pool->Acquire();
  ASSERT_TRUE(lite_db.ok());
  const Schema lite = ReadSqlite(**lite_db);
  ASSERT_GT(lite.tables.size(), 10u);
  ASSERT_TRUE(lite.tables.count("deliveries"));

  auto conn = Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(ApplyPgMigrations(*conn, EmbeddedPgMigrations()).ok());
  const Schema pg = ReadPg(*conn);

  std::map<std::string, std::string> problems = Compare(lite, pg);
  for (const Exception& e : kExceptions) {
    EXPECT_EQ(problems.erase(e.key), 1u)
        << "the exception \"" << e.key << "\" matches nothing any more; remove it";
  }
  std::string report;
  for (const auto& [key, detail] : problems) {
    report += "\n  ";
    report += key;
    if (!detail.empty()) report += std::string(" (") + detail + ")";
  }
  EXPECT_TRUE(problems.empty())
      << "SQLite's and PostgreSQL's schemas differ; port the SQLite migration to "
         "migrations/postgres/ (or list a deliberate exception with its reason):"
      << report;
}

// The comparison itself sees what it must: a column or an index missing on one side.
TEST(PgSchemaCompareTest, ReportsAMissingColumnAnIndexAndADefault) {
  Schema lite;
  lite.tables["t"]["id"] = {"text", true, std::nullopt};
  lite.tables["t"]["x"] = {"integer", false, "0"};
  lite.primary_keys["t"] = {"id"};
  lite.indexes["t"]["t_x"] = {{"x"}, false, true};
  Schema pg = lite;
  pg.tables["t"].erase("x");
  pg.indexes["t"].clear();
  const auto problems = Compare(lite, pg);
  EXPECT_TRUE(problems.count("t.x: column missing in PostgreSQL"));
  EXPECT_TRUE(problems.count("t: index t_x"));
  pg = lite;
  pg.indexes["t"]["t_x"].partial = false;
  pg.tables["t"]["x"].dflt = "1";
  const auto more = Compare(lite, pg);
  EXPECT_TRUE(more.count("t: index t_x"));
  EXPECT_TRUE(more.count("t.x: default"));
}

}  // namespace
}  // namespace hookd
