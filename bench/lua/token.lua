-- POST /openid/token with grant_type=client_credentials (Basic auth of the bootstrap client).
dofile(os.getenv("BENCH_LUA") .. "/report.lua")

wrk.method = "POST"
wrk.path = "/openid/token"
wrk.headers["Authorization"] = basic_auth()
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=client_credentials"
