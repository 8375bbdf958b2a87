// NameThisThread: gives the calling thread a name that `top -H`, `ps -L`, perf and gdb show
// ("hookd-commit", "hookd-dispatch", ...), so an operator can see which of hookd's threads uses
// the CPU. Linux keeps at most 15 characters; a longer name is cut there.
#pragma once

#include <string_view>

namespace hookd {

void NameThisThread(std::string_view name);

}  // namespace hookd
