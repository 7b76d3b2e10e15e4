-- wrk script for bench/harness.py: counts answers by status (wrk itself only counts
-- statuses >= 400) and prints the run's numbers as one JSON line at the end.
--
-- With BENCH_VOTE_IDS naming a file of comma-separated idea ids, one line per wrk
-- thread, every request is a support POST (htmx-style) on the thread's next idea, so no
-- idea is voted on twice: a second POST would withdraw the first. The ideas whose answer
-- says "you support this" are listed, for the harness to find each in the database.

local threads = {}
local vote_file = os.getenv("BENCH_VOTE_IDS")

function setup(thread)
  table.insert(threads, thread)
  if vote_file then
    local line = 0
    for ids in io.lines(vote_file) do
      line = line + 1
      if line == #threads then
        thread:set("vote_ids", ids)
      end
    end
  end
end

function init(args)
  sent, ok, not_ok, exhausted = 0, 0, 0, 0
  queue, supported = {}, {}
  if vote_ids then
    for id in string.gmatch(vote_ids, "%d+") do
      table.insert(queue, id)
    end
  end
  -- Sent ids leave from the front; the harness knows each thread's list, so the count
  -- says exactly which ideas were voted on.
  next_vote = 1
end

if vote_file then
  function request()
    local id = queue[next_vote]
    if id == nil then
      -- Out of fresh ideas: stop rather than withdraw a vote. The harness reports it.
      exhausted = 1
      wrk.thread:stop()
      return wrk.format("GET", "/healthz")
    end
    next_vote = next_vote + 1
    sent = sent + 1
    return wrk.format("POST", "/ideas/" .. id .. "/support", nil, "")
  end
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
    if vote_file then
      -- The support box names its idea and says whether the vote now counts.
      local id = string.match(body, 'hx%-post="/ideas/(%d+)/support"')
      if id and string.find(body, 'aria-pressed="true"', 1, true) then
        table.insert(supported, id)
      end
    end
  else
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local totals = { sent = 0, ok = 0, not_ok = 0, exhausted = 0 }
  local sent_per_thread, supported_ids = {}, {}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
    table.insert(sent_per_thread, tostring(thread:get("sent")))
    for _, id in ipairs(thread:get("supported")) do
      table.insert(supported_ids, id)
    end
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_s": %.6f, "p50_ms": %.3f, "p99_ms": %.3f, '
      .. '"ok": %d, "not_ok": %d, "sent": %d, "sent_per_thread": [%s], "exhausted": %d, '
      .. '"socket_errors": %d, "supported": [%s]}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    totals.ok, totals.not_ok, totals.sent, table.concat(sent_per_thread, ", "),
    totals.exhausted,
    errors.connect + errors.read + errors.write + errors.timeout,
    table.concat(supported_ids, ", ")
  ))
end
