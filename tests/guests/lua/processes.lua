-- os.execute and io.popen: a shell started by the C library (posix_spawn), its
-- exit status or signal, and pipes to and from it.
print(os.execute())
print(os.execute("exit 3"))
print(os.execute("kill -9 $$"))
local p = io.popen("echo hi; echo there")
print(p:read("l"), p:read("l"), p:close())
local w = io.popen("read x; exit $((x + 1))", "w")
w:write("41\n")
print(w:close())
print(io.popen("exit 5"):close())
