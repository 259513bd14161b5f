-- A moderately heavy computation: primes, n-queens, string building,
-- sorting, a table of hashes and floating point; prints checksums.
local scale = tonumber(arg[1]) or 1

local function sieve(n)
  local composite, count, last = {}, 0, 0
  for i = 2, n do
    if not composite[i] then
      count, last = count + 1, i
      for j = i * i, n, i do composite[j] = true end
    end
  end
  return count, last
end
print("primes", sieve(200000 * scale))

local function queens(n)
  local cols, d1, d2, solutions = {}, {}, {}, 0
  local function place(r)
    if r > n then solutions = solutions + 1; return end
    for c = 1, n do
      if not cols[c] and not d1[r + c] and not d2[r - c + n] then
        cols[c], d1[r + c], d2[r - c + n] = true, true, true
        place(r + 1)
        cols[c], d1[r + c], d2[r - c + n] = nil, nil, nil
      end
    end
  end
  place(1)
  return solutions
end
print("queens", queens(8))

local parts = {}
for i = 1, 20000 * scale do parts[#parts + 1] = string.format("%d:%x", i, i * 31) end
local big = table.concat(parts, ",")
local h = 0
for i = 1, #big, 7 do h = (h * 31 + big:byte(i)) & 0xFFFFFFFF end
print("string", #big, h)

math.randomseed(12345)
local arr = {}
for i = 1, 50000 * scale do arr[i] = math.random(1, 1000000) end
table.sort(arr)
local ordered = true
for i = 2, #arr do if arr[i - 1] > arr[i] then ordered = false end end
print("sort", ordered, arr[1], arr[#arr // 2], arr[#arr])

local counts = {}
for i = 1, 100000 * scale do
  local k = "k" .. (i * 7919 % 5003)
  counts[k] = (counts[k] or 0) + 1
end
local distinct, maxc = 0, 0
for _, v in pairs(counts) do distinct = distinct + 1; if v > maxc then maxc = v end end
print("hash", distinct, maxc)

local sum = 0.0
for i = 1, 200000 * scale do sum = sum + math.sin(i) * math.sqrt(i) / (1 + i % 13) end
print("float", string.format("%.6f", sum))

local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print("fib", fib(24))
