/* pm_wait: wait4 and waitid selectors, WNOHANG, ECHILD and the status
 * encoding.  One property per mode (argv[1]); prints "ok MODE" and exits 0
 * when it holds, "FAIL: why" and exit 1 otherwise.  A child is made a
 * zombie before it is waited for by waitid(WEXITED|WNOWAIT), never by
 * sleeping.  Runs natively and under Violet.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pm_check.h"

/* A child that exits with `code` at once. */
static pid_t child_exiting(int code)
{
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        _exit(code);
    return pid;
}

/* A child that blocks until the pipe `gate` gets a byte or EOF, then exits
 * with `code`.  The child closes its copy of the write end. */
static pid_t child_gated(int gate[2], int code)
{
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        char c;
        close(gate[1]);
        if (read(gate[0], &c, 1) < 0)
            _exit(100);
        _exit(code);
    }
    return pid;
}

/* Block until `pid` has ended, leaving it a zombie. */
static void until_zombie(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) == 0, "waitid(WNOWAIT, %d): %s", (int)pid, strerror(errno));
    CHECK(si.si_pid == pid, "waitid(WNOWAIT) reported pid %d, not %d", (int)si.si_pid, (int)pid);
}

static int status_of(pid_t pid, int options)
{
    int st = -1;
    pid_t got = waitpid(pid, &st, options);
    CHECK(got == pid, "waitpid(%d) returned %d: %s", (int)pid, (int)got, strerror(errno));
    return st;
}

/* wait4(pid > 0) collects that child, not another zombie. */
static void mode_pid(void)
{
    pid_t a = child_exiting(1), b = child_exiting(2);
    until_zombie(a);
    until_zombie(b);
    int st;
    CHECK(wait4(b, &st, 0, NULL) == b, "wait4(b): %s", strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2, "b's status %#x", st);
    CHECK(wait4(a, &st, 0, NULL) == a, "wait4(a): %s", strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1, "a's status %#x", st);
    CHECK(wait4(a, &st, WNOHANG, NULL) == -1 && errno == ECHILD, "a reaped twice");
}

/* wait4(-1) collects every child once, each with its own status. */
static void mode_any(void)
{
    enum { N = 5 };
    pid_t pids[N];
    int seen[N] = {0};
    for (int i = 0; i < N; i++)
        pids[i] = child_exiting(10 + i);
    for (int n = 0; n < N; n++) {
        int st;
        pid_t got = wait4(-1, &st, 0, NULL);
        CHECK(got > 0, "wait4(-1) number %d: %s", n, strerror(errno));
        int i = 0;
        while (i < N && pids[i] != got)
            i++;
        CHECK(i < N, "wait4(-1) returned %d, not a child", (int)got);
        CHECK(!seen[i]++, "child %d collected twice", (int)got);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 10 + i, "child %d: status %#x", (int)got, st);
    }
    CHECK(wait4(-1, NULL, 0, NULL) == -1 && errno == ECHILD, "wait4(-1) after the last child: not ECHILD");
}

/* wait4(0) collects only children in the caller's process group, and
 * wait4(-pgid) only those of group pgid. */
static void mode_pgrp(void)
{
    pid_t same = child_exiting(3);
    int gate[2];
    CHECK(pipe(gate) == 0, "pipe");
    pid_t other = child_gated(gate, 4);
    /* The parent moves `other` into a group of its own (the race-free idiom:
     * whichever of the two calls comes second finds it done already). */
    CHECK(setpgid(other, other) == 0, "setpgid(other): %s", strerror(errno));
    CHECK(getpgid(other) == other, "getpgid(other) = %d", (int)getpgid(other));
    CHECK(getpgid(same) == getpgrp(), "the first child left the parent's group");
    close(gate[1]);
    until_zombie(same);
    until_zombie(other);

    int st;
    CHECK(wait4(0, &st, 0, NULL) == same, "wait4(0) did not collect the child in the group: %s", strerror(errno));
    CHECK(WEXITSTATUS(st) == 3, "status %#x", st);
    CHECK(wait4(0, &st, WNOHANG, NULL) == -1 && errno == ECHILD, "wait4(0) with no child in the group: not ECHILD");
    CHECK(wait4(-getpgrp(), &st, WNOHANG, NULL) == -1 && errno == ECHILD, "wait4(-own group): not ECHILD");
    CHECK(wait4(-other, &st, 0, NULL) == other, "wait4(-pgid) did not collect the child: %s", strerror(errno));
    CHECK(WEXITSTATUS(st) == 4, "status %#x", st);
}

/* WNOHANG returns 0 while a child lives; a blocking wait then collects it. */
static void mode_wnohang(void)
{
    int gate[2];
    CHECK(pipe(gate) == 0, "pipe");
    pid_t pid = child_gated(gate, 5);
    int st = 12345;
    CHECK(waitpid(pid, &st, WNOHANG) == 0, "waitpid(WNOHANG) on a live child did not return 0");
    CHECK(waitpid(-1, &st, WNOHANG) == 0, "waitpid(-1, WNOHANG) on a live child did not return 0");
    CHECK(write(gate[1], "x", 1) == 1, "write");
    st = status_of(pid, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5, "status %#x", st);
}

/* Waiting with no children, or for a pid that is not a child, is ECHILD. */
static void mode_echild(void)
{
    int st;
    CHECK(wait4(-1, &st, 0, NULL) == -1 && errno == ECHILD, "wait4(-1) without children");
    CHECK(wait4(-1, &st, WNOHANG, NULL) == -1 && errno == ECHILD, "wait4(-1, WNOHANG) without children");
    CHECK(wait4(0, &st, 0, NULL) == -1 && errno == ECHILD, "wait4(0) without children");
    CHECK(wait4(getpid(), &st, 0, NULL) == -1 && errno == ECHILD, "wait4(own pid)");
    CHECK(wait4(getppid(), &st, 0, NULL) == -1 && errno == ECHILD, "wait4(parent's pid)");
    siginfo_t si;
    CHECK(waitid(P_ALL, 0, &si, WEXITED) == -1 && errno == ECHILD, "waitid(P_ALL) without children");
    pid_t pid = child_exiting(0);
    status_of(pid, 0);
    CHECK(wait4(pid, &st, 0, NULL) == -1 && errno == ECHILD, "wait4 on a reaped child");
}

/* The wait status encodes an exit code or the killing signal. */
static void mode_status(void)
{
    static const int codes[] = {0, 1, 42, 255};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        int st = status_of(child_exiting(codes[i]), 0);
        CHECK(WIFEXITED(st) && !WIFSIGNALED(st), "exit(%d): status %#x not 'exited'", codes[i], st);
        CHECK(WEXITSTATUS(st) == codes[i], "exit(%d): WEXITSTATUS %d", codes[i], WEXITSTATUS(st));
    }

    /* exit codes are taken modulo 256 */
    int st = status_of(child_exiting(256 + 9), 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 9, "exit(265): status %#x", st);

    /* a child that raises a fatal signal */
    static const int sigs[] = {SIGTERM, SIGUSR1, SIGKILL};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0, "fork");
        if (pid == 0) {
            raise(sigs[i]);
            _exit(99);
        }
        st = status_of(pid, 0);
        CHECK(WIFSIGNALED(st) && !WIFEXITED(st), "raise(%d): status %#x not 'signaled'", sigs[i], st);
        CHECK(WTERMSIG(st) == sigs[i], "raise(%d): WTERMSIG %d", sigs[i], WTERMSIG(st));
    }
}

/* waitid(P_PID) and waitid(P_ALL) with WEXITED fill in the siginfo. */
static void mode_waitid(void)
{
    siginfo_t si;
    pid_t pid = child_exiting(7);
    memset(&si, 0xff, sizeof si);
    CHECK(waitid(P_PID, (id_t)pid, &si, WEXITED) == 0, "waitid(P_PID): %s", strerror(errno));
    CHECK(si.si_signo == SIGCHLD, "si_signo %d", si.si_signo);
    CHECK(si.si_code == CLD_EXITED, "si_code %d", si.si_code);
    CHECK(si.si_pid == pid, "si_pid %d, not %d", (int)si.si_pid, (int)pid);
    CHECK(si.si_status == 7, "si_status %d", si.si_status);
    CHECK(si.si_uid == getuid(), "si_uid %d", (int)si.si_uid);
    CHECK(waitpid(pid, NULL, WNOHANG) == -1 && errno == ECHILD, "waitid did not reap the child");

    int gate[2];
    CHECK(pipe(gate) == 0, "pipe");
    pid = child_gated(gate, 0);
    memset(&si, 0xff, sizeof si);
    CHECK(waitid(P_ALL, 0, &si, WEXITED | WNOHANG) == 0, "waitid(WNOHANG): %s", strerror(errno));
    CHECK(si.si_pid == 0, "waitid(WNOHANG) on a live child: si_pid %d", (int)si.si_pid);
    CHECK(kill(pid, SIGTERM) == 0, "kill: %s", strerror(errno));
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_ALL, 0, &si, WEXITED) == 0, "waitid(P_ALL): %s", strerror(errno));
    CHECK(si.si_pid == pid, "si_pid %d, not %d", (int)si.si_pid, (int)pid);
    CHECK(si.si_code == CLD_KILLED, "si_code %d", si.si_code);
    CHECK(si.si_status == SIGTERM, "si_status %d", si.si_status);
    CHECK(waitid(P_ALL, 0, &si, WEXITED) == -1 && errno == ECHILD, "waitid(P_ALL) after the last child");
    CHECK(waitid(P_PID, (id_t)pid, &si, 0) == -1 && errno == EINVAL, "waitid without WEXITED etc. is not EINVAL");
}

static int thread_in[2], thread_out[2];

static void *reader_thread(void *arg)
{
    char c;
    (void)arg;
    if (read(thread_in[0], &c, 1) == 1 && write(thread_out[1], &c, 1) != 1)
        _exit(101);
    return NULL;
}

/* A stop holds every thread of the process: one blocked in read does not
 * take data that arrives while the process is stopped (the parent yields
 * the CPU many times, then finds the byte still in the pipe); after
 * SIGCONT it reads again and takes the next byte. */
static void mode_stopped_threads(void)
{
    int ready[2];
    CHECK(pipe(thread_in) == 0 && pipe(thread_out) == 0 && pipe(ready) == 0, "pipe");
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, reader_thread, NULL) != 0)
            _exit(102);
        if (write(ready[1], "r", 1) != 1)
            _exit(103);
        pthread_join(t, NULL);
        _exit(0);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1, "read");
    CHECK(kill(pid, SIGSTOP) == 0, "kill(SIGSTOP)");
    int st = status_of(pid, WUNTRACED);
    CHECK(WIFSTOPPED(st), "status %#x", st);

    CHECK(write(thread_in[1], "1", 1) == 1, "write");
    for (int i = 0; i < 2000; i++)
        sched_yield();
    CHECK(fcntl(thread_in[0], F_SETFL, O_NONBLOCK) == 0, "fcntl");
    CHECK(read(thread_in[0], &c, 1) == 1 && c == '1', "a thread of the stopped process took the byte");
    CHECK(fcntl(thread_in[0], F_SETFL, 0) == 0, "fcntl");

    CHECK(kill(pid, SIGCONT) == 0, "kill(SIGCONT)");
    CHECK(write(thread_in[1], "2", 1) == 1, "write");
    CHECK(read(thread_out[0], &c, 1) == 1 && c == '2', "after SIGCONT the thread did not read on");
    st = status_of(pid, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

static volatile int sigchld_count;
static volatile int release_fd = -1;

/* Counts SIGCHLDs; the first one closes release_fd (see interrupted_wait). */
static void on_sigchld(int sig)
{
    (void)sig;
    sigchld_count++;
    if (release_fd >= 0) {
        close(release_fd);
        release_fd = -1;
    }
}

/* A parent that ignores SIGCHLD, or sets SA_NOCLDWAIT, leaves no zombies:
 * wait blocks until every child has ended, then fails with ECHILD. */
static void mode_nocldwait(void)
{
    int gate[2];
    CHECK(signal(SIGCHLD, SIG_IGN) != SIG_ERR, "signal");
    pid_t pid = child_exiting(3);
    CHECK(waitpid(-1, NULL, 0) == -1 && errno == ECHILD, "SIGCHLD ignored: wait did not end with ECHILD");
    CHECK(kill(pid, 0) == -1 && errno == ESRCH, "SIGCHLD ignored: the child was left a zombie");

    CHECK(pipe(gate) == 0, "pipe");
    pid = child_gated(gate, 0);
    CHECK(waitpid(pid, NULL, WNOHANG) == 0, "SIGCHLD ignored: WNOHANG on a live child did not return 0");
    close(gate[1]);
    CHECK(waitpid(pid, NULL, 0) == -1 && errno == ECHILD, "SIGCHLD ignored: waitpid(pid) did not end with ECHILD");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDWAIT;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0, "sigaction");
    pid = child_exiting(4);
    CHECK(waitpid(-1, NULL, 0) == -1 && errno == ECHILD, "SA_NOCLDWAIT: wait did not end with ECHILD");

    /* SA_NOCLDWAIT with a handler: SIGCHLD still comes, no zombie stays. */
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_NOCLDWAIT | SA_RESTART;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0, "sigaction");
    sigchld_count = 0;
    pid = child_exiting(6);
    CHECK(waitpid(-1, NULL, 0) == -1 && errno == ECHILD, "SA_NOCLDWAIT with a handler: wait did not end with ECHILD");
    CHECK(sigchld_count == 1, "SA_NOCLDWAIT with a handler: %d SIGCHLDs, not 1", sigchld_count);

    /* Back to the default: children are zombies again. */
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = 0;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0, "sigaction");
    pid = child_exiting(5);
    int st = status_of(pid, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5, "status %#x", st);
}

/* Take the SIGCHLD that is pending (SIGCHLD is blocked) and check it. */
static void expect_sigchld(const sigset_t *set, pid_t pid, int code, int status, const char *what)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK(sigwaitinfo(set, &si) == SIGCHLD, "%s: no SIGCHLD: %s", what, strerror(errno));
    CHECK(si.si_pid == pid, "%s: SIGCHLD si_pid %d, not %d", what, (int)si.si_pid, (int)pid);
    CHECK(si.si_code == code, "%s: SIGCHLD si_code %d, not %d", what, si.si_code, code);
    CHECK(si.si_status == status, "%s: SIGCHLD si_status %d, not %d", what, si.si_status, status);
}

/* A stopped child is reported to WUNTRACED (once), a continued one to
 * WCONTINUED; waitid(WSTOPPED/WCONTINUED) likewise, and without WEXITED
 * it does not see an exited child.  Each change sends SIGCHLD. */
static void mode_stopped(void)
{
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    CHECK(sigprocmask(SIG_BLOCK, &chld, NULL) == 0, "sigprocmask");
    int gate[2];
    CHECK(pipe(gate) == 0, "pipe");
    pid_t pid = child_gated(gate, 6);

    int st = 0;
    CHECK(kill(pid, SIGSTOP) == 0, "kill(SIGSTOP): %s", strerror(errno));
    st = status_of(pid, WUNTRACED);
    CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "WUNTRACED: status %#x is not 'stopped by SIGSTOP'", st);
    expect_sigchld(&chld, pid, CLD_STOPPED, SIGSTOP, "stop");
    CHECK(waitpid(pid, &st, WUNTRACED | WNOHANG) == 0, "a stop was reported twice");
    CHECK(waitpid(pid, &st, WNOHANG) == 0, "waitpid without WUNTRACED reported a stop");

    CHECK(kill(pid, SIGCONT) == 0, "kill(SIGCONT): %s", strerror(errno));
    st = status_of(pid, WCONTINUED);
    CHECK(WIFCONTINUED(st), "WCONTINUED: status %#x is not 'continued'", st);
    expect_sigchld(&chld, pid, CLD_CONTINUED, SIGCONT, "continue");
    CHECK(waitpid(pid, &st, WCONTINUED | WNOHANG) == 0, "a continue was reported twice");

    siginfo_t si;
    CHECK(kill(pid, SIGSTOP) == 0, "kill(SIGSTOP): %s", strerror(errno));
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, (id_t)pid, &si, WSTOPPED | WNOWAIT) == 0, "waitid(WSTOPPED|WNOWAIT): %s", strerror(errno));
    CHECK(si.si_pid == pid && si.si_code == CLD_STOPPED && si.si_status == SIGSTOP,
          "waitid(WSTOPPED): pid %d code %d status %d", (int)si.si_pid, si.si_code, si.si_status);
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, (id_t)pid, &si, WSTOPPED) == 0 && si.si_code == CLD_STOPPED,
          "waitid(WNOWAIT) consumed the stop");
    expect_sigchld(&chld, pid, CLD_STOPPED, SIGSTOP, "second stop");
    CHECK(kill(pid, SIGCONT) == 0, "kill(SIGCONT): %s", strerror(errno));
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, (id_t)pid, &si, WCONTINUED) == 0, "waitid(WCONTINUED): %s", strerror(errno));
    CHECK(si.si_pid == pid && si.si_code == CLD_CONTINUED && si.si_status == SIGCONT,
          "waitid(WCONTINUED): pid %d code %d status %d", (int)si.si_pid, si.si_code, si.si_status);
    expect_sigchld(&chld, pid, CLD_CONTINUED, SIGCONT, "second continue");

    close(gate[1]);
    expect_sigchld(&chld, pid, CLD_EXITED, 6, "exit");
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) == 0, "waitid(WEXITED|WNOWAIT): %s", strerror(errno));
    /* Linux: a zombie is no child to wait for without WEXITED. */
    CHECK(waitid(P_PID, (id_t)pid, &si, WSTOPPED | WCONTINUED | WNOHANG) == -1 && errno == ECHILD,
          "waitid without WEXITED on an exited child is not ECHILD");
    st = status_of(pid, WUNTRACED | WCONTINUED);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 6, "status %#x", st);
}

/* Whether process `pid` is asleep (state S in /proc/PID/stat). */
static int asleep(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *end = strrchr(buf, ')');
    return end && end[1] == ' ' && end[2] == 'S';
}

/* The parent blocks in wait4(b); child a ends only once the parent is
 * asleep (polled through /proc: no sleeping), so its SIGCHLD interrupts
 * the wait; b ends only after the handler has run (it closes b's gate).
 * Returns what wait4 returned. */
static pid_t interrupted_wait(int flags, int *st)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = flags;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0, "sigaction");
    sigchld_count = 0;

    int gate_b[2];
    CHECK(pipe(gate_b) == 0, "pipe");
    pid_t parent = getpid();
    pid_t a = fork();
    CHECK(a >= 0, "fork");
    if (a == 0) {  /* ends once the parent sleeps in its wait */
        close(gate_b[1]);
        while (!asleep(parent))
            sched_yield();
        _exit(1);
    }
    pid_t b = fork();
    CHECK(b >= 0, "fork");
    if (b == 0) {  /* ends when the parent's handler closes gate_b */
        char c;
        close(gate_b[1]);
        if (read(gate_b[0], &c, 1) < 0)
            _exit(100);
        _exit(2);
    }
    release_fd = gate_b[1];
    pid_t got = wait4(b, st, 0, NULL);
    int saved = errno;
    CHECK(sigchld_count >= 1, "no SIGCHLD handler ran");
    if (got != b)
        CHECK(waitpid(b, NULL, 0) == b, "waitpid(b)");
    CHECK(waitpid(a, NULL, 0) == a, "waitpid(a)");
    signal(SIGCHLD, SIG_DFL);
    close(gate_b[0]);
    errno = saved;
    return got;
}

/* A wait interrupted by a handler with SA_RESTART goes on waiting; without
 * SA_RESTART it fails with EINTR. */
static void mode_restart(void)
{
    int st = 0;
    pid_t got = interrupted_wait(SA_RESTART, &st);
    CHECK(got > 0, "wait4 under SA_RESTART: %s", strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2, "wait4 under SA_RESTART: status %#x", st);
    got = interrupted_wait(0, &st);
    CHECK(got == -1 && errno == EINTR, "wait4 interrupted without SA_RESTART returned %d (%s), not EINTR",
          (int)got, strerror(errno));
}

int main(int argc, char **argv)
{
    static const struct { const char *name; void (*run)(void); } modes[] = {
        {"pid", mode_pid}, {"any", mode_any}, {"pgrp", mode_pgrp}, {"wnohang", mode_wnohang},
        {"echild", mode_echild}, {"status", mode_status}, {"waitid", mode_waitid},
        {"nocldwait", mode_nocldwait}, {"stopped", mode_stopped}, {"restart", mode_restart},
        {"stopped_threads", mode_stopped_threads},
    };
    for (size_t i = 0; argc > 1 && i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(argv[1], modes[i].name) == 0) {
            modes[i].run();
            say("ok %s\n", argv[1]);
            return 0;
        }
    }
    say("usage: pm_wait pid|any|pgrp|wnohang|echild|status|waitid|nocldwait|stopped|stopped_threads|restart\n");
    return 2;
}
