-- Shared by every bench script: a thread id for seeding, and one machine-readable line
-- at the end of a wrk run that bench/run.sh parses:
-- BENCH {"requests":N,"seconds":S,"rps":R,"non2xx":N,"socket_errors":N,"p50_ms":..,"p90_ms":..,"p99_ms":..,"max_ms":..}
local threads = 0

function setup(thread)
   threads = threads + 1
   thread:set("tid", threads)
end

function done(summary, latency, requests)
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format(
      'BENCH {"requests":%d,"seconds":%.3f,"rps":%.1f,"non2xx":%d,"socket_errors":%d,' ..
      '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f}\n',
      summary.requests, seconds, summary.requests / seconds, e.status,
      e.connect + e.read + e.write + e.timeout,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
      latency.max / 1000, latency.mean / 1000))
end

-- Basic credentials of the bootstrap client, base64 already applied by run.sh.
function basic_auth()
   local auth = os.getenv("BENCH_AUTH")
   if auth == nil or auth == "" then
      error("BENCH_AUTH is not set")
   end
   return "Basic " .. auth
end
