-- wrk script: creates (or invitation sends) for the other families, unique per thread and request.
--   wrk -s family.lua URL -- KIND TAG [COUNT]
-- KIND scp:    POST /v1/accounts (Scp-API-Version: cloudcontrol 1.2), a unique name and email
-- KIND yandex: POST /organization-manager/v1/idp/users, a unique username
-- KIND cisend: POST /v1/customers/C00000000/userinvitations/bench{i}@altostrat.com:send, i cycling over COUNT
--              (the consumer accounts of the fixtures run.sh generates; a second send re-sends)
-- TAG keeps the names of separate runs against the same server apart. The URL's path is ignored.
local counter = 0
local thread_id = 0
local threads = {}
local kind, tag, count = "scp", "r", 1

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
  kind = args[1] or "scp"
  tag = args[2] or "r"
  count = tonumber(args[3] or "1")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if kind == "scp" then
    wrk.headers["Scp-API-Version"] = "cloudcontrol 1.2"
  end
end

function request()
  counter = counter + 1
  if kind == "scp" then
    local name = string.format("%st%dn%d", tag, thread_id, counter)
    local body = string.format(
      '{"name":"%s","email":"%s@bench.example.com","landing_zone_id":"2c8a138f8d78e1fc29a449dbfa8681","parent_unit_id":"ou-b30e9fcc39f84a20bf9e7458e5ec3801"}',
      name, name)
    return wrk.format(nil, "/v1/accounts", nil, body)
  elseif kind == "yandex" then
    local body = string.format(
      '{"userpoolId":"ek0provmockpool00001","username":"%st%dn%d@provmock.idp.yandexcloud.net","fullName":"Ivan Petrov","passwordSpec":{"password":"S3cret-Passw0rd!"}}',
      tag, thread_id, counter)
    return wrk.format(nil, "/organization-manager/v1/idp/users", nil, body)
  else
    -- threads start apart and step by 7919 (a prime), so they rarely send to the same address at once
    local i = ((thread_id - 1) * 104729 + counter * 7919) % count
    return wrk.format(nil, string.format("/v1/customers/C00000000/userinvitations/bench%d@altostrat.com:send", i), nil, "")
  end
end
