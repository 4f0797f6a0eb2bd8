-- GET a random line of a file of request paths, with the bootstrap client's Basic auth.
-- wrk ... -s paths.lua URL -- PATHS_FILE
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

local paths = {}
wrk.headers["Authorization"] = basic_auth()

function init(args)
   local file = assert(io.open(args[1], "r"), "cannot open " .. tostring(args[1]))
   for line in file:lines() do
      if #line > 0 then
         paths[#paths + 1] = line
      end
   end
   file:close()
   assert(#paths > 0, "no paths in " .. args[1])
   math.randomseed(os.time() * 100 + (tid or 0))
end

function request()
   return wrk.format("GET", paths[math.random(#paths)])
end
