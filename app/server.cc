#include "app/server.h"

#include "app/io_runtime.h"
#include "app/listen_probe.h"

#include <optional>
#include <thread>

#include "app/retention_pruner.h"
#include "apps/app_reaper.h"
#include "apps/app_stats.h"
#include "apps/application_store.h"
#include "apps/event_types.h"
#include "apps/routes.h"
#include "apps/scoped_routes.h"
#include "apps/sqlite_event_type_store.h"
#include "common/data_dir.h"
#include "common/db.h"
#include "common/descriptor_budget.h"
#include "common/http_errors.h"
#include "common/http_server.h"
#include "common/ids.h"
#include "common/metrics.h"
#include "common/migrations.h"
#include "common/process_metrics.h"
#include "common/readiness.h"
#include "common/router.h"
#include "common/scrape_gauge.h"
#include "common/shared_writer.h"
#include "common/wal_checkpointer.h"
#include "deliver/async_http_sender.h"
#include "deliver/delivery_engine.h"
#include "deliver/delivery_gauges.h"
#include "deliver/endpoint_cache.h"
#include "deliver/endpoint_service.h"
#include "deliver/endpoint_store.h"
#include "deliver/fanout.h"
#include "deliver/message_service.h"
#include "deliver/routes.h"
#include "deliver/ssrf_guard.h"
#include "ingest/group_committer.h"
#include "ingest/ingest_service.h"
#include "ingest/routes.h"
#include "ingest/source_cache.h"
#include "ingest/sqlite_event_store.h"
#include "ingest/sqlite_source_store.h"
#include "listen/cli_tunnels.h"
#include "listen/listen_endpoints.h"
#include "listen/listen_session.h"
#include "web/admin_access.h"
#include "web/assets.h"
#include "web/openapi_document.h"
#include "web/overview.h"
#include "web/request_origin.h"
#include "web/session_routes.h"
#include "web/sessions.h"
#include "web/sqlite_session_store.h"
#include "web/status_source.h"
#include "web/stream_hub.h"
#include "web/stream_listener.h"

namespace hookd {
namespace {

constexpr char kListenSetting[] = "--listen / HOOKD_LISTEN";
constexpr char kStreamListenSetting[] = "--stream-listen / HOOKD_STREAM_LISTEN";

// `s` with `prefix` before its message: where the failure was.
Status Prefixed(const std::string& prefix, const Status& s) {
  return Status(s.kind(), s.code(), prefix + s.message());
}

}  // namespace

struct Server::Impl {
  Settings settings;
  const Clock& clock;
  Random& random;
  const Logger& logger;
  std::unique_ptr<DbPool> pool;
  // The one connection ingest, publishing and the delivery engine write through.
  std::unique_ptr<SharedWriter> writer;
  std::unique_ptr<WalCheckpointer> checkpointer;
  std::unique_ptr<Readiness> readiness;
  AdminAuth auth{""};
  std::unique_ptr<SqliteSessionStore> session_store;
  std::unique_ptr<Sessions> sessions;
  std::unique_ptr<AuthThrottle> throttle;
  std::unique_ptr<AdminAccess> access;
  Metrics metrics{settings.metrics_per_id};
  // HOOKD_METRICS_TOKEN, when set: the bearer token /metrics requires.
  std::optional<AdminAuth> metrics_auth;
  std::unique_ptr<RetentionPruner> pruner;  // null when retention is off for every table
  std::unique_ptr<AppReaper> reaper;        // removes what deleted applications leave
  std::unique_ptr<SqliteSourceStore> sources;
  std::unique_ptr<Resolver> resolver;
  std::unique_ptr<SsrfGuard> guard;
  std::unique_ptr<EndpointStore> endpoint_store;
  std::unique_ptr<EndpointCache> endpoint_cache;
  AsyncHttpSender* http_sender = nullptr;  // async_sender, unless a test injected its own
  std::unique_ptr<AsyncSender> async_sender;
  // `hookd listen` (roles api and deliver together): the connected commands, the sender that
  // hands their endpoints' attempts to them, and their endpoints.
  std::unique_ptr<CliTunnels> tunnels;
  std::unique_ptr<TunnelingSender> tunneling_sender;
  std::unique_ptr<ListenEndpoints> listen;
  std::unique_ptr<DeliveryEngine> engine;
  std::unique_ptr<ApplicationStore> applications;
  std::unique_ptr<SqliteEventTypeStore> event_types;
  std::unique_ptr<AppTokens> app_tokens;
  std::unique_ptr<PortalLinks> portal;
  std::unique_ptr<EndpointService> endpoint_service;
  std::unique_ptr<MessageService> message_service;
  std::unique_ptr<SourceCache> source_cache;
  std::unique_ptr<EventStore> events;
  std::unique_ptr<GroupCommitter> committer;
  std::unique_ptr<IngestService> ingest;
  Router router;
  std::unique_ptr<HttpServer> http;
  // The status streams (role "api"): one status-log reader and the stream listener on the
  // io runtime. Torn down in ~Impl in dependency order.
  std::unique_ptr<SqliteStatusSource> status_source;
  std::unique_ptr<StatusHub> hub;
  std::unique_ptr<StreamContext> stream_context;
  std::unique_ptr<IoRuntime> io;  // the streams' (and `hookd listen` tunnels')
  std::unique_ptr<StreamListener> stream_listener;
  // Outbound deliveries' own io_context and thread (role "deliver"). Apart from the streams' so a
  // storm of stream clients never delays an attempt, and one thread each: two threads sharing one
  // io_context woke each other for every attempt (3.8 context switches per delivery at 1,000/s
  // against 1.6 with one).
  std::unique_ptr<IoRuntime> send_io;

  // The connection caps under the open-file limit (set in Create).
  DescriptorPlan descriptors;

  Impl(const Settings& s, const Clock& c, Random& r, const Logger& l)
      : settings(s), clock(c), random(r), logger(l) {}
  ~Impl() {
    // The acceptor before its io_context; the io_context (and the sessions its pending handlers
    // own) before the context and hub those sessions use.
    stream_listener.reset();
    io.reset();
    send_io.reset();
    stream_context.reset();
    hub.reset();
  }
  void RegisterOperationalRoutes();
  // The configured origins of hookd's pages besides each request's own (the cross-site check).
  std::vector<std::string> PageOrigins() const {
    std::vector<std::string> origins = settings.dashboard_origins;
    if (!settings.public_url.empty()) origins.push_back(settings.public_url);
    return origins;
  }
  Status CreateStreams();
  // The application of a request's application credential (API routes and streams).
  Result<std::string> AuthenticateApp(const HttpRequest& req);
  void WakeEngine(WakeReason reason = WakeReason::kAnything) {
    if (engine) engine->Wake(reason);
  }
  // A writer in this process committed status-log entries.
  void StatusCommitted() {
    if (hub) hub->Notify();
  }
  // The endpoints as the ingest commit's transaction sees them (once per batch, before its
  // events); used only on the ingest commit thread.
  EndpointCache::Snapshot ingest_endpoints;
  Status OnIngestBatch(Db& db) {
    auto endpoints = endpoint_cache->GetIn(db);
    if (!endpoints.ok()) return endpoints.status();
    ingest_endpoints = std::move(endpoints).value();
    return Status::Ok();
  }
  // Every accepted event becomes a message, fanned out in the event's own transaction.
  Status OnEventInserted(Db& db, const Event& e) {
    NewMessage m;
    m.id = NewId("msg", clock, random);
    m.event_type = e.type;
    m.app_id = e.app_id;
    m.source_id = e.source_id;
    m.event_id = e.id;
    // payload stays empty: the message is delivered from the event's stored body.
    m.created_at = e.received_at;
    return InsertMessage(db, m, *ingest_endpoints, clock, random).status();
  }
};

void Server::Impl::RegisterOperationalRoutes() {
  router.Add("GET", "/healthz", Access::kPublic, SyncHandler([](HttpRequest&) {
               return JsonResponse(200, {{"status", "ok"}});
             }));
  router.Add("GET", "/readyz", Access::kPublic, SyncHandler([this](HttpRequest&) {
               // Ready once migrated (Create did that) and a commit goes through.
               if (Status s = readiness->Check(); !s.ok()) return ErrorResponse(s);
               return JsonResponse(200, {{"status", "ready"}});
             }));
  router.Add("GET", "/metrics", Access::kPublic, SyncHandler([this](HttpRequest& req) {
               if (metrics_auth) {
                 if (!metrics_auth->CheckBearer(req).ok())
                   return ErrorResponse(Status::Unauthenticated(
                       "unauthorized",
                       "missing or wrong metrics token (Authorization: Bearer "
                       "<HOOKD_METRICS_TOKEN>)"));
               }
               HttpResponse r;
               r.content_type = "text/plain; version=0.0.4";
               r.body = metrics.Serialize();
               return r;
             }));
}

// A wrong application token counts against the address, as a wrong admin token does. A
// read-only portal session may only read.
Result<std::string> Server::Impl::AuthenticateApp(const HttpRequest& req) {
  const std::string address = ClientAddress(req);
  if (Status admit = throttle->Admit(address); !admit.ok()) return admit;
  auto credential = app_tokens->Authenticate(*AppBearerToken(req));
  if (!credential.ok()) {
    if (credential.status().kind() == ErrorKind::kUnauthenticated) throttle->Failed(address);
    return credential.status();
  }
  if (credential->read_only && !IsSafeMethod(req.method))
    return Status(ErrorKind::kForbidden, "read_only", "this portal session may only read");
  return credential->app_id;
}

Status Server::Impl::CreateStreams() {
  status_source = std::make_unique<SqliteStatusSource>(*pool);
  hub = std::make_unique<StatusHub>(*status_source);
  StreamLimits limits;
  limits.max_queue_bytes = settings.stream_queue_limit;
  limits.max_connections = descriptors.caps.streams;
  limits.ping_interval = settings.stream_ping_interval;
  stream_context = std::make_unique<StreamContext>(
      *hub, metrics, [this](const HttpRequest& req) { return access->Check(req); },
      settings.dashboard_origins, limits);
  // An open stream's credential is checked again without counting as a use of its session.
  stream_context->SetRecheck([this](const HttpRequest& req) { return access->Recheck(req); });
  if (app_tokens) {
    stream_context->SetAppAuth(
        [](const HttpRequest& req) { return AppBearerToken(req).has_value(); },
        [this](const HttpRequest& req) { return AuthenticateApp(req); },
        [this](const HttpRequest& req) -> Result<std::string> {
          auto credential = app_tokens->Authenticate(*AppBearerToken(req));
          if (!credential.ok()) return credential.status();
          return credential->app_id;
        });
  }
  stream_listener = std::make_unique<StreamListener>(io->context(), *stream_context);
  Status listening =
      stream_listener->Listen(settings.stream_listen.host, settings.stream_listen.port);
  if (listening.ok()) return listening;
  return Prefixed(
      std::string(kStreamListenSetting) + " " + settings.stream_listen.ToString() + ": ",
      listening);
}

Result<std::unique_ptr<Server>> Server::Create(const Settings& settings, const Clock& clock,
                                               Random& random,
                                               std::unique_ptr<EventStore> event_store,
                                               std::unique_ptr<AsyncSender> sender,
                                               const Logger& logger) {
  // Refused, not ignored: several processes given one PostgreSQL URL would otherwise each open
  // their own SQLite file and split events, messages and endpoints between them.
  if (!settings.database_url.empty())
    return Status::InvalidField(
        "HOOKD_DATABASE_URL: the PostgreSQL engine is not in this build yet; unset it to use "
        "SQLite in the data directory (docs/DECISIONS.md, \"PostgreSQL\")");
  auto impl = std::make_unique<Impl>(settings, clock, random, logger);
  // A port that is taken fails start-up before anything is created in the data directory.
  if (Status s = ProbeListen(settings.listen, kListenSetting); !s.ok()) return s;
  if (settings.HasRole("api")) {
    if (Status s = ProbeListen(settings.stream_listen, kStreamListenSetting); !s.ok()) return s;
  }
  if (Status s = PrepareDataDir(settings.data_dir); !s.ok()) return s;
  // Made 0600 before SQLite opens it: SQLite gives the -wal and -shm files the same mode.
  if (Status s = CreatePrivateFile(settings.data_dir + "/hookd.db"); !s.ok()) return s;

  DbOptions db_options;
  db_options.synchronous = settings.sqlite_synchronous;
  // WAL checkpoints run on the checkpointer's thread, not inside an ingest or dispatcher commit.
  db_options.auto_checkpoint = false;
  impl->pool = std::make_unique<DbPool>(settings.data_dir + "/hookd.db", db_options);
  impl->checkpointer = std::make_unique<WalCheckpointer>(
      settings.data_dir + "/hookd.db", db_options, std::chrono::milliseconds(100));
  impl->checkpointer->SetLogger(logger);
  {
    // SQLite's own words ("unable to open database file") do not say which file.
    const std::string database = "database " + settings.data_dir + "/hookd.db: ";
    auto db = impl->pool->Acquire();
    if (!db.ok()) return Prefixed(database, db.status());
    if (Status s = ApplyMigrations(**db, EmbeddedMigrations()); !s.ok())
      return Prefixed(database, s);
  }
  {
    auto writer = SharedWriter::Open(settings.data_dir + "/hookd.db", db_options);
    if (!writer.ok()) return writer.status();
    impl->writer = std::move(writer).value();
  }
  impl->readiness = std::make_unique<Readiness>(*impl->pool, settings.data_dir, clock);
  // Read at every scrape: this process's figures, and the database's delivery gauges.
  impl->metrics.AddCollectable(std::make_shared<ProcessCollector>());
  impl->metrics.AddCollectable(std::make_shared<DeliveryGauges>(*impl->pool, clock));
  impl->metrics.AddCollectable(std::make_shared<ScrapeGauge>(
      "hookd_ready", "1 when GET /readyz would answer 200 (the database takes a commit), else 0",
      [r = impl->readiness.get()] { return r->Check().ok() ? 1.0 : 0.0; }));
  if (!settings.metrics_token.empty()) impl->metrics_auth.emplace(settings.metrics_token);
  if (settings.retention || settings.retention_status_log) {
    RetentionOptions retention;
    retention.data = settings.retention;
    retention.status_log = settings.retention_status_log;
    retention.interval = settings.retention_interval;
    // Its own connection, like the dispatcher's without fsync: a deletion lost to a power
    // failure is made again at the next run.
    DbOptions pruner_options = db_options;
    pruner_options.synchronous = "NORMAL";
    auto db = Db::Open(settings.data_dir + "/hookd.db", pruner_options);
    if (!db.ok()) return db.status();
    impl->pruner = std::make_unique<RetentionPruner>(std::move(db).value(), retention, clock,
                                                     impl->metrics, logger);
  }
  {
    // Its own connection too; every 10 s, 200 messages per transaction.
    DbOptions reaper_options = db_options;
    reaper_options.synchronous = "NORMAL";
    auto db = Db::Open(settings.data_dir + "/hookd.db", reaper_options);
    if (!db.ok()) return db.status();
    impl->reaper =
        std::make_unique<AppReaper>(std::move(db).value(), std::chrono::seconds(10), 200, logger);
  }
  auto auth = AdminAuth::Load(settings.admin_token, settings.data_dir, random);
  if (!auth.ok()) return auth.status();
  impl->auth = std::move(auth).value();
  SessionOptions session_options;
  session_options.idle = settings.session_idle;
  session_options.max_age = settings.session_max_age;
  impl->session_store = std::make_unique<SqliteSessionStore>(*impl->pool);
  impl->sessions =
      std::make_unique<Sessions>(*impl->session_store, clock, random,
                                 Sessions::TokenFingerprint(impl->auth.token()), session_options);
  // Sessions of another admin token (it changed since they signed in) and expired ones go now;
  // they would be refused anyway, so a failure here is not fatal.
  (void)impl->sessions->DeleteStale();
  impl->throttle = std::make_unique<AuthThrottle>(clock);
  impl->access = std::make_unique<AdminAccess>(impl->auth, *impl->sessions, *impl->throttle,
                                               impl->PageOrigins());

  impl->sources = std::make_unique<SqliteSourceStore>(*impl->pool);
  impl->source_cache = std::make_unique<SourceCache>(*impl->sources, impl->metrics, clock);
  impl->resolver = std::make_unique<SystemResolver>();
  impl->guard =
      std::make_unique<SsrfGuard>(*impl->resolver, settings.allow_private_targets, &clock);
  impl->endpoint_store = std::make_unique<EndpointStore>(*impl->pool);
  impl->endpoint_cache = std::make_unique<EndpointCache>(*impl->endpoint_store, clock);
  if (event_store) {
    impl->events = std::move(event_store);
  } else {
    Impl* raw = impl.get();
    auto store = SqliteEventStore::Open(
        *impl->pool, [raw](Db& db, const Event& e) { return raw->OnEventInserted(db, e); },
        [raw](Db& db) { return raw->OnIngestBatch(db); }, impl->writer.get());
    if (!store.ok()) return store.status();
    impl->events = std::move(store).value();
  }

  Impl& s = *impl;
  // One descriptor budget for both listeners and the outbound sockets (attempts in flight plus
  // as many idle pooled connections).
  const size_t outbound_wanted =
      settings.HasRole("deliver") ? 2 * static_cast<size_t>(settings.max_inflight) : 0;
  const DescriptorCaps wanted{static_cast<size_t>(settings.max_connections),
                              settings.HasRole("api") ? settings.stream_max_connections : 0,
                              outbound_wanted};
  s.descriptors = PlanDescriptors(OpenFileLimit(), wanted);
  if (std::string note = DescribeLowered(s.descriptors, wanted); !note.empty()) logger.Warn(note);
  s.router.SetAuthenticator([&s](const HttpRequest& req) { return s.access->Check(req); });
  s.RegisterOperationalRoutes();
  if (settings.HasRole("ingest")) {
    s.committer =
        std::make_unique<GroupCommitter>(*s.events, 512, [&s](size_t n, const Status& result) {
          s.metrics.ingest_batch_size().Observe(static_cast<double>(n));
          // The batch's events became messages with deliveries: send them now, not at the next
          // poll.
          if (result.ok()) {
            s.WakeEngine(WakeReason::kNewDeliveries);
            s.StatusCommitted();
          }
        });
    s.ingest = std::make_unique<IngestService>(*s.source_cache, *s.committer, s.metrics, clock,
                                               random, settings.max_body, logger);
    RegisterIngestRoutes(s.router, *s.ingest);
  }
  // The stream listener's I/O runtime and outbound deliveries' (Impl::send_io).
  if (settings.HasRole("api")) s.io = std::make_unique<IoRuntime>(1, "hookd-io-stream", logger);
  if (settings.HasRole("deliver"))
    s.send_io = std::make_unique<IoRuntime>(1, "hookd-io-send", logger);
  if (settings.HasRole("deliver")) {
    DeliveryEngineOptions options;
    if (sender) {
      s.async_sender = std::move(sender);
    } else {
      // Attempts in flight are callbacks on the shared I/O runtime, not threads.
      AsyncHttpSenderOptions sender_options;
      // Half of the outbound descriptors for attempts in flight, half for idle connections.
      const size_t sockets = std::max<size_t>(s.descriptors.caps.outbound / 2, 1);
      sender_options.max_in_flight = sockets;
      // Connections are pooled per origin, which all the attempts in flight may share (10,000
      // endpoints on one receiver): every one of them keeps its connection.
      sender_options.max_idle_per_origin = sockets;
      sender_options.max_idle_total = sockets;
      auto http_sender = std::make_unique<AsyncHttpSender>(
          s.send_io->context(), *s.guard, std::string("hookd/") + HOOKD_VERSION, sender_options);
      s.http_sender = http_sender.get();
      s.async_sender = std::move(http_sender);
    }
    AsyncSender* engine_sender = s.async_sender.get();
    if (settings.HasRole("api")) {
      s.tunnels = std::make_unique<CliTunnels>(clock);
      s.tunneling_sender = std::make_unique<TunnelingSender>(*s.async_sender, *s.tunnels,
                                                             std::string("hookd/") + HOOKD_VERSION);
      engine_sender = s.tunneling_sender.get();
    }
    options.max_inflight = settings.max_inflight;
    options.attempt_timeout = settings.delivery_timeout;
    if (!settings.retry_schedule.empty()) options.policy.schedule = settings.retry_schedule;
    options.disable_after = settings.disable_after;
    options.on_status_committed = [&s] { s.StatusCommitted(); };
    options.logger = &logger;
    options.writer = s.writer.get();
    s.engine = std::make_unique<DeliveryEngine>(*s.pool, *s.endpoint_cache, *engine_sender,
                                                s.metrics, clock, random, options);
  }
  if (settings.HasRole("api")) {
    s.endpoint_service = std::make_unique<EndpointService>(
        *s.endpoint_store, *s.endpoint_cache, *s.guard, *s.pool, clock, random,
        [&s] { s.WakeEngine(); }, [&s] { s.StatusCommitted(); }, logger);
    s.message_service = std::make_unique<MessageService>(
        *s.pool, *s.endpoint_cache, clock, random,
        [&s](WakeReason reason) { s.WakeEngine(reason); },
        [&s](size_t n, const Status&) {
          s.metrics.messages_batch_size().Observe(static_cast<double>(n));
        },
        [&s] { s.StatusCommitted(); });
    s.applications = std::make_unique<ApplicationStore>(*s.pool, clock, random);
    s.applications->OnSourcesDeleted([&s](const std::vector<std::string>& ids) {
      for (const std::string& id : ids) s.source_cache->Invalidate(id);
    });
    RegisterApplicationRoutes(s.router, *s.applications);
    RegisterScopedRoutes(s.router, *s.applications, *s.endpoint_service, *s.message_service);
    s.app_tokens = std::make_unique<AppTokens>(*s.pool, clock, random);
    RegisterTokenRoutes(s.router, *s.applications, *s.app_tokens);
    s.event_types = std::make_unique<SqliteEventTypeStore>(*s.pool);
    RegisterEventTypeRoutes(s.router, *s.event_types, *s.applications);
    RegisterAppStatsRoute(s.router, *s.pool, *s.applications, clock);
    s.portal = std::make_unique<PortalLinks>(*s.pool, clock, random);
    RegisterPortalRoutes(s.router, *s.applications, *s.portal, settings.public_url);
    s.router.SetAppAuthenticator(
        [](const HttpRequest& req) { return AppBearerToken(req).has_value(); },
        [&s](const HttpRequest& req) { return s.AuthenticateApp(req); });
    RegisterEndpointRoutes(s.router, *s.endpoint_service);
    RegisterMessageRoutes(s.router, *s.message_service);
    RegisterSourceRoutes(s.router, *s.sources, *s.source_cache, clock, random);
    RegisterEventRoutes(s.router, *s.events);
    // The status streams have their own listener; bound here so a port 0 is known for
    // /api/v1/info.
    if (Status st = s.CreateStreams(); !st.ok()) return st;
    if (s.tunnels) {
      s.listen = std::make_unique<ListenEndpoints>(
          *s.endpoint_service, *s.applications, *s.tunnels, *s.pool, clock, settings.listen_grace,
          [&s] { s.WakeEngine(); }, logger);
      ListenLimits limits;
      limits.hello_timeout = settings.header_timeout;
      limits.ping_interval = settings.stream_ping_interval;
      limits.credential_recheck = s.stream_context->limits.credential_recheck;
      s.stream_context->SetListen(
          [&s, limits](boost::beast::tcp_stream stream,
                       boost::beast::http::request<boost::beast::http::empty_body> req,
                       std::optional<std::string> app, CredentialCheck credential,
                       std::shared_ptr<void> slot) {
            ListenSession::Create(std::move(stream), *s.listen, *s.tunnels, limits, std::move(app),
                                  std::move(credential), std::move(slot))
                ->Start(std::move(req));
          });
    }
    ListenAddress stream_address = settings.stream_listen;
    stream_address.port = s.stream_listener->port();
    // Behind a proxy that serves both listeners under one origin, the streams are there.
    RegisterWebRoutes(
        s.router, HOOKD_VERSION,
        settings.public_url.empty() ? "http://" + stream_address.ToString() : settings.public_url,
        settings.portal_frame_ancestors);
    RegisterSessionRoutes(s.router, s.auth, *s.sessions, *s.throttle, s.PageOrigins(),
                          settings.secure_cookies);
    RegisterOverviewRoutes(s.router, *s.pool, clock);
    RegisterApiDocsRoutes(s.router);
  }
  HttpServerOptions http_options;
  http_options.host = settings.listen.host;
  http_options.port = settings.listen.port;
  http_options.threads = settings.http_threads;
  http_options.max_body_bytes = settings.max_body;
  http_options.header_timeout = settings.header_timeout;
  http_options.body_timeout = settings.body_timeout;
  http_options.keepalive_timeout = settings.keepalive_timeout;
  http_options.write_timeout = settings.write_timeout;
  http_options.max_connections = s.descriptors.caps.http;
  http_options.buffer_budget_bytes = settings.request_buffer_budget;
  http_options.clock = &clock;
  http_options.random = &random;
  http_options.logger = &logger;
  http_options.access_log = settings.access_log;
  s.http = std::make_unique<HttpServer>(http_options, s.router);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() {
  Stop();
  // Asio objects must go before their io_context, and the io_context's pending handlers (which
  // own stream sessions and attempts) before what those refer to: first the engine and the
  // objects holding sockets (the sender's pooled connections, the listener's acceptor), then the
  // io_context with its handlers, then the stream context and hub with the rest of Impl.
  impl_->engine.reset();
  impl_->http_sender = nullptr;
  impl_->async_sender.reset();
  impl_->stream_listener.reset();
  impl_->io.reset();
  impl_->send_io.reset();
}

Status Server::Start() {
  if (Status s = impl_->checkpointer->Start(); !s.ok()) return s;
  if (impl_->io) impl_->io->Start();
  if (impl_->send_io) impl_->send_io->Start();
  if (impl_->engine) {
    if (Status s = impl_->engine->Start(); !s.ok()) return s;
  }
  if (impl_->committer) impl_->committer->Start("hookd-ingest");
  if (impl_->listen) {
    // Endpoints left by commands of an earlier run get the grace to be resumed.
    if (Status s = impl_->listen->NoteExisting(); !s.ok()) return s;
    impl_->listen->StartReaping(
        std::min<std::chrono::milliseconds>(impl_->listen->grace() / 4, std::chrono::seconds(1)));
  }
  if (impl_->pruner) impl_->pruner->Start();
  impl_->reaper->Start();
  if (impl_->message_service) {
    if (Status s = impl_->message_service->Start(impl_->writer.get()); !s.ok()) return s;
  }
  if (Status s = impl_->http->Start(); !s.ok())
    return Prefixed(std::string(kListenSetting) + " " + impl_->settings.listen.ToString() + ": ",
                    s);
  if (impl_->stream_listener) {
    // Browsers on the dashboard (the main listener, under any loopback name) and the configured
    // origins may use the streams.
    std::vector<std::string> origins = impl_->settings.dashboard_origins;
    const std::string port_text = std::to_string(port());
    const std::string& host = impl_->settings.listen.host;
    origins.push_back(base_url());
    if (!impl_->settings.public_url.empty()) origins.push_back(impl_->settings.public_url);
    if (host == "127.0.0.1" || host == "localhost" || host == "::1") {
      for (const char* name : {"127.0.0.1", "localhost", "[::1]"})
        origins.push_back(std::string("http://") + name + ":" + port_text);
    }
    impl_->stream_context->SetAllowedOrigins(std::move(origins));
    if (Status s = impl_->hub->Start(); !s.ok()) return s;
    impl_->stream_listener->Start();
  }
  return Status::Ok();
}

void Server::Stop() {
  if (impl_->listen) impl_->listen->StopReaping();
  if (impl_->pruner) impl_->pruner->Stop();
  impl_->reaper->Stop();
  // New requests get 503 shutting_down; everything already handed to the committer is committed
  // and answered; then the server waits (bounded) for the last answers to be written.
  impl_->http->BeginDrain();
  if (impl_->committer) impl_->committer->Stop();
  if (impl_->message_service) impl_->message_service->Stop();
  // Requests already sent but not yet read would be reset by closing at once; a short grace
  // answers them 503 instead, which every provider retries.
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  impl_->http->WaitIdle(std::chrono::seconds(5));
  impl_->http->Stop();
  // Attempts in progress finish (bounded by the delivery timeout) and are recorded; unstarted
  // claims are handed back.
  if (impl_->engine) impl_->engine->Stop();
  if (impl_->http_sender) impl_->http_sender->Stop();  // idle pooled connections
  if (impl_->stream_listener) {
    impl_->stream_listener->Stop();
    impl_->hub->Stop();
  }
  if (impl_->io) impl_->io->Stop();
  if (impl_->send_io) impl_->send_io->Stop();
  impl_->checkpointer->Stop();
}

uint16_t Server::port() const { return impl_->http->port(); }

std::string Server::base_url() const {
  ListenAddress a = impl_->settings.listen;
  a.port = port();
  return "http://" + a.ToString();
}

std::string Server::stream_base_url() const {
  if (!impl_->stream_listener) return "";
  ListenAddress a = impl_->settings.stream_listen;
  a.port = impl_->stream_listener->port();
  return "http://" + a.ToString();
}

void Server::WakeDelivery() { impl_->WakeEngine(); }

const AdminAuth& Server::auth() const { return impl_->auth; }

std::vector<std::pair<std::string, std::string>> Server::routes() const {
  return impl_->router.Routes();
}

}  // namespace hookd
