-- wrk script: every request spends one refresh token and queues the successor from the answer,
-- so each of the pre-issued sessions keeps rotating for the whole run.
local queue = {}

function init(args)
  for line in io.lines(args[1]) do
    queue[#queue + 1] = line
  end
end

function request()
  local token = table.remove(queue, 1)
  if token == nil then
    -- More connections than live sessions: send a request that fails visibly.
    token = "none"
  end
  local body = '{"refreshToken":"' .. token .. '"}'
  return wrk.format("POST", "/auth/refresh", {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  local next_token = string.match(body, '"refreshToken":"(fdr_[%w_%-]+)"')
  if next_token then
    queue[#queue + 1] = next_token
  end
end
