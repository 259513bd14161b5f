/* pm_tree: Violet's process kinds and the exit cascade.
 *
 *   kinds    violet_kind: the program is an application whose parent
 *            (init) is a system process; its children and grandchildren
 *            are workers.
 *   cascade  a child forks a grandchild and exits; right after waitpid on
 *            the child, kill(grandchild, 0) fails with ESRCH: the
 *            grandchild died with its parent.
 *   tree     forks a tree of workers (three levels, two children each),
 *            waits until all of them are blocked, prints their count and
 *            exits 0, leaving them to the cascade (the host checks them).
 *   wide     a child with 30 descendants, each holding the write end of a
 *            pipe, is killed: right after waitpid the pipe reads as ended
 *            (no writer left), every pid is ESRCH and gone from /proc, and
 *            /proc/meminfo's MemFree is back to its figure before the fork.
 *
 * Prints "ok MODE" and exits 0 when the property holds, "FAIL: why" and
 * exit 1 otherwise.  Violet only: natively the orphaned grandchild lives on
 * (it is re-parented), which is exactly what Violet's spec forbids.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "violet.h"
#include "pm_check.h"

/* Block for ever: nobody writes to `fd`, and its write end stays open in
 * the top process. */
static void park(int fd)
{
    char c;
    for (;;)
        if (read(fd, &c, 1) <= 0)
            _exit(100);
}

static void mode_kinds(void)
{
    CHECK(violet_kind(0) == VIOLET_APPLICATION, "the program's kind is %ld", violet_kind(0));
    CHECK(violet_kind(getpid()) == VIOLET_APPLICATION, "violet_kind(getpid()) is %ld", violet_kind(getpid()));
    CHECK(getppid() == 1, "the application's parent is %d, not init", (int)getppid());
    CHECK(violet_kind(1) == VIOLET_SYSTEM, "init's kind is %ld", violet_kind(1));

    int rep[2];
    CHECK(pipe(rep) == 0, "pipe");
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        put(rep[1], violet_kind(0));
        put(rep[1], violet_kind(getppid()));
        pid_t g = fork();
        if (g == 0) {
            put(rep[1], violet_kind(0));
            _exit(0);
        }
        put(rep[1], violet_kind(g));
        waitpid(g, NULL, 0);
        _exit(0);
    }
    CHECK(violet_kind(pid) == VIOLET_WORKER, "the parent sees its child as kind %ld", violet_kind(pid));
    CHECK(get(rep[0]) == VIOLET_WORKER, "a child of an application is not a worker");
    CHECK(get(rep[0]) == VIOLET_APPLICATION, "the child sees its parent as not an application");
    long a = get(rep[0]), b = get(rep[0]);  /* the grandchild's own view and its parent's, in either order */
    CHECK(a == VIOLET_WORKER && b == VIOLET_WORKER, "a child of a worker is not a worker (%ld, %ld)", a, b);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
    CHECK(violet_kind(pid) == -1 && errno == ESRCH, "violet_kind of a reaped pid is not ESRCH");
}

static void mode_cascade(void)
{
    int rep[2], go[2], gready[2], hold[2];
    CHECK(pipe(rep) == 0 && pipe(go) == 0 && pipe(gready) == 0 && pipe(hold) == 0, "pipe");
    pid_t child = fork();
    CHECK(child >= 0, "fork: %s", strerror(errno));
    if (child == 0) {
        pid_t g = fork();
        if (g < 0)
            _exit(2);
        if (g == 0) {
            put(gready[1], getpid());
            park(hold[0]);
        }
        /* The grandchild runs: tell the top, and exit when it says so. */
        put(rep[1], get(gready[0]));
        get(go[0]);
        _exit(0);
    }

    pid_t g = (pid_t)get(rep[0]);
    CHECK(kill(g, 0) == 0, "the grandchild is not alive before its parent exits: %s", strerror(errno));
    put(go[1], 1);
    int st;
    CHECK(waitpid(child, &st, 0) == child, "waitpid: %s", strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child's status is %#x", st);
    int alive = kill(g, 0) == 0;
    if (alive)
        kill(g, SIGKILL);  /* natively: do not leave it behind */
    CHECK(!alive, "the grandchild outlived its parent");
    CHECK(errno == ESRCH, "kill(grandchild, 0): %s, not ESRCH", strerror(errno));
    CHECK(waitpid(g, NULL, WNOHANG) == -1 && errno == ECHILD, "the grandchild became the top's child");
}

/* One parked worker per call, with `depth - 1` levels below it, and one
 * zombie child left unreaped; each reports on `ready` when it is in place. */
static void grow(int depth, int ready, int hold)
{
    for (int i = 0; i < 2; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0) {
            if (depth > 1)
                grow(depth - 1, ready, hold);
            put(ready, getpid());
            park(hold);
        }
    }
    pid_t z = fork();
    CHECK(z >= 0, "fork: %s", strerror(errno));
    if (z == 0)
        _exit(5);
    siginfo_t si;
    CHECK(waitid(P_PID, (id_t)z, &si, WEXITED | WNOWAIT) == 0, "waitid(WNOWAIT): %s", strerror(errno));
    put(ready, -z);
}

static void mode_tree(void)
{
    int ready[2], hold[2];
    CHECK(pipe(ready) == 0 && pipe(hold) == 0, "pipe");
    grow(3, ready[1], hold[0]);
    /* 2 + 4 + 8 parked workers and 7 zombies, one per parent of workers. */
    int parked = 0, zombies = 0;
    while (parked + zombies < 21) {
        long v = get(ready[0]);
        parked += v > 0;
        zombies += v < 0;
    }
    say("tree: %d parked, %d zombies\n", parked, zombies);
}

static long mem_free_kib(void)
{
    char buf[4096];
    FILE *f = fopen("/proc/meminfo", "r");
    CHECK(f != NULL, "/proc/meminfo: %s", strerror(errno));
    long v = -1;
    while (fgets(buf, sizeof buf, f))
        if (sscanf(buf, "MemFree: %ld", &v) == 1)
            break;
    fclose(f);
    CHECK(v >= 0, "no MemFree in /proc/meminfo");
    return v;
}

static void spread(int fanout, int depth, int ready, int hold)
{
    for (int i = 0; i < fanout; i++) {
        pid_t pid = fork();
        if (pid < 0)
            _exit(2);
        if (pid == 0) {
            if (depth > 1)
                spread(fanout, depth - 1, ready, hold);
            static char pages[3 * 4096];
            for (int k = 0; k < 3; k++)
                ((volatile char *)pages)[k * 4096] = 1;  /* pages of its own */
            put(ready, getpid());
            park(hold);
        }
    }
}

static void mode_wide(void)
{
    int ready[2], hold[2], eof[2];
    CHECK(pipe(ready) == 0 && pipe(hold) == 0 && pipe(eof) == 0, "pipe");
    long before = mem_free_kib();
    pid_t child = fork();
    CHECK(child >= 0, "fork: %s", strerror(errno));
    if (child == 0) {
        spread(5, 2, ready[1], hold[0]);
        put(ready[1], getpid());
        park(hold[0]);
    }
    close(eof[1]);
    pid_t pids[31];
    for (int i = 0; i < 31; i++)
        pids[i] = (pid_t)get(ready[0]);
    CHECK(kill(child, SIGKILL) == 0, "kill: %s", strerror(errno));
    int st;
    CHECK(waitpid(child, &st, 0) == child, "waitpid: %s", strerror(errno));
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the child's status is %#x", st);
    CHECK(fcntl(eof[0], F_SETFL, O_NONBLOCK) == 0, "fcntl: %s", strerror(errno));
    char c;
    ssize_t n = read(eof[0], &c, 1);
    CHECK(n == 0, "the pipe's writers outlived the cascade: read gave %zd (%s)", n, n < 0 ? strerror(errno) : "data");
    for (int i = 0; i < 31; i++) {
        errno = 0;
        CHECK(kill(pids[i], 0) == -1 && errno == ESRCH, "pid %d is still there (%s)", (int)pids[i], strerror(errno));
    }
    long after = mem_free_kib();
    CHECK(after >= before - 256, "MemFree %ld KiB after the cascade, %ld KiB before", after, before);
    DIR *d = opendir("/proc");
    CHECK(d != NULL, "opendir(/proc): %s", strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        for (int i = 0; i < 31; i++)
            CHECK(atoi(e->d_name) != pids[i], "/proc lists %d after the cascade", (int)pids[i]);
    closedir(d);
}

int main(int argc, char **argv)
{
    static const struct { const char *name; void (*run)(void); } modes[] = {
        {"kinds", mode_kinds}, {"cascade", mode_cascade}, {"tree", mode_tree}, {"wide", mode_wide},
    };
    for (size_t i = 0; argc > 1 && i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(argv[1], modes[i].name) == 0) {
            modes[i].run();
            say("ok %s\n", argv[1]);
            return 0;
        }
    }
    say("usage: pm_tree kinds|cascade|tree|wide\n");
    return 2;
}
