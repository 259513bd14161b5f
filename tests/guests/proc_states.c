/* proc_states: the state letter of /proc/PID/stat and /proc/PID/status for
 * processes and threads doing different things, read with a standard
 * stat parser (comm is what lies between the first '(' and the last ')').
 *
 * Each child is watched through /proc until it leaves R (at most ~5 s),
 * then its letter is printed: S while it waits in pause, wait4, a read of
 * an empty pipe, a futex, nanosleep, poll or sigsuspend, R while it
 * computes, T once stopped, Z once it has exited and is not yet reaped.
 * A thread waiting on a futex is S in task/TID/stat while the main thread,
 * reading, is R; a vfork parent is D while its child runs.  Every line
 * reads the same natively and under Violet.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct stat_line {
    int fields, pid, ppid;
    char comm[64], state;
};

/* Parse PATH as Linux's proc(5) says: pid (comm) state ppid ...  */
static int parse_stat(const char *path, struct stat_line *out) {
    char buf[2048];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *open_p = strchr(buf, '('), *close_p = strrchr(buf, ')');
    if (!open_p || !close_p || close_p < open_p)
        return -1;
    memset(out, 0, sizeof *out);
    out->pid = atoi(buf);
    size_t len = close_p - open_p - 1;
    if (len >= sizeof out->comm)
        len = sizeof out->comm - 1;
    memcpy(out->comm, open_p + 1, len);
    out->comm[len] = 0;
    out->fields = 2;
    char *save, *tok = strtok_r(close_p + 1, " \n", &save);
    for (; tok; tok = strtok_r(NULL, " \n", &save)) {
        out->fields++;
        if (out->fields == 3)
            out->state = tok[0];
        if (out->fields == 4)
            out->ppid = atoi(tok);
    }
    return 0;
}

static char state_of(int pid, int tid) {
    char path[96];
    struct stat_line s;
    if (tid)
        snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
    else
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
    return parse_stat(path, &s) ? '?' : s.state;
}

/* The state once it is no longer R (or R after ~5 s). */
static char settled(int pid, int tid, char from) {
    char c = from;
    for (int i = 0; i < 500; i++) {
        c = state_of(pid, tid);
        if (c != from)
            return c;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return c;
}

static char status_letter(int pid) {
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return '?';
    buf[n] = 0;
    char *s = strstr(buf, "\nState:\t");
    return s ? s[8] : '?';
}

static int futex_word;

static void child_body(const char *mode, int rfd) {
    if (!strcmp(mode, "pause")) {
        pause();
    } else if (!strcmp(mode, "wait4")) {
        pid_t g = fork();
        if (g == 0) { /* ends with its parent (natively by PDEATHSIG; Violet's cascade anyway) */
            prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
            alarm(30);
            pause();
            _exit(0);
        }
        waitpid(g, NULL, 0);
    } else if (!strcmp(mode, "read")) {
        char c;
        if (read(rfd, &c, 1) < 0)
            _exit(1);
    } else if (!strcmp(mode, "futex")) {
        syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    } else if (!strcmp(mode, "nanosleep")) {
        struct timespec ts = {100, 0};
        nanosleep(&ts, NULL);
    } else if (!strcmp(mode, "poll")) {
        struct pollfd p = {rfd, POLLIN, 0};
        poll(&p, 1, 100000);
    } else if (!strcmp(mode, "sigsuspend")) {
        sigset_t none;
        sigemptyset(&none);
        sigsuspend(&none);
    } else if (!strcmp(mode, "compute")) {
        for (volatile unsigned long i = 0;; i++)
            ;
    }
    _exit(0);
}

static volatile int thread_tid;

static void *thread_body(void *arg) {
    (void)arg;
    thread_tid = (int)syscall(SYS_gettid);
    syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

int main(void) {
    const char *modes[] = {"pause", "wait4", "read", "futex", "nanosleep", "poll", "sigsuspend"};
    int p[2];
    if (pipe(p))
        return 2;
    for (unsigned i = 0; i < sizeof modes / sizeof *modes; i++) {
        pid_t c = fork();
        if (c == 0)
            child_body(modes[i], p[0]);
        char letter = settled(c, 0, 'R');
        printf("%s: %c, status %c\n", modes[i], letter, status_letter(c));
        kill(c, SIGKILL);
        waitpid(c, NULL, 0);
    }

    /* Computing: R (looked at a few times, it never sleeps). */
    pid_t c = fork();
    if (c == 0)
        child_body("compute", -1);
    int r = 0;
    for (int i = 0; i < 5; i++) {
        r += state_of(c, 0) == 'R';
        usleep(2000);
    }
    printf("compute: R %d of 5\n", r);
    kill(c, SIGSTOP);
    int st;
    waitpid(c, &st, WUNTRACED);
    printf("stopped: %c, status %c (WIFSTOPPED %d)\n", state_of(c, 0), status_letter(c), WIFSTOPPED(st));
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);

    /* A vfork parent waits uninterruptibly for its child: D. */
    static volatile char seen = '?';
    pid_t v = vfork();
    if (v == 0) {
        seen = state_of(getppid(), 0);
        _exit(0);
    }
    waitpid(v, NULL, 0);
    printf("vfork parent: %c\n", seen);

    /* Exited, not reaped: a zombie. */
    c = fork();
    if (c == 0)
        _exit(7);
    char z = settled(c, 0, 'R');
    if (z == 'S')
        z = settled(c, 0, 'S');
    printf("exited: %c, status %c\n", z, status_letter(c));
    waitpid(c, &st, 0);
    printf("reaped: %s\n", state_of(c, 0) == '?' ? "gone" : "still there");

    /* A thread blocked on a futex; the main thread reading is running. */
    pthread_t th;
    pthread_create(&th, NULL, thread_body, NULL);
    while (!thread_tid)
        sched_yield();
    int tid = thread_tid;
    printf("thread: %c, main %c, process %c\n", settled(getpid(), tid, 'R'), state_of(getpid(), getpid()),
           state_of(getpid(), 0));
    futex_word = 1;
    syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    pthread_join(th, NULL);

    /* The stat line parses with a comm holding spaces and parentheses. */
    prctl(PR_SET_NAME, "a b) c", 0, 0, 0);
    struct stat_line s;
    parse_stat("/proc/self/stat", &s);
    printf("own stat: %d fields, pid %d, ppid %d, comm '%s', state %c\n", s.fields, s.pid == getpid(),
           s.ppid == getppid(), s.comm, s.state);
    char buf[64] = {0};
    int fd = open("/proc/self/comm", O_RDONLY);
    if (fd < 0 || read(fd, buf, sizeof buf - 1) < 0)
        return 3;
    printf("comm: %s", buf);
    return 0;
}
