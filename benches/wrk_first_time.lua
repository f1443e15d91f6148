-- wrk script for the list index's first-time cases (issue 17), at a million contacts:
--   wrk -t2 -c8 -d10s -s benches/wrk_first_time.lua http://127.0.0.1:PORT -- pages|sorted|filtered
-- pages: limit=100 at a random offset of the whole list; sorted: any sort column either way at
-- a random offset; filtered: tag, assignee, project and type filters combined at random offsets.
-- Offsets are drawn per request, so (nearly) no request repeats. The key is the load bench's
-- admin key (`cargo bench --bench load -- --contacts 1000000` prepares such a database).
local key = "b0a7c4e1d2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7"
local mode = "pages"
local sorts = {"", "name", "first_name", "last_name", "middle_name", "job_title", "company", "phones", "emails",
  "website", "street1", "street2", "city", "region", "postcode", "country", "address", "created_on",
  "updated_on", "assigned_to", "author"}
local tags = {"vip", "customer", "partner", "lead", "supplier", "prospect", "referral", "investor"}
local projects = {"sales", "marketing", "marketing-emea", "marketing-japan", "hr"}

function init(args)
  mode = args[1] or "pages"
  math.randomseed(os.time() + math.random(1, 100000))
end

request = function()
  local path
  if mode == "pages" then
    path = "/contacts.json?limit=100&offset=" .. math.random(0, 999900)
  elseif mode == "sorted" then
    local s = sorts[math.random(1, #sorts)]
    path = "/contacts.json?offset=" .. math.random(0, 999000)
    if s ~= "" then
      path = path .. "&sort=" .. s .. (math.random() < 0.5 and ":desc" or "")
    end
  else
    path = "/contacts.json?offset=" .. math.random(0, 2000)
    if math.random() < 0.6 then path = path .. "&tags=" .. tags[math.random(1, #tags)] end
    if math.random() < 0.5 then path = path .. "&assigned_to_id=" .. math.random(1, 30) end
    if math.random() < 0.4 then path = path .. "&project_id=" .. projects[math.random(1, #projects)] end
    if math.random() < 0.3 then path = path .. "&is_company=" .. math.random(0, 1) end
  end
  return wrk.format("GET", path, {["X-Redmine-API-Key"] = key})
end
