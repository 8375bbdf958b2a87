#include "common/log.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>

#include "common/http_types.h"
#include "common/json_text.h"
#include "common/time_format.h"

namespace hookd {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Appends `s` with control characters, DEL, backslashes and (when `quote_escapes`) double quotes
// escaped, so the text stays on one line and can be read back unambiguously.
void AppendEscaped(std::string& out, std::string_view s, bool quote_escapes) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else if (c == '\\' && quote_escapes) {
      out += "\\\\";
    } else if (c == '"' && quote_escapes) {
      out += "\\\"";
    } else {
      out += ch;
    }
  }
}

// A text value is quoted when it is empty or holds a space, a quote, '=' or anything escaped.
bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (const char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}

}  // namespace

LogField::LogField(std::string_view k, double v) : key(k), kind(Kind::kNumber) {
  char buf[64];
  // JSON has no NaN or infinity.
  if (!std::isfinite(v)) v = 0;
  std::snprintf(buf, sizeof buf, "%.3f", v);
  value = buf;
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (EqualsIgnoreCase(name, LogLevelName(l))) return l;
  }
  if (EqualsIgnoreCase(name, "warning")) return LogLevel::kWarn;
  return std::nullopt;
}

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  if (EqualsIgnoreCase(name, "text")) return LogFormat::kText;
  if (EqualsIgnoreCase(name, "json")) return LogFormat::kJson;
  return std::nullopt;
}

void FdLogSink::Write(std::string_view line) {
  std::lock_guard<std::mutex> lock(mu_);
  while (!line.empty()) {
    const ssize_t n = ::write(fd_, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to report a failure to write the log
    line.remove_prefix(static_cast<size_t>(n));
  }
}

Logger& Logger::Discard() {
  struct NullSink final : LogSink {
    void Write(std::string_view) override {}
  };
  static NullSink sink;
  static SystemClock clock;
  // Above every level: nothing is formatted.
  static Logger logger(sink, clock, static_cast<LogLevel>(4));
  return logger;
}

std::string Logger::Format(LogLevel level, std::string_view msg,
                           std::span<const LogField> fields) const {
  const std::string time = FormatRfc3339(clock_.NowUnixMillis());
  std::string out;
  out.reserve(64 + msg.size() + fields.size() * 32);
  if (format_ == LogFormat::kJson) {
    out += "{\"time\":";
    AppendJsonString(out, time);
    out += ",\"level\":";
    AppendJsonString(out, LogLevelName(level));
    out += ",\"msg\":";
    AppendJsonString(out, msg);
    for (const LogField& f : fields) {
      // The three members every line has are not repeated by a field of the same name.
      if (f.key == "time" || f.key == "level" || f.key == "msg") continue;
      out += ',';
      AppendJsonString(out, f.key);
      out += ':';
      if (f.kind == LogField::Kind::kString)
        AppendJsonString(out, f.value);
      else
        out += f.value;
    }
    out += "}\n";
    // JSON lets DEL stand unescaped; a terminal does not. It occurs only inside strings here.
    if (out.find('\x7f') == std::string::npos) return out;
    std::string clean;
    clean.reserve(out.size() + 16);
    for (char c : out) {
      if (c == '\x7f')
        clean += "\\u007f";
      else
        clean += c;
    }
    return clean;
  }
  out += time;
  out += ' ';
  std::string name = LogLevelName(level);
  for (char& c : name) c = static_cast<char>(c - 'a' + 'A');
  out += name;
  out += ' ';
  AppendEscaped(out, msg, false);
  for (const LogField& f : fields) {
    out += ' ';
    AppendEscaped(out, f.key, false);
    out += '=';
    if (NeedsQuotes(f.value)) {
      out += '"';
      AppendEscaped(out, f.value, true);
      out += '"';
    } else {
      out += f.value;
    }
  }
  out += '\n';
  return out;
}

void Logger::Log(LogLevel level, std::string_view msg, std::span<const LogField> fields) const {
  if (!Enabled(level)) return;
  sink_.Write(Format(level, msg, fields));
}

}  // namespace hookd
