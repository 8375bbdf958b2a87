#include "app/backup_command.h"

#include <cstdio>

#include "app/backup_file.h"

namespace hookd {

std::string BackupHelp() {
  return "Usage: hookd backup --to FILE [--force] [--data-dir DIR]\n"
         "\n"
         "Copies the live database (<data-dir>/hookd.db) into FILE while hookd serves, with\n"
         "SQLite's online backup: one consistent snapshot holding everything committed before the\n"
         "backup began. The copy is written beside FILE, checked with PRAGMA integrity_check,\n"
         "made mode 0600 and only then renamed to FILE. It holds the sources' and endpoints'\n"
         "secrets: keep it as carefully as the data dir.\n"
         "\n"
         "  --to FILE     where to write the copy (required)\n"
         "  --force       replace FILE if it exists (it is refused otherwise)\n"
         "  --data-dir    the data dir, and every other setting of `hookd serve`, from flags or\n"
         "                HOOKD_* variables as for serve (only the data dir is used)\n"
         "\n"
         "Restore: stop hookd, copy FILE to <data-dir>/hookd.db, remove hookd.db-wal and\n"
         "hookd.db-shm, start hookd (docs/OPERATIONS.md).\n"
         "Exit status: 0 copied, 1 the copy failed (FILE is left as it was), 2 usage error.\n";
}

int RunBackupCommand(const std::vector<std::string>& args, const GetEnv& getenv, std::ostream& out,
                     std::ostream& err) {
  auto usage = [&](const std::string& message) {
    err << "hookd backup: " << message << " (see hookd backup --help)\n";
    return 2;
  };
  std::string to;
  bool force = false;
  std::vector<std::string> rest;  // serve's settings
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out << BackupHelp();
      return 0;
    }
    if (a == "--force") {
      force = true;
    } else if (a == "--to") {
      if (i + 1 >= args.size() || args[i + 1].empty()) return usage("--to needs a file name");
      to = args[++i];
    } else if (a.starts_with("--to=")) {
      to = a.substr(5);
      if (to.empty()) return usage("--to needs a file name");
    } else {
      rest.push_back(a);
    }
  }
  if (to.empty()) return usage("--to FILE is required");
  auto settings = ParseSettings(rest, getenv);
  if (!settings.ok()) return usage(settings.status().message());

  const std::string db_path = settings->data_dir + "/hookd.db";
  auto stats = BackupToFile(db_path, to, force);
  if (!stats.ok()) {
    err << "hookd backup: " << stats.status().message() << "\n";
    return 1;
  }
  char size[32];
  std::snprintf(size, sizeof(size), "%.1f MiB",
                static_cast<double>(stats->pages * stats->page_size) / (1 << 20));
  out << "hookd backup: copied " << db_path << " to " << to << " (" << stats->pages << " pages, "
      << size << ", integrity ok)\n";
  return 0;
}

}  // namespace hookd
