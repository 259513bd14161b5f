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
 *
 * Prints "ok MODE" and exits 0 when the property holds, "FAIL: why" and
 * exit 1 otherwise.  Violet only: natively the orphaned grandchild lives on
 * (it is re-parented), which is exactly what Violet's spec forbids.
 */
#include <errno.h>
#include <signal.h>
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

int main(int argc, char **argv)
{
    static const struct { const char *name; void (*run)(void); } modes[] = {
        {"kinds", mode_kinds}, {"cascade", mode_cascade}, {"tree", mode_tree},
    };
    for (size_t i = 0; argc > 1 && i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(argv[1], modes[i].name) == 0) {
            modes[i].run();
            say("ok %s\n", argv[1]);
            return 0;
        }
    }
    say("usage: pm_tree kinds|cascade|tree\n");
    return 2;
}
