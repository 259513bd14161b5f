/* pm_check.h: what the process-model guests share.
 *
 * say() writes straight to stdout (no stdio buffer a fork would copy);
 * CHECK() prints "FAIL: ..." and exits 1 when a condition does not hold;
 * put()/get() pass one long through a pipe; reap_ok() waits for a child
 * and insists that it exited with status 0.
 */
#ifndef PM_CHECK_H
#define PM_CHECK_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((format(printf, 1, 2), unused))
static void say(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (write(1, buf, (size_t)n) < 0)
        _exit(3);
}

#define CHECK(cond, ...) do { if (!(cond)) { say("FAIL: " __VA_ARGS__); say("\n"); _exit(1); } } while (0)

__attribute__((unused))
static void put(int fd, long v)
{
    CHECK(write(fd, &v, sizeof v) == sizeof v, "write to pipe: %s", strerror(errno));
}

__attribute__((unused))
static long get(int fd)
{
    long v;
    CHECK(read(fd, &v, sizeof v) == sizeof v, "read from pipe: %s", strerror(errno));
    return v;
}

__attribute__((unused))
static void reap_ok(pid_t pid)
{
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid(%d): %s", (int)pid, strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d failed (status %#x)", (int)pid, st);
}

#endif
