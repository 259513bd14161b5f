-- pcall, error, xpcall, assert and error values.
print(pcall(error, "plain"))
print(pcall(error, "no position", 0))
print(pcall(function() error("with position") end))
local okt, et = pcall(function() error({code = 7}) end)
print(okt, type(et), et.code)
local ok, e = pcall(function() error(setmetatable({}, {__tostring = function() return "custom" end})) end)
print(ok, tostring(e))
print(pcall(function() local t = nil; return t.x end))
print(pcall(function() return 1 + {} end))
print(pcall(function() return ("x"):rep(-1) .. nil end))
print(pcall(function() return #5 end))
print(pcall(function() return 1 // 0 end))
print(pcall(function() return 1 % 0 end))
print(1 // 0.0, -1 // 0.0, 0/0 ~= 0/0)
print(pcall(string.rep))
print(pcall(setmetatable, 1, {}))
print(select("#", pcall(function() return 1, 2, 3 end)))
print(xpcall(function() error("deep") end, function(m) return "handled: " .. m end))
print(xpcall(function(a, b) return a * b end, print, 6, 7))
local function lvl2() error("level two", 2) end
local function caller() lvl2() end
print(pcall(caller))
print(pcall(assert, false))
print(pcall(assert, nil, "assert message"))
print(pcall(assert, 1 == 1, "unused"))
-- nested pcall and error rethrown
print(pcall(function()
  local ok2, err2 = pcall(error, "inner")
  error("outer after " .. tostring(err2), 0)
end))
-- errors from metamethods
local mt = {__index = function(_, k) error("no field " .. k) end}
print(pcall(function() return setmetatable({}, mt).missing end))
-- string to number coercions
print(pcall(function() return "10" + 1, "3.5" * 2, "abc" + 1 end))
print(math.tointeger("8"), tonumber("0x"), tonumber(""), tonumber("1e"))
-- to-be-closed variables run in order, also on error
local log = {}
local function closer(name) return setmetatable({}, {__close = function(_, err) log[#log + 1] = name .. ":" .. tostring(err) end}) end
print(pcall(function()
  local a <close> = closer("a")
  local b <close> = closer("b")
  error("boom", 0)
end))
print(table.concat(log, " "))
-- a traceback names the functions
local tb = debug.traceback("msg", 1)
print(tb:match("^msg\nstack traceback:") ~= nil)
-- an uncaught error: message and traceback on stderr, status 1
if arg[1] == "die" then
  local function inner() error("fatal here") end
  inner()
end
if arg[1] == "exit" then os.exit(tonumber(arg[2])) end
