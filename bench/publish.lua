-- wrk script: publishes one message body over and over through POST /api/v1/messages.
--
-- Environment:
--   BENCH_BODY_FILE  path of the request body ({"event_type": ..., "payload": ...})
--   BENCH_TOKEN      the admin token (sent as "Authorization: Bearer <token>")
--
-- response() is deliberately not defined (it makes wrk hand every response to Lua); the 202s
-- are wrk's requests less its "Non-2xx or 3xx responses", and the bench reads the message ids
-- from hookd's database afterwards.

local function read_body()
   local path = os.getenv("BENCH_BODY_FILE")
   if not path or path == "" then
      error("publish.lua: set BENCH_BODY_FILE")
   end
   local f = assert(io.open(path, "rb"))
   local body = f:read("*a")
   f:close()
   return body
end

local token = os.getenv("BENCH_TOKEN")
if not token or token == "" then
   error("publish.lua: set BENCH_TOKEN")
end

wrk.method = "POST"
wrk.body = read_body()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
