-- wrk script: GitHub-style signed webhooks against hookd's /ingest/<source id>.
--
-- GitHub signs only the body (X-Hub-Signature-256: sha256=hex(HMAC-SHA256(secret, body))),
-- so one fixed body and its precomputed signature are reused; only X-GitHub-Delivery (the
-- dedup key) changes per request: "<thread id>-<counter>-<run nonce>".
--
-- Environment:
--   BENCH_BODY_FILE  path of the body (preferred) | BENCH_BODY  the body itself
--   BENCH_SIG        "sha256=<hex>" (or just the hex) of the body
--   BENCH_PATH       request path, e.g. /ingest/src_...   (default: the URL's path)
--   BENCH_NONCE      run nonce; must differ between runs against one database
--                    (default: derived from the clock)
--   BENCH_KEEPALIVE  "1" adds "Connection: keep-alive"; otherwise no Connection header
--   BENCH_DELAY_MS   each connection waits this long after a response before its next request
--                    (a paced load: about connections x 1000 / (delay + latency) requests/s)
--
-- response() is deliberately not defined (it makes wrk parse and hand every response to
-- Lua); use wrk's "Non-2xx or 3xx responses" line instead.

local next_thread_id = 0

function setup(thread)
   next_thread_id = next_thread_id + 1
   thread:set("thread_id", next_thread_id)
end

local prefix, suffix
local counter = 0

local function read_body()
   local path = os.getenv("BENCH_BODY_FILE")
   if path and path ~= "" then
      local f = assert(io.open(path, "rb"))
      local body = f:read("*a")
      f:close()
      return body
   end
   local body = os.getenv("BENCH_BODY")
   if body and body ~= "" then
      return body
   end
   error("github.lua: set BENCH_BODY_FILE or BENCH_BODY")
end

function init(args)
   local body = read_body()
   local sig = os.getenv("BENCH_SIG")
   if not sig or sig == "" then
      error("github.lua: set BENCH_SIG")
   end
   if not sig:find("^sha256=") then
      sig = "sha256=" .. sig
   end
   local path = os.getenv("BENCH_PATH")
   if not path or path == "" then
      path = wrk.path
   end
   local nonce = os.getenv("BENCH_NONCE")
   if not nonce or nonce == "" then
      nonce = string.format("%d%06d", os.time(), math.floor(os.clock() * 1e6) % 1000000)
   end
   local tid = thread_id or 0

   local headers = {}
   for k, v in pairs(wrk.headers) do headers[k] = v end  -- Host and any -H
   headers["Content-Type"] = "application/json"
   headers["X-GitHub-Event"] = "push"
   headers["X-Hub-Signature-256"] = sig
   if os.getenv("BENCH_KEEPALIVE") == "1" then
      headers["Connection"] = "keep-alive"
   end
   -- Build the request once with a placeholder delivery id, then split around it, so each
   -- request costs two concatenations instead of a full wrk.format().
   local marker = "\0DELIVERY\0"
   headers["X-GitHub-Delivery"] = marker
   local template = wrk.format("POST", path, headers, body)
   local s, e = template:find(marker, 1, true)
   prefix = template:sub(1, s - 1) .. tid .. "-"
   suffix = "-" .. nonce .. template:sub(e + 1)
end

local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if delay_ms and delay_ms > 0 then
   -- Defined only when asked for: wrk then waits delay() ms before each request.
   function delay()
      return delay_ms
   end
end

function request()
   counter = counter + 1
   return prefix .. counter .. suffix
end
