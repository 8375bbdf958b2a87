#include "deliver/delivery_headers.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "deliver/forward_headers.h"
#include "deliver/outbound_http.h"

namespace hookd {
namespace {

bool StartsWithLower(std::string_view name, std::string_view lower_prefix) {
  return name.size() >= lower_prefix.size() &&
         std::equal(lower_prefix.begin(), lower_prefix.end(), name.begin(), [](char p, char c) {
           return p == std::tolower(static_cast<unsigned char>(c));
         });
}

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// No control character but HTAB (RFC 9110 section 5.5), as the endpoint API asks of custom ones.
bool IsSendableValue(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

}  // namespace

const HeaderList& DeliveryMessage::EventHeaders() const {
  if (!event_headers_) {
    event_headers_.emplace();
    if (!event_headers_json.empty()) {
      auto j = nlohmann::json::parse(event_headers_json, nullptr, false);
      if (j.is_object())
        for (const auto& [name, value] : j.items()) {
          if (!value.is_string()) continue;
          std::string lower = name;  // ingest stores them lower-case already
          for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          event_headers_->emplace_back(std::move(lower), value.get<std::string>());
        }
    }
  }
  return *event_headers_;
}

bool IsHookdHeader(std::string_view name) {
  return StartsWithLower(name, "webhook-") || StartsWithLower(name, "hookd-");
}

HeaderList DeliveryHeaders(const Endpoint& endpoint, const DeliveryMessage& message) {
  HeaderList out;
  out.reserve(3 + endpoint.headers.size());
  out.emplace_back("webhook-id", message.id);  // the same on every retry
  out.emplace_back("hookd-event-type", message.event_type);
  if (message.source_id) out.emplace_back("hookd-source-id", *message.source_id);
  const size_t own = out.size();
  for (const auto& [name, value] : endpoint.headers)
    if (!IsHookdHeader(name)) out.emplace_back(name, value);
  if (endpoint.forward_headers.empty() || message.event_headers_json.empty()) return out;
  const size_t custom_end = out.size();
  for (const auto& header : message.EventHeaders()) {
    const auto& [name, value] = header;
    if (!MatchesForwardPattern(name, endpoint.forward_headers)) continue;
    if (!ForwardRefusal(name).empty() || IsHookdHeader(name) || IsReservedHeader(name)) continue;
    if (!IsSendableValue(value)) continue;
    const bool taken = std::any_of(out.begin() + static_cast<std::ptrdiff_t>(own),
                                   out.begin() + static_cast<std::ptrdiff_t>(custom_end),
                                   [&](const auto& h) { return SameName(h.first, header.first); });
    if (!taken) out.emplace_back(name, value);
  }
  return out;
}

}  // namespace hookd
