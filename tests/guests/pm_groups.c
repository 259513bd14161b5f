/* pm_groups: process groups and sessions (setpgid, getpgid, setsid,
 * getsid) and signals with their default actions (kill with SIGTERM and
 * SIGKILL, kill(pid, 0) as an existence test).  One property per mode
 * (argv[1]); prints "ok MODE" and exits 0 when it holds, "FAIL: why" and
 * exit 1 otherwise.  The checks run in forked children, so that they do not
 * depend on whether the top process leads a group or session (it does
 * under Violet, an application being a child of init; it need not
 * natively).  Runs natively and under Violet.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pm_check.h"

/* A child that blocks until the pipe `gate` gets a byte or EOF, then
 * exits 0; it reports "ready" on `ready` first (if not -1). */
static pid_t child_gated(int gate[2], int ready)
{
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        char c;
        close(gate[1]);
        if (ready >= 0)
            put(ready, getpid());
        if (read(gate[0], &c, 1) < 0)
            _exit(100);
        _exit(0);
    }
    return pid;
}

/* The checks of mode "groups", in a child that is neither a group nor a
 * session leader. */
static void groups_in_child(void)
{
    pid_t me = getpid(), pg = getpgrp(), sid = getsid(0);
    CHECK(getpgid(0) == pg && getpgid(me) == pg, "getpgid(0) %d, getpgid(me) %d, getpgrp %d",
          (int)getpgid(0), (int)getpgid(me), (int)pg);
    CHECK(pg != me, "a fresh child leads a group");
    CHECK(getsid(me) == sid && sid != me, "getsid");
    CHECK(getpgid(getppid()) == pg, "the child is not in its parent's group");
    CHECK(getsid(getppid()) == sid, "the child is not in its parent's session");

    /* A grandchild inherits the group; the child (its parent) may move it. */
    int gate[2], ready[2];
    CHECK(pipe(gate) == 0 && pipe(ready) == 0, "pipe");
    pid_t g = child_gated(gate, ready[1]);
    get(ready[0]);
    CHECK(getpgid(g) == pg, "the grandchild is not in the child's group");
    CHECK(setpgid(g, g) == 0, "setpgid(grandchild, itself): %s", strerror(errno));
    CHECK(getpgid(g) == g, "getpgid(grandchild) %d after setpgid", (int)getpgid(g));
    CHECK(setpgid(g, pg) == 0, "setpgid(grandchild, back): %s", strerror(errno));
    CHECK(getpgid(g) == pg, "the grandchild did not come back to the group");
    CHECK(setpgid(g, -1) == -1 && errno == EINVAL, "setpgid(pgid < 0) is not EINVAL");
    CHECK(setpgid(g, 999999) == -1 && errno == EPERM, "setpgid(to a group that does not exist) is not EPERM");

    /* The child makes a group of its own, then a session of its own. */
    CHECK(setpgid(0, 0) == 0, "setpgid(0, 0): %s", strerror(errno));
    CHECK(getpgrp() == me && getpgid(0) == me, "getpgid after setpgid(0, 0): %d", (int)getpgrp());
    CHECK(getsid(0) == sid, "setpgid changed the session");
    CHECK(setsid() == -1 && errno == EPERM, "setsid as a group leader is not EPERM");
    close(gate[1]);
    reap_ok(g);

    /* While a process is left in the group the child leads, the child may
     * go back to its parent's group but cannot make a session: its pid is
     * still a group's id. */
    CHECK(pipe(gate) == 0, "pipe");
    g = child_gated(gate, ready[1]);
    get(ready[0]);
    CHECK(getpgid(g) == me, "the grandchild is not in the child's new group");
    CHECK(setpgid(0, pg) == 0, "setpgid(0, parent's group): %s", strerror(errno));
    CHECK(getpgrp() == pg, "the child did not go back to its parent's group");
    CHECK(setsid() == -1 && errno == EPERM, "setsid while the group of the caller's pid exists is not EPERM");
    close(gate[1]);
    reap_ok(g);

    /* The grandchild, not a group leader, makes a new session. */
    int rep[2];
    CHECK(pipe(rep) == 0, "pipe");
    g = fork();
    CHECK(g >= 0, "fork");
    if (g == 0) {
        pid_t s = setsid();
        put(rep[1], s);
        put(rep[1], getsid(0));
        put(rep[1], getpgrp());
        put(rep[1], setsid() == -1 && errno == EPERM);
        put(rep[1], setpgid(0, getppid()) == -1 && errno == EPERM);
        _exit(0);
    }
    CHECK(get(rep[0]) == g, "setsid did not return the caller's pid");
    CHECK(get(rep[0]) == g, "getsid after setsid is not the caller's pid");
    CHECK(get(rep[0]) == g, "getpgrp after setsid is not the caller's pid");
    CHECK(get(rep[0]) == 1, "a second setsid is not EPERM");
    CHECK(get(rep[0]) == 1, "setpgid into another session is not EPERM");
    reap_ok(g);
    CHECK(getpgid(g) == -1 && errno == ESRCH, "getpgid of a reaped child is not ESRCH");
    CHECK(getsid(g) == -1 && errno == ESRCH, "getsid of a reaped child is not ESRCH");
}

static void mode_groups(void)
{
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        groups_in_child();
        _exit(0);
    }
    reap_ok(pid);
}

/* A parent cannot move a child that leads its own session. */
static void mode_setpgid_session(void)
{
    int rep[2], gate[2];
    CHECK(pipe(rep) == 0 && pipe(gate) == 0, "pipe");
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        char c;
        close(gate[1]);
        put(rep[1], setsid());
        if (read(gate[0], &c, 1) < 0)
            _exit(100);
        _exit(0);
    }
    CHECK(get(rep[0]) == pid, "setsid in the child failed");
    CHECK(getsid(pid) == pid, "getsid(child) %d", (int)getsid(pid));
    CHECK(setpgid(pid, pid) == -1 && errno == EPERM, "setpgid on a session leader is not EPERM");
    close(gate[1]);
    reap_ok(pid);
}

/* A parent may move its child to another group until the child execs;
 * after that setpgid on it fails with EACCES.  `self` is this program,
 * exec'd in mode "execed". */
static void mode_exec(const char *self)
{
    int gate[2], execd[2];
    CHECK(pipe(gate) == 0 && pipe2(execd, O_CLOEXEC) == 0, "pipe");
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        char c;
        close(gate[1]);
        close(execd[0]);
        if (read(gate[0], &c, 1) != 1)  /* the parent's first setpgid is done */
            _exit(100);
        dup2(gate[0], 0);
        execl(self, self, "execed", (char *)NULL);
        _exit(127);
    }
    close(execd[1]);
    CHECK(setpgid(pid, pid) == 0, "setpgid before exec: %s", strerror(errno));
    CHECK(write(gate[1], "x", 1) == 1, "write");
    char c;
    CHECK(read(execd[0], &c, 1) == 0, "no EOF from the close-on-exec pipe");
    CHECK(setpgid(pid, getpgrp()) == -1 && errno == EACCES, "setpgid after the child's exec is not EACCES");
    CHECK(getpgid(pid) == pid, "the exec'd child's group changed");
    close(gate[1]);
    reap_ok(pid);
}

/* The exec'd child of mode "exec": it waits for its parent to finish. */
static void mode_execed(void)
{
    char c;
    if (read(0, &c, 1) < 0)
        _exit(100);
    _exit(0);
}

static int killed_by(pid_t pid)
{
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid(%d): %s", (int)pid, strerror(errno));
    CHECK(WIFSIGNALED(st), "child %d was not killed by a signal (status %#x)", (int)pid, st);
    return WTERMSIG(st);
}

/* SIGTERM's default action ends the receiver; so does SIGKILL, which a
 * handler, SIG_IGN and the signal mask cannot stop. */
static void mode_kill(void)
{
    int gate[2], ready[2];
    CHECK(pipe(gate) == 0 && pipe(ready) == 0, "pipe");

    pid_t pid = child_gated(gate, ready[1]);
    get(ready[0]);
    CHECK(kill(pid, SIGTERM) == 0, "kill(SIGTERM): %s", strerror(errno));
    CHECK(killed_by(pid) == SIGTERM, "not killed by SIGTERM");

    pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        sigset_t all;
        char c;
        signal(SIGTERM, SIG_IGN);
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        close(gate[1]);
        put(ready[1], 0);
        if (read(gate[0], &c, 1) < 0)
            _exit(100);
        _exit(0);
    }
    get(ready[0]);
    CHECK(kill(pid, SIGTERM) == 0, "kill(SIGTERM) to a process ignoring it: %s", strerror(errno));
    CHECK(waitpid(pid, NULL, WNOHANG) == 0, "an ignored SIGTERM ended the process");
    CHECK(kill(pid, SIGKILL) == 0, "kill(SIGKILL): %s", strerror(errno));
    CHECK(killed_by(pid) == SIGKILL, "not killed by SIGKILL");
}

/* kill(pid, 0) tells whether pid exists: yes while it runs and while it is
 * a zombie, ESRCH once it is reaped. */
static void mode_exists(void)
{
    int gate[2], ready[2];
    CHECK(pipe(gate) == 0 && pipe(ready) == 0, "pipe");
    pid_t pid = child_gated(gate, ready[1]);
    get(ready[0]);
    CHECK(kill(pid, 0) == 0, "kill(live child, 0): %s", strerror(errno));
    CHECK(kill(getpid(), 0) == 0, "kill(self, 0): %s", strerror(errno));
    close(gate[1]);
    siginfo_t si;
    CHECK(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) == 0, "waitid(WNOWAIT): %s", strerror(errno));
    CHECK(kill(pid, 0) == 0, "kill(zombie child, 0): %s", strerror(errno));
    reap_ok(pid);
    CHECK(kill(pid, 0) == -1 && errno == ESRCH, "kill(reaped child, 0) is not ESRCH");
    CHECK(kill(pid, SIGTERM) == -1 && errno == ESRCH, "kill(reaped child, SIGTERM) is not ESRCH");
    CHECK(kill(getpid(), 65) == -1 && errno == EINVAL, "kill with signal 65 is not EINVAL");
}

int main(int argc, char **argv)
{
    static const struct { const char *name; void (*run)(void); } modes[] = {
        {"groups", mode_groups}, {"setpgid_session", mode_setpgid_session},
        {"kill", mode_kill}, {"exists", mode_exists},
    };
    if (argc > 1 && strcmp(argv[1], "execed") == 0)
        mode_execed();
    if (argc > 1 && strcmp(argv[1], "exec") == 0) {
        mode_exec(argv[0]);
        say("ok exec\n");
        return 0;
    }
    for (size_t i = 0; argc > 1 && i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(argv[1], modes[i].name) == 0) {
            modes[i].run();
            say("ok %s\n", argv[1]);
            return 0;
        }
    }
    say("usage: pm_groups groups|setpgid_session|exec|kill|exists\n");
    return 2;
}
