-- Coroutines: generators, a producer/consumer pipeline, status, errors.
local function gen(n)
  return coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i * i) end
    return "done"
  end)
end
local g = gen(5)
local got = {}
for _ = 1, 6 do got[#got + 1] = tostring(g()) end
print(table.concat(got, " "))

-- producer -> filter -> consumer
local function producer(items)
  return coroutine.create(function()
    for _, item in ipairs(items) do coroutine.yield(item) end
  end)
end
local function filter(source, pred)
  return coroutine.create(function()
    while true do
      local ok, item = coroutine.resume(source)
      if not ok or item == nil then return end
      if pred(item) then coroutine.yield(item * 10) end
    end
  end)
end
local items = {}
for i = 1, 30 do items[i] = i end
local f = filter(producer(items), function(x) return x % 3 == 0 end)
local sum, seen = 0, {}
while true do
  local ok, v = coroutine.resume(f)
  if not ok or v == nil then break end
  sum = sum + v; seen[#seen + 1] = v
end
print(sum, table.concat(seen, ","), coroutine.status(f))

-- values passed both ways
local co = coroutine.create(function(a, b)
  print("start", a, b)
  local c = coroutine.yield(a + b)
  print("got", c)
  local d, e = coroutine.yield(c * 2)
  print("got", d, e)
  return d + e, "end"
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.status(co))
print(coroutine.resume(co, 10))
print(coroutine.resume(co, 3, 4))
print(coroutine.status(co), coroutine.resume(co))

-- errors inside a coroutine, and yields across pcall
local bad = coroutine.create(function() local x = nil; return x.field end)
local ok, err = coroutine.resume(bad)
print(ok, err, coroutine.status(bad))
local across = coroutine.wrap(function()
  local ok2, v = pcall(function()
    local r = coroutine.yield("inside pcall")
    error({code = r})
  end)
  coroutine.yield(ok2, type(v) == "table" and v.code)
  return "after"
end)
print(across()); print(across(42)); print(across())
local main, ismain = coroutine.running()
print(coroutine.isyieldable(), type(main), ismain)

-- many coroutines alive at once
local cos = {}
for i = 1, 2000 do
  cos[i] = coroutine.create(function(x) while true do x = x + coroutine.yield(x) end end)
  coroutine.resume(cos[i], i)
end
local total = 0
for round = 1, 10 do
  for i = 1, #cos do local _, v = coroutine.resume(cos[i], round); total = total + v end
end
print("total", total)
local closing = coroutine.create(function() coroutine.yield() end)
coroutine.resume(closing)
print(coroutine.close(closing), coroutine.status(closing))
