/* lk_ops: record locks (fcntl) and flock(2) between processes, one
 * scenario per argument (argv[1]), printed so that the output is the same
 * natively and under Violet.  argv[2] is a scratch file path.
 *
 *   conflict  split  ranges  close  noinherit  wake  holder_exit  eintr  restart
 *   deadlock  ofd  flock  counter  hang (never ends natively)
 *   hostcheck, hold: with a host process's lock (tests/test_locks.py)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *path;

static const char *ename(int e) {
    switch (e) {
    case 0: return "ok";
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EDEADLK: return "EDEADLK";
    case EINTR: return "EINTR";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    default: {
        static char b[32];
        snprintf(b, sizeof b, "errno %d", e);
        return b;
    }
    }
}

static const char *tname(int t) { return t == F_RDLCK ? "RD" : t == F_WRLCK ? "WR" : t == F_UNLCK ? "UN" : "?"; }

static int lk(int fd, int cmd, int type, int whence, off_t start, off_t len) {
    struct flock fl = {.l_type = type, .l_whence = whence, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl) < 0 ? errno : 0;
}

/* F_GETLK for a write lock of [start, start+len): "UN" or "WR 0+10 parent". */
static void show(const char *what, int fd, int cmd, off_t start, off_t len, pid_t parent) {
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    if (fcntl(fd, cmd, &fl) < 0) {
        printf("%s: getlk %s\n", what, ename(errno));
        return;
    }
    if (fl.l_type == F_UNLCK) {
        printf("%s: UN\n", what);
        return;
    }
    const char *who = fl.l_pid == parent ? "parent" : fl.l_pid == getpid() ? "self" : fl.l_pid == -1 ? "-1" : "other";
    printf("%s: %s %lld+%lld %s\n", what, tname(fl.l_type), (long long)fl.l_start, (long long)fl.l_len, who);
}

static int open_file(void) {
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) {
        perror("open");
        exit(1);
    }
    return fd;
}

static void msleep(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static int wait_child(pid_t pid) {
    int st;
    if (waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run fn in a child (its output flushed); the parent waits for it. */
#define CHILD(...)                                                                                                    \
    do {                                                                                                              \
        fflush(stdout);                                                                                               \
        pid_t c_ = fork();                                                                                            \
        if (c_ == 0) {                                                                                                \
            __VA_ARGS__;                                                                                                  \
            fflush(stdout);                                                                                           \
            _exit(0);                                                                                                 \
        }                                                                                                             \
        wait_child(c_);                                                                                               \
    } while (0)

/* The state letter of process pid in /proc/PID/stat. */
static char state_of(pid_t pid) {
    char p[64], buf[512];
    snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(p, "r");
    if (!f)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *r = strrchr(buf, ')');
    return r && r[1] == ' ' ? r[2] : '?';
}

static void wait_sleeping(pid_t pid) {
    msleep(200);
    for (int i = 0; i < 100 && state_of(pid) != 'S'; i++)
        msleep(50);
}

static volatile int alarms;
static void on_alarm(int sig) {
    (void)sig;
    alarms++;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: lk_ops SCENARIO FILE\n");
        return 2;
    }
    const char *s = argv[1];
    path = argv[2];
    pid_t me = getpid();
    int fd = open_file();
    if (ftruncate(fd, 100) < 0)
        return 1;

    if (!strcmp(s, "conflict")) {
        printf("parent WR 0+10: %s\n", ename(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10)));
        printf("parent again RD 0+10 (own lock): %s\n", ename(lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 10)));
        printf("parent WR 0+10: %s\n", ename(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10)));
        CHILD({
            int g = open_file();
            int e = lk(g, F_SETLK, F_WRLCK, SEEK_SET, 5, 1);
            printf("child WR 5+1: %s\n", e == EACCES ? "EAGAIN" : ename(e));
            e = lk(g, F_SETLK, F_RDLCK, SEEK_SET, 9, 5);
            printf("child RD 9+5: %s\n", e == EACCES ? "EAGAIN" : ename(e));
            printf("child WR 10+10: %s\n", ename(lk(g, F_SETLK, F_WRLCK, SEEK_SET, 10, 10)));
            show("child getlk 3+1", g, F_GETLK, 3, 1, me);
            show("child getlk 10+1 (own)", g, F_GETLK, 10, 1, me);
            show("child getlk 50+1", g, F_GETLK, 50, 1, me);
        });
        printf("parent RD 50+10: %s\n", ename(lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 50, 10)));
        CHILD({
            printf("child RD 50+10 beside parent's RD: %s\n", ename(lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 50, 10)));
            int e = lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 55, 1);
            printf("child WR 55+1: %s\n", e == EACCES ? "EAGAIN" : ename(e));
            show("child getlk 55+1", fd, F_GETLK, 55, 1, me);
        });
        int ro = open(path, O_RDONLY);
        printf("WR on a read-only fd: %s\n", ename(lk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1)));
        printf("bad type: %s\n", ename(lk(fd, F_SETLK, 7, SEEK_SET, 0, 1)));
        printf("bad whence: %s\n", ename(lk(fd, F_SETLK, F_RDLCK, 9, 0, 1)));
        printf("before 0: %s\n", ename(lk(fd, F_SETLK, F_RDLCK, SEEK_SET, -1, 1)));
        printf("getlk UN: %s\n", ename(lk(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1)));
    } else if (!strcmp(s, "split")) {
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100);
        lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 40, 20);
        CHILD({
            show("hole 50", fd, F_GETLK, 50, 1, me);
            show("left 30", fd, F_GETLK, 30, 1, me);
            show("right 70", fd, F_GETLK, 70, 1, me);
            show("span 0+100", fd, F_GETLK, 0, 100, me);
            show("span 45+100", fd, F_GETLK, 45, 100, me);
        });
        lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 40, 20);
        CHILD({
            show("read part 50", fd, F_GETLK, 50, 1, me);
            show("write part 20", fd, F_GETLK, 20, 1, me);
        });
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 40, 20); /* WR 0..100 again, merged */
        CHILD({ show("merged 50", fd, F_GETLK, 50, 1, me); });
        lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 10, 10); /* WR 0-9, RD 10-19, WR 20-99 */
        CHILD({
            show("middle 15", fd, F_GETLK, 15, 1, me);
            show("first 5", fd, F_GETLK, 5, 1, me);
            show("last 90", fd, F_GETLK, 90, 1, me);
        });
        lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
        CHILD({ show("all unlocked", fd, F_GETLK, 0, 0, me); });
    } else if (!strcmp(s, "ranges")) {
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 200, 0); /* to EOF, past the file's end */
        lseek(fd, 5, SEEK_SET);
        lk(fd, F_SETLK, F_WRLCK, SEEK_CUR, 2, 3); /* 7..9 */
        lk(fd, F_SETLK, F_WRLCK, SEEK_END, -5, 5); /* 95..99 */
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 30, -10); /* 20..29 */
        CHILD({
            show("eof 1000000", fd, F_GETLK, 1000000, 1, me);
            show("cur 8", fd, F_GETLK, 8, 1, me);
            show("end 97", fd, F_GETLK, 97, 1, me);
            show("negative 25", fd, F_GETLK, 25, 1, me);
            show("free 50", fd, F_GETLK, 50, 1, me);
            show("free 150", fd, F_GETLK, 150, 10, me);
        });
    } else if (!strcmp(s, "close")) {
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
        int other = open(path, O_RDONLY);
        CHILD({ show("before close", fd, F_GETLK, 0, 1, me); });
        close(other); /* ANY descriptor of the file: the process's locks go */
        CHILD({ show("after closing another fd", fd, F_GETLK, 0, 1, me); });
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
        int d = dup(fd);
        close(d);
        CHILD({ show("after closing a dup", fd, F_GETLK, 0, 1, me); });
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
        CHILD({
            close(fd); /* the child's close does not touch the parent's locks */
            int g = open_file();
            show("child closed its copy", g, F_GETLK, 0, 1, me);
        });
    } else if (!strcmp(s, "noinherit")) {
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
        CHILD({
            int e = lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
            printf("child WR through the inherited fd: %s\n", e == EACCES ? "EAGAIN" : ename(e));
            show("child sees", fd, F_GETLK, 0, 1, me);
            printf("child unlock (its own, none): %s\n", ename(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 10)));
        });
        CHILD({ show("still the parent's", fd, F_GETLK, 0, 1, me); });
    } else if (!strcmp(s, "wake")) {
        int p[2];
        if (pipe(p) < 0)
            return 1;
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) {
            int g = open_file();
            int e = lk(g, F_SETLKW, F_WRLCK, SEEK_SET, 5, 1);
            (void)!write(p[1], "g", 1);
            printf("child SETLKW: %s\n", ename(e));
            show("child then getlk", g, F_GETLK, 5, 1, me);
            fflush(stdout);
            _exit(0);
        }
        wait_sleeping(c);
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        char ch;
        printf("child waiting while held: %s\n", read(p[0], &ch, 1) < 0 && errno == EAGAIN ? "yes" : "no");
        fflush(stdout);
        lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 10);
        wait_child(c);
        printf("parent after child: done\n");
    } else if (!strcmp(s, "holder_exit")) {
        int p[2];
        if (pipe(p) < 0)
            return 1;
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) {
            int g = open_file();
            lk(g, F_SETLK, F_WRLCK, SEEK_SET, 0, 0);
            (void)!write(p[1], "l", 1);
            msleep(300);
            _exit(0); /* never unlocks: its exit does */
        }
        char ch;
        (void)!read(p[0], &ch, 1);
        show("held by the child", fd, F_GETLK, 0, 1, me);
        printf("parent SETLKW: %s\n", ename(lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1)));
        printf("child status: %d\n", wait_child(c));
    } else if (!strcmp(s, "eintr")) {
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
        CHILD({
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_alarm; /* no SA_RESTART */
            sigaction(SIGALRM, &sa, NULL);
            struct itimerval it = {{0, 0}, {0, 200000}};
            setitimer(ITIMER_REAL, &it, NULL);
            printf("child SETLKW interrupted: %s\n", ename(lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1)));
        });
        CHILD({ show("parent still holds", fd, F_GETLK, 0, 1, me); });
    } else if (!strcmp(s, "restart")) {
        /* With SA_RESTART the handler runs and the wait goes on until the unlock. */
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_alarm;
            sa.sa_flags = SA_RESTART;
            sigaction(SIGALRM, &sa, NULL);
            struct itimerval it = {{0, 0}, {0, 100000}};
            setitimer(ITIMER_REAL, &it, NULL);
            int e = lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
            printf("child SETLKW across a restarted signal: %s, handler ran %d\n", ename(e), alarms);
            fflush(stdout);
            _exit(0);
        }
        msleep(400);
        wait_sleeping(c);
        lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1);
        wait_child(c);
    } else if (!strcmp(s, "deadlock")) {
        int p[2];
        if (pipe(p) < 0)
            return 1;
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) {
            int g = open_file();
            lk(g, F_SETLK, F_WRLCK, SEEK_SET, 1, 1);
            (void)!write(p[1], "l", 1);
            wait_sleeping(me); /* the parent waits for byte 1 */
            int e = lk(g, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
            printf("child SETLKW byte 0: %s\n", ename(e));
            fflush(stdout);
            _exit(0); /* its lock on byte 1 goes: the parent gets it */
        }
        char ch;
        (void)!read(p[0], &ch, 1);
        int e = lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1);
        printf("parent SETLKW byte 1: %s\n", ename(e));
        wait_child(c);
    } else if (!strcmp(s, "ofd")) {
        int a = open_file(), b = open_file();
        printf("OFD WR on a: %s\n", ename(lk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10)));
        int e = lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1);
        printf("OFD WR on b, same process: %s\n", e == EACCES ? "EAGAIN" : ename(e));
        e = lk(b, F_SETLK, F_WRLCK, SEEK_SET, 5, 1);
        printf("POSIX WR on b, same process: %s\n", e == EACCES ? "EAGAIN" : ename(e));
        show("OFD getlk on b", b, F_OFD_GETLK, 0, 1, me);
        show("POSIX getlk on b", b, F_GETLK, 0, 1, me);
        printf("OFD with l_pid set: ");
        {
            struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 1};
            printf("%s\n", ename(fcntl(b, F_OFD_SETLK, &fl) < 0 ? errno : 0));
        }
        CHILD({
            int e2 = lk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10);
            printf("child OFD WR on the inherited a (same description): %s\n", ename(e2));
        });
        int d = dup(a);
        close(a); /* d still refers to the description: the lock stays */
        e = lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1);
        printf("after closing a, dup kept: %s\n", e == EACCES ? "EAGAIN" : ename(e));
        close(d);
        printf("after closing the last: %s\n", ename(lk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1)));
    } else if (!strcmp(s, "flock")) {
        printf("parent LOCK_EX: %s\n", ename(flock(fd, LOCK_EX) < 0 ? errno : 0));
        CHILD({
            int g = open_file();
            printf("child EX|NB own open: %s\n", ename(flock(g, LOCK_EX | LOCK_NB) < 0 ? errno : 0));
            printf("child SH|NB own open: %s\n", ename(flock(g, LOCK_SH | LOCK_NB) < 0 ? errno : 0));
            printf("child EX|NB inherited fd: %s\n", ename(flock(fd, LOCK_EX | LOCK_NB) < 0 ? errno : 0));
            printf("child fcntl WR beside flock: %s\n", ename(lk(g, F_SETLK, F_WRLCK, SEEK_SET, 0, 0)));
        });
        printf("parent LOCK_SH (convert): %s\n", ename(flock(fd, LOCK_SH) < 0 ? errno : 0));
        CHILD({
            int g = open_file();
            printf("child SH|NB beside SH: %s\n", ename(flock(g, LOCK_SH | LOCK_NB) < 0 ? errno : 0));
            printf("child EX|NB beside two SH: %s\n", ename(flock(g, LOCK_EX | LOCK_NB) < 0 ? errno : 0));
        });
        printf("bad op: %s\n", ename(flock(fd, 0) < 0 ? errno : 0));
        flock(fd, LOCK_EX);
        int p[2];
        if (pipe(p) < 0)
            return 1;
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) {
            close(fd); /* its copy of the parent's description */
            int g = open_file();
            int e = flock(g, LOCK_EX) < 0 ? errno : 0;
            (void)!write(p[1], "g", 1);
            printf("child blocking LOCK_EX: %s\n", ename(e));
            fflush(stdout);
            _exit(0);
        }
        wait_sleeping(c);
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        char ch;
        printf("child waiting: %s\n", read(p[0], &ch, 1) < 0 && errno == EAGAIN ? "yes" : "no");
        fflush(stdout);
        close(fd); /* the last descriptor of the description: its flock goes */
        wait_child(c);
        fd = open_file();
        printf("after the child: %s\n", ename(flock(fd, LOCK_EX | LOCK_NB) < 0 ? errno : 0));
        printf("unlock: %s\n", ename(flock(fd, LOCK_UN) < 0 ? errno : 0));
    } else if (!strcmp(s, "hostcheck")) {
        /* Another host process holds WR on bytes 0..9 (the test does). */
        show("host's lock", fd, F_GETLK, 0, 1, me);
        int e = lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, 1);
        printf("WR 5+1 beside it: %s\n", e == EACCES ? "EAGAIN" : ename(e));
        printf("WR 10+10 beyond it: %s\n", ename(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 10)));
        printf("SETLKW 0+1: %s\n", ename(lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1))); /* the test unlocks soon */
    } else if (!strcmp(s, "hold")) {
        /* Hold WR 0..9 and RD 20..29 until stdin ends. */
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10);
        lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 20, 10);
        printf("locked\n");
        fflush(stdout);
        char buf[16];
        while (read(0, buf, sizeof buf) > 0) {
        }
        printf("done\n");
    } else if (!strcmp(s, "hang")) {
        /* Violet only: the holder waits for the child that waits for its
         * lock; natively this never ends. */
        lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
        CHILD({ lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1); });
    } else if (!strcmp(s, "counter")) {
        /* Several processes increment a counter in the file under a write lock. */
        int nproc = 4, iters = 25;
        if (pwrite(fd, "0", 2, 0) != 2)
            return 1;
        fflush(stdout);
        for (int i = 0; i < nproc; i++) {
            if (fork() == 0) {
                int g = open_file();
                for (int j = 0; j < iters; j++) {
                    if (lk(g, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1) != 0)
                        _exit(3);
                    char buf[16] = {0};
                    if (pread(g, buf, sizeof buf - 1, 0) < 0)
                        _exit(4);
                    int v = atoi(buf);
                    sched_yield();
                    int n = snprintf(buf, sizeof buf, "%d", v + 1);
                    if (pwrite(g, buf, n + 1, 0) != n + 1)
                        _exit(5);
                    lk(g, F_SETLK, F_UNLCK, SEEK_SET, 0, 1);
                }
                _exit(0);
            }
        }
        int bad = 0;
        for (int i = 0; i < nproc; i++) {
            int st;
            wait(&st);
            if (!WIFEXITED(st) || WEXITSTATUS(st))
                bad++;
        }
        char buf[16] = {0};
        (void)!pread(fd, buf, sizeof buf - 1, 0);
        printf("counter %s (want %d), failed children %d\n", buf, nproc * iters, bad);
    } else {
        fprintf(stderr, "lk_ops: unknown scenario %s\n", s);
        return 2;
    }
    return 0;
}
