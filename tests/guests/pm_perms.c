/* pm_perms: permissions and the process budget.
 *
 *   fork        tries one fork and prints "fork: ok" or "fork: ERRNO_NAME"
 *               (run it with --deny proc.spawn).
 *   drop        violet_drop removes a right; fork passes exactly the
 *               caller's set on; a child's drop does not reach its parent;
 *               no call brings a dropped right back, exec included.
 *   rights      prints the caller's rights (the image "drop" execs).
 *   signal      kill(pid, 0) and SIGTERM inside and outside the caller's
 *               subtree; prints each outcome (run it with --deny
 *               proc.signal).
 *   bomb        a fork bomb: every process forks until fork fails, then
 *               blocks; the top prints how its last fork failed and exits,
 *               and the cascade ends the rest (run it with --max-procs).
 *
 * "drop" prints "ok drop" and exits 0 when it holds, "FAIL: why" and exit 1
 * otherwise.  Violet only: it needs the extension calls.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "violet.h"
#include "pm_check.h"

static const char *errname(int e)
{
    switch (e) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    default: return "other";
    }
}

static int status_of(pid_t pid)
{
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid(%d): %s", (int)pid, strerror(errno));
    return st;
}

static void mode_fork(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid < 0) {
        say("fork: %s\n", errname(errno));
        return;
    }
    status_of(pid);
    say("fork: ok\n");
}

static void mode_drop(const char *self)
{
    long all = violet_rights();
    CHECK(all >= 0, "violet_rights: %s", strerror(errno));
    CHECK((all & VIOLET_RIGHT_SPAWN) && (all & VIOLET_RIGHT_LAUNCH) && (all & VIOLET_RIGHT_EXEC),
          "the program starts without spawn, launch or exec (%#lx)", all);

    /* Drop proc.launch: it is gone, and violet_launch is refused. */
    CHECK(violet_drop(VIOLET_RIGHT_LAUNCH) == 0, "violet_drop: %s", strerror(errno));
    long now = violet_rights();
    CHECK(now == (all & ~VIOLET_RIGHT_LAUNCH), "after dropping launch the rights are %#lx", now);
    char *args[] = {(char *)self, "rights", NULL};
    CHECK(violet_launch(self, args) == -1 && errno == EPERM, "violet_launch without the right is not EPERM");

    /* Nothing gives it back: dropping nothing, or dropping rights not held. */
    CHECK(violet_drop(0) == 0 && violet_rights() == now, "violet_drop(0) changed the rights");
    CHECK(violet_drop(VIOLET_RIGHT_LAUNCH) == 0 && violet_rights() == now, "a second drop changed the rights");
    CHECK(violet_drop(-1L & ~all) == 0 && violet_rights() == now, "dropping unknown bits changed the rights");

    /* The child inherits the set; its own drop stays its own. */
    int rep[2];
    CHECK(pipe(rep) == 0, "pipe");
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        put(rep[1], violet_rights());
        violet_drop(VIOLET_RIGHT_SPAWN);
        put(rep[1], violet_rights());
        pid_t g = fork();
        put(rep[1], g < 0 ? errno : 0);
        if (g == 0)
            _exit(0);
        _exit(0);
    }
    CHECK(get(rep[0]) == now, "the child did not get exactly its parent's rights");
    CHECK(get(rep[0]) == (now & ~VIOLET_RIGHT_SPAWN), "the child's drop of spawn did not take");
    CHECK(get(rep[0]) == EPERM, "fork without proc.spawn is not EPERM");
    int st = status_of(pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
    CHECK(violet_rights() == now, "the child's drop reached the parent");

    /* exec gains nothing: the new image has the same rights. */
    int out[2];
    CHECK(pipe(out) == 0, "pipe");
    pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(out[1], 1);
        execv(self, args);
        _exit(127);
    }
    close(out[1]);
    char line[64] = {0};
    ssize_t n = read(out[0], line, sizeof line - 1);
    st = status_of(pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n > 0, "exec of %s failed (status %#x)", self, st);
    CHECK(strtol(line, NULL, 0) == now, "after exec the rights are %s, not %#lx", line, now);
}

static const char *outcome(int rc)
{
    return rc == 0 ? "ok" : errname(errno);
}

/* Signals inside and outside one's own subtree: a worker signals its
 * parent, its sibling, itself and its own child, and the top signals its
 * child.  Prints one outcome per line. */
static void mode_signal(void)
{
    int gate[2], rep[2];
    CHECK(pipe(gate) == 0 && pipe(rep) == 0, "pipe");
    pid_t sibling = fork();
    CHECK(sibling >= 0, "fork: %s", strerror(errno));
    if (sibling == 0) {
        char c;
        close(gate[1]);
        if (read(gate[0], &c, 1) < 0)
            _exit(100);
        _exit(0);
    }
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        put(rep[1], kill(getppid(), 0) == 0 ? 0 : errno);
        put(rep[1], kill(sibling, 0) == 0 ? 0 : errno);
        put(rep[1], kill(getpid(), 0) == 0 ? 0 : errno);
        pid_t g = fork();
        if (g == 0) {
            char c;
            close(gate[1]);
            if (read(gate[0], &c, 1) < 0)
                _exit(100);
            _exit(0);
        }
        put(rep[1], g < 0 ? -1 : kill(g, SIGTERM) == 0 ? 0 : errno);
        if (g > 0)
            waitpid(g, NULL, 0);
        _exit(0);
    }
    static const char *what[] = {"worker -> its parent", "worker -> its sibling", "worker -> itself",
                                 "worker -> its child"};
    for (int i = 0; i < 4; i++) {
        long e = get(rep[0]);
        say("%s: %s\n", what[i], e == 0 ? "ok" : e == -1 ? "fork failed" : errname((int)e));
    }
    status_of(pid);
    say("top -> its child: %s\n", outcome(kill(sibling, SIGTERM)));
    status_of(sibling);
}

static void mode_rights(void)
{
    say("%#lx\n", violet_rights());
}

static void mode_bomb(void)
{
    int hold[2];
    CHECK(pipe(hold) == 0, "pipe");
    pid_t top = getpid();
    for (;;) {
        pid_t pid = fork();
        if (pid == 0)
            continue;  /* the child bombs on */
        if (pid > 0)
            continue;
        if (getpid() == top) {
            say("fork bomb: %s\n", errname(errno));
            return;
        }
        char c;
        for (;;)
            if (read(hold[0], &c, 1) <= 0)
                _exit(100);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "fork") == 0)
        mode_fork();
    else if (argc > 1 && strcmp(argv[1], "drop") == 0)
        mode_drop(argv[0]);
    else if (argc > 1 && strcmp(argv[1], "rights") == 0)
        mode_rights();
    else if (argc > 1 && strcmp(argv[1], "signal") == 0)
        mode_signal();
    else if (argc > 1 && strcmp(argv[1], "bomb") == 0)
        mode_bomb();
    else {
        say("usage: pm_perms fork|drop|rights|signal|bomb\n");
        return 2;
    }
    if (strcmp(argv[1], "drop") == 0)
        say("ok drop\n");
    return 0;
}
