-- io and os on files in the directory given as arg[1]; stdin and stdout.
local dir = assert(arg[1], "usage: files.lua DIR")
local path = dir .. "/data.txt"

local f = assert(io.open(path, "w"))
for i = 1, 1000 do f:write(string.format("line %04d %s\n", i, ("x"):rep(i % 17))) end
f:write("3.25 17 0x10 tail")
print("close", f:close())

f = assert(io.open(path, "r"))
print(f:read("l"), f:read("L"), f:read(4), f:read("n"))
print(f:seek("cur"), f:seek("set", 10), f:read(5), f:seek("end"))
f:seek("set")
local n, longest, bytes = 0, 0, 0
for line in f:lines() do n = n + 1; longest = math.max(longest, #line); bytes = bytes + #line + 1 end
print(n, longest, bytes)
f:seek("set", f:seek("end") - 17)
print(f:read("n", "n", "n"), f:read("a"), f:read("a"), f:read("l"))
f:close()
print(pcall(f.read, f))
print(io.type(f), io.type(io.stdout), io.type(42))

-- append mode and reading everything back
f = assert(io.open(path, "a")); f:write("\nappended\n"); f:close()
local all = assert(io.open(path, "rb")):read("a")
print(#all, all:sub(-9))

-- many lines with io.lines, and a binary round trip
local count = 0
for a, b in io.lines(path, 4, 1) do count = count + 1; if count > 3 then break end end
print("chunks", count)
local bin = {}
for i = 0, 255 do bin[#bin + 1] = string.char(i) end
local blob = table.concat(bin):rep(64)
f = assert(io.open(dir .. "/blob.bin", "wb")); f:write(blob); f:close()
f = assert(io.open(dir .. "/blob.bin", "rb")); local back = f:read("a"); f:close()
print(#back, back == blob, string.unpack("<I4", back, 5))

-- buffering modes
f = assert(io.open(dir .. "/buf.txt", "w"))
print(f:setvbuf("no"), f:setvbuf("full", 1024), f:setvbuf("line"))
f:write("a", 1, 2.5, "\n"); f:flush(); f:close()
print(io.open(dir .. "/buf.txt"):read("a"))

-- rename, remove and errors
print(os.rename(path, dir .. "/renamed.txt"))
print(io.open(path))
print(os.remove(dir .. "/renamed.txt"), os.remove(dir .. "/blob.bin"))
local ok, msg, code = os.remove(dir .. "/nothing-here")
print(ok, msg, code)
print(io.open(dir .. "/no/such/dir/file", "w"))
print(io.open(dir, "w"))
local tmp = os.tmpname()
print(type(tmp), #tmp > 0, os.remove(tmp))

-- default input and output
io.output(dir .. "/out.txt"); io.write("via io.write\n"); io.close(); io.output(io.stdout)
print(io.open(dir .. "/out.txt"):read("l"))
local lines = {}
for line in io.stdin:lines() do lines[#lines + 1] = line:upper() end
io.write(#lines, " stdin lines: ", table.concat(lines, "|"), "\n")
io.stderr:write("to stderr\n")
print(os.getenv("HOME"), os.getenv("NO_SUCH_VARIABLE_X"))
