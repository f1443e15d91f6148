-- wrk script for first-time searches (issue 17), at a million contacts:
--   wrk -t2 -c8 -d10s --latency -s benches/wrk_search_first_time.lua http://127.0.0.1:PORT
-- Each request searches random letters: one word of 2 to 4 letters, sometimes with a second
-- word of 3, at a small random offset; two-letter words match up to half the contacts, and
-- the words are drawn per request, so few requests repeat (26^3 three-letter words). The key
-- is the load bench's admin key (`cargo bench --bench load -- --contacts 1000000` prepares
-- such a database).
local key = "b0a7c4e1d2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7"
local letters = "abcdefghijklmnopqrstuvwxyz"

function init(args)
  math.randomseed(os.time() + math.random(1, 100000))
end

local function word(n)
  local w = ""
  for i = 1, n do
    local k = math.random(1, 26)
    w = w .. letters:sub(k, k)
  end
  return w
end

request = function()
  local q = word(math.random(2, 4))
  if math.random() < 0.3 then
    q = q .. "+" .. word(3)
  end
  local path = "/contacts.json?search=" .. q .. "&offset=" .. math.random(0, 200)
  return wrk.format("GET", path, {["X-Redmine-API-Key"] = key})
end
