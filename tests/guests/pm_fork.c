/* pm_fork: fork's return values, memory isolation, getppid, PID
 * uniqueness, vfork and posix_spawn, what a child inherits and what an
 * exec keeps.  One property per mode (argv[1]); the program prints
 * "ok MODE" and exits 0 when it holds, or prints "FAIL: why" and exits 1.
 * Children report through pipes and exit statuses; only the top process
 * prints.  Runs natively and under Violet.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pm_check.h"

/* fork returns 0 in the child and the child's pid in the parent. */
static void mode_retval(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        put(p[1], 0);  /* what fork returned here */
        put(p[1], getpid());
        _exit(0);
    }
    long ret = get(p[0]), child = get(p[0]);
    CHECK(ret == 0, "fork returned %ld in the child", ret);
    CHECK(pid == child, "fork returned %d in the parent, the child's pid is %ld", (int)pid, child);
    CHECK(pid != getpid(), "the child has the parent's pid");
    reap_ok(pid);
}

static int global = 1;

/* Writes after fork, in either process, are private to the writer. */
static void mode_isolation(void)
{
    int to_child[2], to_parent[2];
    CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0, "pipe");
    int *heap = malloc(64 * 1024);
    CHECK(heap != NULL, "malloc");
    heap[0] = heap[10000] = 1;
    volatile int stack = 1;

    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* The child writes; the parent checks, then writes; we check. */
        global = 2, heap[0] = 2, heap[10000] = 2, stack = 2;
        put(to_parent[1], 1);
        get(to_child[0]);
        CHECK(global == 2 && heap[0] == 2 && heap[10000] == 2 && stack == 2,
              "the parent's write reached the child: %d %d %d %d", global, heap[0], heap[10000], stack);
        _exit(0);
    }
    get(to_parent[0]);
    CHECK(global == 1 && heap[0] == 1 && heap[10000] == 1 && stack == 1,
          "the child's write reached the parent: %d %d %d %d", global, heap[0], heap[10000], stack);
    global = 3, heap[0] = 3, heap[10000] = 3, stack = 3;
    put(to_child[1], 1);
    reap_ok(pid);
    CHECK(global == 3 && heap[0] == 3 && heap[10000] == 3 && stack == 3, "the parent lost its own write");
}

/* getppid in a child (and a grandchild) is its parent's pid. */
static void mode_getppid(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pid_t me = getpid();
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        CHECK(getppid() == me, "child: getppid() = %d, parent is %d", (int)getppid(), (int)me);
        pid_t g = fork();
        CHECK(g >= 0, "fork: %s", strerror(errno));
        if (g == 0) {
            put(p[1], getppid());
            _exit(0);
        }
        CHECK(get(p[0]) == getpid(), "grandchild: getppid() is not the child's pid");
        reap_ok(g);
        _exit(0);
    }
    reap_ok(pid);
}

/* 200 children forked and reaped one after the other get 200 distinct,
 * increasing pids (no pid is reused while the run lasts). */
static void mode_pids(void)
{
    enum { N = 200 };
    static pid_t pids[N];
    for (int i = 0; i < N; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0, "fork %d: %s", i, strerror(errno));
        if (pid == 0)
            _exit(0);
        reap_ok(pid);
        pids[i] = pid;
    }
    for (int i = 1; i < N; i++)
        CHECK(pids[i] > pids[i - 1], "pid %d (%d) is not above pid %d (%d)", i, (int)pids[i], i - 1, (int)pids[i - 1]);
    for (int i = 0; i < N; i++)
        CHECK(pids[i] != getpid(), "a child got the parent's pid");
    say("pids %d..%d\n", (int)pids[0], (int)pids[N - 1]);
}

static volatile int vfork_flag;
static volatile pid_t vfork_seen;

/* vfork: the parent is suspended until the child _exits, and they share
 * memory meanwhile, so the parent sees what the child stored. */
static void mode_vfork(void)
{
    vfork_flag = 0;
    pid_t pid = vfork();
    if (pid == 0) {
        vfork_seen = getpid();
        vfork_flag = 1;
        _exit(7);
    }
    CHECK(pid > 0, "vfork: %s", strerror(errno));
    CHECK(vfork_flag == 1, "the parent resumed before the vfork child exited");
    CHECK(vfork_seen == pid, "vfork returned %d, the child's pid is %d", (int)pid, (int)vfork_seen);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s", strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "vfork child status %#x", st);
}

/* The child starts with the parent's signal mask and dispositions but no
 * pending signals, its cwd, umask and nice value, and its open files:
 * the same open file descriptions (one file offset), close-on-exec flags
 * included. */
static void mode_inherit(void)
{
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    CHECK(sigprocmask(SIG_BLOCK, &usr2, NULL) == 0, "sigprocmask");
    CHECK(signal(SIGUSR1, SIG_IGN) != SIG_ERR, "signal");
    CHECK(raise(SIGUSR2) == 0, "raise");
    umask(027);
    CHECK(chdir("/tmp") == 0, "chdir: %s", strerror(errno));
    CHECK(setpriority(PRIO_PROCESS, 0, 5) == 0, "setpriority: %s", strerror(errno));
    char name[] = "/tmp/pm_fork_XXXXXX";
    int fd = mkstemp(name), pipes[2];
    CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
    unlink(name);
    CHECK(write(fd, "12345678", 8) == 8 && lseek(fd, 0, SEEK_SET) == 0, "write: %s", strerror(errno));
    CHECK(pipe2(pipes, O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
    CHECK(getpriority(PRIO_PROCESS, 0) == 5, "getpriority after setpriority(5) is %d", getpriority(PRIO_PROCESS, 0));

    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        sigset_t mask, pending;
        char cwd[64] = "", b[3];
        sigprocmask(SIG_BLOCK, NULL, &mask);
        sigpending(&pending);
        CHECK(sigismember(&mask, SIGUSR2), "the child lost the parent's signal mask");
        CHECK(!sigismember(&pending, SIGUSR2), "the child inherited a pending signal");
        CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/tmp") == 0, "the child's cwd is %s", cwd);
        CHECK(umask(0) == 027, "the child's umask differs");
        CHECK(getpriority(PRIO_PROCESS, 0) == 5, "the child's nice value is %d", getpriority(PRIO_PROCESS, 0));
        CHECK(fcntl(pipes[0], F_GETFD) == FD_CLOEXEC, "the child lost FD_CLOEXEC");
        CHECK(read(fd, b, 3) == 3, "the child cannot read the inherited fd");
        CHECK(kill(getpid(), SIGUSR1) == 0, "kill");
        _exit(0);  /* alive: SIGUSR1 is still ignored */
    }
    reap_ok(pid);
    CHECK(lseek(fd, 0, SEEK_CUR) == 3, "the child's read did not move the shared offset");
    sigset_t pending;
    sigpending(&pending);
    CHECK(sigismember(&pending, SIGUSR2), "the parent lost its pending signal");
}

/* posix_spawn (clone with CLONE_VM|CLONE_VFORK in the libc) starts the
 * program as a child and returns its pid; `self` is run in mode
 * "spawned", which reports its parent through its exit status. */
static void mode_spawn(const char *self)
{
    extern char **environ;
    char *args[] = {(char *)self, "spawned", NULL};
    pid_t pid = 0;
    int rc = posix_spawn(&pid, self, NULL, NULL, args, environ);
    CHECK(rc == 0 && pid > 0, "posix_spawn: %s", strerror(rc));
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s", strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 9, "the spawned child's status is %#x", st);
    char *missing[] = {"/nonexistent/pm_fork", NULL};
    rc = posix_spawn(&pid, missing[0], NULL, NULL, missing, environ);
    CHECK(rc == ENOENT, "posix_spawn of a missing program: %s, not ENOENT", strerror(rc));
}

static void on_usr2(int sig)
{
    (void)sig;
}

/* Across execve the signal mask and the pending signals stay, ignored
 * signals stay ignored and caught ones go back to the default.  `self` is
 * this program, exec'd in mode "execed" (which checks the other side). */
static void mode_exec(const char *self)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0, "sigprocmask");
    CHECK(signal(SIGTERM, SIG_IGN) != SIG_ERR && signal(SIGUSR2, on_usr2) != SIG_ERR, "signal");
    CHECK(kill(getpid(), SIGUSR1) == 0 && raise(SIGUSR2) == 0, "kill");  /* one to the process, one to the thread */
    execl(self, self, "execed", (char *)NULL);
    CHECK(0, "execl: %s", strerror(errno));
}

static void mode_execed(void)
{
    sigset_t mask, pending;
    struct sigaction term, usr2;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    sigpending(&pending);
    sigaction(SIGTERM, NULL, &term);
    sigaction(SIGUSR2, NULL, &usr2);
    CHECK(sigismember(&mask, SIGUSR1) && sigismember(&mask, SIGUSR2), "exec lost the signal mask");
    CHECK(sigismember(&pending, SIGUSR1), "exec lost the pending process-directed SIGUSR1");
    CHECK(sigismember(&pending, SIGUSR2), "exec lost the pending thread-directed SIGUSR2");
    CHECK(term.sa_handler == SIG_IGN, "exec reset an ignored signal");
    CHECK(usr2.sa_handler == SIG_DFL, "exec kept a handler");
}

int main(int argc, char **argv)
{
    static const struct { const char *name; void (*run)(void); } modes[] = {
        {"retval", mode_retval}, {"isolation", mode_isolation}, {"getppid", mode_getppid},
        {"pids", mode_pids}, {"vfork", mode_vfork}, {"inherit", mode_inherit},
    };
    if (argc > 1 && strcmp(argv[1], "spawned") == 0)
        return getppid() > 1 ? 9 : 8;
    if (argc > 1 && strcmp(argv[1], "spawn") == 0) {
        mode_spawn(argv[0]);
        say("ok spawn\n");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "exec") == 0)
        mode_exec(argv[0]);
    if (argc > 1 && strcmp(argv[1], "execed") == 0) {
        mode_execed();
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
    say("usage: pm_fork retval|isolation|getppid|pids|vfork|spawn|inherit|exec\n");
    return 2;
}
