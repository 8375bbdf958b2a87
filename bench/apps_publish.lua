-- wrk script: publishes to a random small application, POST /api/v1/apps/u<n>/messages with n
-- uniform in 1..BENCH_APPS (bench/apps_scale.sh made applications u1..uN with one endpoint each).
--
-- Environment: BENCH_TOKEN (the admin token), BENCH_APPS (how many applications).
local token = os.getenv("BENCH_TOKEN") or error("apps_publish.lua: set BENCH_TOKEN")
local apps = tonumber(os.getenv("BENCH_APPS") or "") or error("apps_publish.lua: set BENCH_APPS")
local body = '{"event_type":"order.created","payload":{"id":1,"total":4200,"currency":"eur"}}'
local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }

function setup(thread)
   thread:set("seed", math.random(1, 1000000))
end

function init(args)
   math.randomseed(seed or os.time())
end

function request()
   local n = math.random(1, apps)
   return wrk.format("POST", "/api/v1/apps/u" .. n .. "/messages", headers, body)
end
