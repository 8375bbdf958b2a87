// Writing JSON text directly, for the few hot-path documents (one per ingested event) where
// building an nlohmann::json value first costs more than the rest of the work. Pure, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace hookd {

// Appends `s` as a JSON string literal (quotes included). Invalid UTF-8 bytes become U+FFFD, as
// nlohmann's error_handler_t::replace does, so the output is always valid JSON.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace hookd
