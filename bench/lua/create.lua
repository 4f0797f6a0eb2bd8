-- POST /api/rest/v1/user without a password: a new, unique username every request.
-- wrk ... -s create.lua URL -- NAMESPACE RUN_TAG
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

wrk.method = "POST"
wrk.headers["Authorization"] = basic_auth()
wrk.headers["Content-Type"] = "application/json"

local given = { "Aino", "Eino", "Helmi", "Juhani", "Maria", "Oliver", "Sofia", "Väinö", "Erik", "Ingrid" }
local family = { "Virtanen", "Korhonen", "Mäkinen", "Lindqvist", "Nyström", "Smith", "Nguyen", "Müller" }
local namespace, tag
local n = 0

function init(args)
   namespace = args[1] or "bench"
   tag = args[2] or tostring(os.time())
   math.randomseed(os.time() * 100 + (tid or 0))
end

function request()
   n = n + 1
   local g = given[math.random(#given)]
   local f = family[math.random(#family)]
   local username = string.format("new-%s-%d-%d", tag, tid or 0, n)
   local body = string.format(
      '{"nsCode":"%s","username":"%s","name":{"givenName":"%s","familyName":"%s"},' ..
      '"emails":[{"address":"%s@example.net"}]}',
      namespace, username, g, f, username)
   return wrk.format(nil, "/api/rest/v1/user", nil, body)
end
