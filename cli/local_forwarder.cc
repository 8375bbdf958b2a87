#include "cli/local_forwarder.h"

#include <httplib.h>

#include <chrono>

#include "common/http_types.h"

namespace hookd::cli {

Result<LocalUrl> ParseLocalUrl(const std::string& text) {
  std::string url = text;
  if (url.find("://") == std::string::npos) url = "http://" + url;
  const size_t scheme_end = url.find("://");
  const std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https")
    return Status::InvalidField("--forward-to must be an http or https URL, got " + text);
  const size_t path_at = url.find('/', scheme_end + 3);
  LocalUrl out;
  out.origin = url.substr(0, path_at);
  out.path = path_at == std::string::npos ? "/" : url.substr(path_at);
  const std::string authority = out.origin.substr(scheme_end + 3);
  if (authority.empty() || authority.find_first_of(" @\\") != std::string::npos)
    return Status::InvalidField("--forward-to has no usable host: " + text);
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return Status::InvalidField("--forward-to holds a space or control character");
  return out;
}

LocalForwarder::LocalForwarder(LocalUrl url, int workers, std::chrono::milliseconds timeout,
                               Done done)
    : url_(std::move(url)), timeout_(timeout), done_(std::move(done)) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { Work(); });
}

LocalForwarder::~LocalForwarder() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queue_.clear();  // hookd has ended what was not forwarded
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void LocalForwarder::Submit(uint64_t generation, ListenDelivery delivery) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.emplace_back(generation, std::move(delivery));
  }
  cv_.notify_one();
}

void LocalForwarder::Work() {
  httplib::Client client(url_.origin);
  client.set_connection_timeout(std::chrono::duration_cast<std::chrono::seconds>(timeout_));
  client.set_read_timeout(std::chrono::duration_cast<std::chrono::seconds>(timeout_));
  client.set_write_timeout(std::chrono::duration_cast<std::chrono::seconds>(timeout_));
  client.set_follow_location(false);
  client.set_keep_alive(true);
  while (true) {
    std::pair<uint64_t, ListenDelivery> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    const ListenDelivery& d = job.second;
    httplib::Headers headers;
    std::string content_type = "application/json";
    for (const auto& [name, value] : d.headers) {
      if (EqualsIgnoreCase(name, "content-type"))
        content_type = value;
      else
        headers.emplace(name, value);
    }
    ListenResult result;
    result.id = d.id;
    const auto started = std::chrono::steady_clock::now();
    httplib::Result r = client.Post(url_.path, headers, d.body, content_type);
    result.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
    if (r) {
      result.status = r->status;
      result.body = r->body.substr(0, kListenResultBodyBytes);
    } else {
      result.error = httplib::to_string(r.error()) + " (" + url_.origin + ")";
    }
    done_(job.first, d, std::move(result));
  }
}

}  // namespace hookd::cli
