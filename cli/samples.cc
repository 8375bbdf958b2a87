#include "cli/samples.h"

#include <nlohmann/json.hpp>

#include "common/crypto.h"

namespace hookd::cli {
namespace {

using nlohmann::json;

std::string Uuid(Random& random) {
  const std::string h = HexEncode(random.Bytes(16));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-4" + h.substr(13, 3) + "-a" + h.substr(17, 3) +
         "-" + h.substr(20, 12);
}

std::string Rfc3339(int64_t s) {
  char buf[32];
  const time_t t = static_cast<time_t>(s);
  tm tm{};
  gmtime_r(&t, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

const json kRepository = {{"id", 1296269},
                          {"name", "Hello-World"},
                          {"full_name", "octocat/Hello-World"},
                          {"private", false},
                          {"html_url", "https://github.com/octocat/Hello-World"}};
const json kSender = {{"login", "octocat"}, {"id", 1}, {"type", "User"}};

// GitHub: the payload of X-GitHub-Event `name` (its action, when given, in the body).
Result<std::pair<std::string, json>> GithubPayload(const std::string& event) {
  if (event == "push")
    return std::pair{std::string("push"),
                     json{{"ref", "refs/heads/main"},
                          {"before", "6113728f27ae82c7b1a177c8d03f9e96e0adf246"},
                          {"after", "59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5"},
                          {"repository", kRepository},
                          {"pusher", {{"name", "octocat"}, {"email", "octocat@github.com"}}},
                          {"sender", kSender},
                          {"commits",
                           {{{"id", "59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5"},
                             {"message", "Update README"},
                             {"author", {{"name", "Monalisa Octocat"}}}}}}}};
  if (event == "issues.opened")
    return std::pair{std::string("issues"), json{{"action", "opened"},
                                                 {"issue",
                                                  {{"number", 1347},
                                                   {"title", "Found a bug"},
                                                   {"state", "open"},
                                                   {"body", "I'm having a problem with this."},
                                                   {"user", kSender}}},
                                                 {"repository", kRepository},
                                                 {"sender", kSender}}};
  if (event == "pull_request.opened")
    return std::pair{std::string("pull_request"),
                     json{{"action", "opened"},
                          {"number", 2},
                          {"pull_request",
                           {{"number", 2},
                            {"title", "Update the README with new information"},
                            {"state", "open"},
                            {"head", {{"ref", "new-topic"}}},
                            {"base", {{"ref", "main"}}}}},
                          {"repository", kRepository},
                          {"sender", kSender}}};
  if (event == "ping")
    return std::pair{std::string("ping"), json{{"zen", "Keep it logically awesome."},
                                               {"hook_id", 12345678},
                                               {"repository", kRepository},
                                               {"sender", kSender}}};
  return Status::InvalidField("no GitHub sample \"" + event +
                              "\" (push, issues.opened, pull_request.opened, ping)");
}

Result<json> StripeObject(const std::string& event, Random& random) {
  const std::string suffix = HexEncode(random.Bytes(8));
  if (event == "payment_intent.succeeded")
    return json{{"id", "pi_" + suffix}, {"object", "payment_intent"}, {"amount", 2000},
                {"currency", "usd"},    {"status", "succeeded"},      {"livemode", false}};
  if (event == "invoice.paid")
    return json{{"id", "in_" + suffix}, {"object", "invoice"}, {"amount_paid", 4200},
                {"currency", "usd"},    {"status", "paid"},    {"customer", "cus_" + suffix}};
  if (event == "customer.created")
    return json{{"id", "cus_" + suffix},
                {"object", "customer"},
                {"email", "jenny.rosen@example.com"},
                {"name", "Jenny Rosen"}};
  return Status::InvalidField("no Stripe sample \"" + event +
                              "\" (payment_intent.succeeded, invoice.paid, customer.created)");
}

// Sets `path` ("a.b.c") in `j` to `value` (JSON when it parses, else the string).
Status Override(json& j, const std::string& path, const std::string& value) {
  if (path.empty()) return Status::InvalidField("--override needs key=value");
  json* at = &j;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (key.empty() || !at->is_object())
      return Status::InvalidField("--override " + path + ": not a path into the payload's objects");
    if (dot == std::string::npos) {
      json parsed = json::parse(value, nullptr, false);
      (*at)[key] = parsed.is_discarded() ? json(value) : parsed;
      return Status::Ok();
    }
    at = &(*at)[key];
    if (at->is_null()) *at = json::object();
    start = dot + 1;
  }
}

}  // namespace

const std::vector<SampleInfo>& SampleList() {
  static const std::vector<SampleInfo> kList = {
      {"github", "push", "a push to main with one commit"},
      {"github", "issues.opened", "an issue opened"},
      {"github", "pull_request.opened", "a pull request opened"},
      {"github", "ping", "the ping GitHub sends when a webhook is created"},
      {"stripe", "payment_intent.succeeded", "a payment of $20.00 succeeded"},
      {"stripe", "invoice.paid", "an invoice of $42.00 paid"},
      {"stripe", "customer.created", "a customer created"},
      {"shopify", "orders/create", "an order created"},
      {"standard", "<any.type>", "a Standard Webhooks event of that type (e.g. order.created)"},
  };
  return kList;
}

Result<SignedSample> MakeSample(const std::string& provider, const std::string& event,
                                const std::string& secret, int64_t now_s, Random& random,
                                const std::vector<std::pair<std::string, std::string>>& overrides) {
  SignedSample out;
  json body;
  std::string github_event;
  if (provider == "github") {
    auto p = GithubPayload(event);
    if (!p.ok()) return p.status();
    github_event = p->first;
    body = p->second;
  } else if (provider == "stripe") {
    auto object = StripeObject(event, random);
    if (!object.ok()) return object.status();
    body = {{"id", "evt_" + HexEncode(random.Bytes(12))},
            {"object", "event"},
            {"api_version", "2024-06-20"},
            {"created", now_s},
            {"type", event},
            {"livemode", false},
            {"data", {{"object", *object}}}};
  } else if (provider == "shopify") {
    if (event != "orders/create")
      return Status::InvalidField("no Shopify sample \"" + event + "\" (orders/create)");
    body = {{"id", 820982911946154508},
            {"email", "jon@example.com"},
            {"created_at", Rfc3339(now_s)},
            {"currency", "USD"},
            {"total_price", "403.00"},
            {"line_items", {{{"title", "IPod Nano - 8gb"}, {"quantity", 1}, {"price", "199.00"}}}}};
  } else if (provider == "standard") {
    body = {{"type", event},
            {"timestamp", Rfc3339(now_s)},
            {"data", {{"id", "ord_" + HexEncode(random.Bytes(6))}, {"total", 4200}}}};
  } else {
    return Status::InvalidField("unknown provider \"" + provider +
                                "\" (github, stripe, shopify, standard)");
  }
  for (const auto& [path, value] : overrides) {
    if (Status s = Override(body, path, value); !s.ok()) return s;
  }
  out.body = body.dump();
  out.headers.emplace_back("Content-Type", "application/json");
  if (provider == "github") {
    out.headers.emplace_back("X-GitHub-Event", github_event);
    out.headers.emplace_back("X-GitHub-Delivery", Uuid(random));
    out.headers.emplace_back("X-GitHub-Hook-ID", "12345678");
    out.headers.emplace_back("User-Agent", "GitHub-Hookshot/hookd-trigger");
    out.headers.emplace_back("X-Hub-Signature-256",
                             "sha256=" + HexEncode(HmacSha256(secret, out.body)));
    const auto action = body.find("action");
    out.event_type = github_event + (action != body.end() && action->is_string()
                                         ? "." + action->get<std::string>()
                                         : std::string());
  } else if (provider == "stripe") {
    const std::string t = std::to_string(now_s);
    out.headers.emplace_back("Stripe-Signature",
                             "t=" + t + ",v1=" + HexEncode(HmacSha256(secret, t + "." + out.body)));
    out.headers.emplace_back("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)");
    out.event_type = body.value("type", event);
  } else if (provider == "shopify") {
    out.headers.emplace_back("X-Shopify-Topic", event);
    out.headers.emplace_back("X-Shopify-Webhook-Id", Uuid(random));
    out.headers.emplace_back("X-Shopify-Shop-Domain", "example.myshopify.com");
    out.headers.emplace_back("X-Shopify-Hmac-Sha256", Base64Encode(HmacSha256(secret, out.body)));
    out.event_type = event;
  } else {
    if (!secret.starts_with("whsec_"))
      return Status::InvalidField("a Standard Webhooks source's secret starts with whsec_");
    auto key = Base64Decode(secret.substr(6));
    if (!key) return Status::InvalidField("the source's whsec_ secret is not base64");
    const std::string id = "msg_" + HexEncode(random.Bytes(12));
    const std::string t = std::to_string(now_s);
    out.headers.emplace_back("webhook-id", id);
    out.headers.emplace_back("webhook-timestamp", t);
    out.headers.emplace_back("webhook-signature",
                             "v1," + Base64Encode(HmacSha256(*key, id + "." + t + "." + out.body)));
    out.event_type = body.value("type", event);
  }
  return out;
}

}  // namespace hookd::cli
