-- Strings, tables, closures, metatables, numbers and string.format.
local out = {}
local function say(...)
  local parts = table.pack(...)
  for i = 1, parts.n do parts[i] = tostring(parts[i]) end
  out[#out + 1] = table.concat(parts, " ", 1, parts.n)
end

-- strings
local s = "The quick brown fox jumps over the lazy dog"
say(#s, s:upper(), s:lower():rep(2, "|"))
say(s:find("fox"), s:find("o", 20, true), s:match("(%a+) dog"))
say((s:gsub("%w+", function(w) return w:sub(1, 1):upper() .. w:sub(2):reverse() end)))
say(select("#", s:byte(1, -1)), string.char(72, 105, 33), ("%d items"):format(3))
local words = {}
for w in s:gmatch("%a+") do words[#words + 1] = w end
say(#words, words[4], table.concat(words, ",", 2, 5))
say(("key = value ; other=thing"):gsub("(%w+)%s*=%s*(%w+)", "%2<-%1"))
say(string.format("%q", "tab\tnew\nline\0zero\"quote"))
say(utf8.char(72, 228, 8364, 128512), utf8.len("häll€"), #"häll€")
for p, c in utf8.codes("a€b") do say(p, c) end

-- tables
local t = {}
for i = 1, 20 do t[i] = (i * 7919) % 101 end
table.sort(t)
say(table.concat(t, " "))
table.sort(t, function(a, b) return a > b end)
say(t[1], t[#t], #t)
table.insert(t, 1, -1); table.insert(t, 999); say(table.remove(t), table.remove(t, 1), #t)
say(table.unpack({1, 2, 3}, 2))
local moved = table.move({1, 2, 3, 4, 5}, 2, 4, 1)
say(table.concat(moved, ","))
local keys = {}
for k in pairs({alpha = 1, beta = 2, gamma = 3, [10] = 4}) do keys[#keys + 1] = tostring(k) end
table.sort(keys); say(table.concat(keys, ","))

-- closures
local function counter(step)
  local n = 0
  return function() n = n + step; return n end
end
local c1, c2 = counter(1), counter(10)
c1(); c1(); c2()
say(c1(), c2())
local fs = {}
for i = 1, 5 do fs[i] = function() return i * i end end
say(fs[1](), fs[3](), fs[5]())
local function va(...) local n = select("#", ...); return n, ... end
say(va(nil, 2, nil))

-- metatables
local Vec = {}
Vec.__index = Vec
function Vec.new(x, y) return setmetatable({x = x, y = y}, Vec) end
function Vec.__add(a, b) return Vec.new(a.x + b.x, a.y + b.y) end
function Vec.__eq(a, b) return a.x == b.x and a.y == b.y end
function Vec.__tostring(v) return "(" .. v.x .. "," .. v.y .. ")" end
function Vec.__len(v) return math.sqrt(v.x * v.x + v.y * v.y) end
function Vec:scaled(k) return Vec.new(self.x * k, self.y * k) end
local v = Vec.new(3, 4) + Vec.new(0, 0)
say(tostring(v), #v, tostring(v:scaled(2)), v == Vec.new(3, 4))
local default = setmetatable({}, {__index = function(_, k) return k .. "!" end})
say(default.hello, rawget(default, "hello"))

-- numbers
say(math.maxinteger, math.mininteger, math.maxinteger + 1 == math.mininteger)
say(7 // 2, -7 // 2, 7 % -3, -7 % 3, 7.5 // 2, 2^53, 1 / 3)
say(3 | 5, 3 & 5, 3 ~ 5, ~0, 1 << 62, 256 >> 4)
say(math.type(1), math.type(1.0), math.type("1"), 10 == 10.0, math.tointeger(3.0))
say(tostring(0.1), 1e100, -0.0, 1 / 0, -1 / 0, math.huge, math.pi)
say(tonumber("0x1p4"), tonumber("  12  "), tonumber("z", 36), tonumber("1e2"), "10" + 5, "3" * "4")
say(math.floor(-3.5), math.ceil(-3.5), math.abs(-2), math.max(3, 9, 1), math.fmod(7, 3), math.sqrt(2))
say(math.sin(1), math.cos(1), math.exp(1), math.log(100, 10), math.log(8, 2))
say(string.format("%5d|%-5d|%05.1f|%x|%X|%o|%e|%g|%g|%a", 42, 42, 3.14159, 255, 255, 8, 12345.678, 1e20, 0.0001, 1.0))
say(string.format("%10.3s|%-10s|%c%c|%i|%%|%.14g|%.3f", "abcdef", "left", 76, 117, -7, 2 / 3, 2 / 3))
math.randomseed(42)
local r = {}
for i = 1, 5 do r[i] = math.random(1, 1000) end
say(table.concat(r, " "), math.random() < 1)

print(table.concat(out, "\n"))
