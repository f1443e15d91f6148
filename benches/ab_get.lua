math.randomseed(7)
request = function()
  return wrk.format("GET", "/contacts/" .. math.random(1, 100000) .. ".json", {["X-Redmine-API-Key"] = "4d0b5a1e9c3f7e2a8b6d1c0f9e8a7b6c5d4e3f21"})
end
