-- os.time, os.clock, os.date, os.difftime: sane values, fixed formats.
local now = os.time()
local given = tonumber(arg[1])
print("time near the caller's", given == nil or math.abs(now - given) < 60)
print("time after 2020", now > 1577836800)
local c0 = os.clock()
local x = 0
for i = 1, 3000000 do x = x + i % 7 end
local c1 = os.clock()
print("clock advances", c1 > c0, c1 - c0 < 60, x)
print(os.date("!%Y-%m-%d %H:%M:%S", 0))
print(os.date("!%Y-%m-%d %H:%M:%S %A %B %j", 1234567890))
local t = os.date("!*t", 1700000000)
print(t.year, t.month, t.day, t.hour, t.min, t.sec, t.wday, t.yday, t.isdst)
print(os.time({year = 2000, month = 1, day = 1, hour = 12}) - os.time({year = 1999, month = 12, day = 31, hour = 12}))
print(os.difftime(now + 90, now))
local d = os.date("*t")
print("local date fields", d.year >= 2020, d.month >= 1 and d.month <= 12, d.day >= 1 and d.day <= 31)
print(#os.date(), os.date("%Y") == tostring(d.year))
