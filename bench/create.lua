-- wrk script: POST a Channel customer with a domain unique per thread and request.
--   wrk -s create.lua URL -- LIMIT TAG
-- LIMIT > 0: each thread stops after LIMIT responses (the fill to N creates); 0: run for -d.
-- TAG keeps the domains of separate runs against the same server apart.
local counter = 0
local responses = 0
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
  if limit > 0 then
    -- defined only for the fill: wrk parses response bodies only when `response` exists
    response = function(status, headers, body)
      responses = responses + 1
      if responses >= limit then
        wrk.thread:stop()
      end
    end
  end
end

function request()
  counter = counter + 1
  local domain = string.format("%st%dn%d.bench.example", tag, thread_id, counter)
  local body = string.format(
    '{"orgDisplayName":"Org %d","orgPostalAddress":{"regionCode":"US","postalCode":"94043","addressLines":["1 Main St"]},"domain":"%s","primaryContactInfo":{"email":"a@%s"}}',
    counter, domain, domain)
  return wrk.format(nil, wrk.path, nil, body)
end
