-- wrk script: contacts at random ids, as a signed-in browser's pages (ui_contact of the load
-- bench, checked from outside it) or, with KEY, as the API's gets (get_json). COOKIE is the
-- session cookie ("contacts_session=…", from logging in), KEY an API key, IDS the number of
-- contacts (default 1,000,000):
--   COOKIE=contacts_session=… wrk -t1 -c16 -d5s -s benches/wrk_contacts.lua http://127.0.0.1:3000
--   KEY=… wrk -t1 -c16 -d5s -s benches/wrk_contacts.lua http://127.0.0.1:3000
math.randomseed(11)
local cookie = os.getenv("COOKIE") or ""
local key = os.getenv("KEY")
local ids = tonumber(os.getenv("IDS") or "1000000")
request = function()
  local id = math.random(1, ids)
  if key then
    return wrk.format("GET", "/contacts/" .. id .. ".json", {["X-Redmine-API-Key"] = key})
  end
  return wrk.format("GET", "/contacts/" .. id, {["Accept"] = "text/html", ["Cookie"] = cookie})
end
