-- wrk script: POST a Channel customer with a domain unique per thread and request
-- (wrk -s create.lua ... -- 0 TAG; TAG keeps the domains of separate runs apart).
local counter = 0
local thread_id = 0
local limit = 0
local tag = "r"
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
  limit = tonumber(args[1] or "0")
  tag = args[2] or "r"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local domain = string.format("%st%dn%d.bench.example", tag, thread_id, counter)
  local body = string.format(
    '{"orgDisplayName":"Org %d","orgPostalAddress":{"regionCode":"US","postalCode":"94043","addressLines":["1 Main St"]},"domain":"%s","primaryContactInfo":{"email":"a@%s"}}',
    counter, domain, domain)
  return wrk.format(nil, wrk.path, nil, body)
end

