/* brk2_edges: hostile inputs found by the second breaker round, one result
 * line each ("WHAT: ok N" or "WHAT: EINVAL"), so that a run under Violet can
 * be compared with a native one.
 *
 *   offsets FILE   ftruncate, pread, pwrite, sendfile and truncate with
 *                  offsets that are negative as an off_t (were Python
 *                  OverflowErrors: "kernel bug", the process killed)
 *   tty            terminal requests with out-of-range actions and groups
 *                  on fd 0, which must be a terminal (TCFLSH/TCXONC with a
 *                  huge action were a kernel bug)
 *   launch PROG    violet_launch(PROG, {PROG, "hello"}) and its answer
 *   hello          print "hello"
 *   kill PID       kill(PID, SIGKILL), then kill(-1, SIGKILL)
 *   wait SECS      sleep, then print "survived"
 *   alarms N       alarm(3600) N times, then alarm(0)
 *   timers N       timer_settime(1 hour) N times on one timer, then delete it
 *   sleeps N       N nanosleeps of an hour, each cut short by a signal from
 *                  a child (SA_RESTART off: EINTR each time)
 *   probe          fork a child that exits at once, and wait for it (the
 *                  test looks at the kernel when the child ends)
 *   readlink P     print readlink(P)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <violet.h>

static const char *ename(int e) {
    switch (e) {
    case EINVAL: return "EINVAL";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    case ENOTTY: return "ENOTTY";
    case ENOENT: return "ENOENT";
    case ENOSYS: return "ENOSYS";
    case EFBIG: return "EFBIG";
    case EOVERFLOW: return "EOVERFLOW";
    case EFAULT: return "EFAULT";
    case EIO: return "EIO";
    default: {
        static char buf[32];
        snprintf(buf, sizeof buf, "errno %d", e);
        return buf;
    }
    }
}

static void rep(const char *what, long rc) {
    if (rc < 0)
        printf("%s: %s\n", what, ename(errno));
    else
        printf("%s: ok %ld\n", what, rc);
    fflush(stdout);
}

static void on_usr1(int s) { (void)s; }

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *op = argv[i];
        const char *a = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(op, "offsets")) {
            int fd = open(a, O_RDWR | O_CREAT | O_TRUNC, 0644);
            char b[8];
            off_t off = -1;
            rep("ftruncate -1", syscall(SYS_ftruncate, fd, -1L));
            rep("ftruncate 2^63", syscall(SYS_ftruncate, fd, (long)(1UL << 63)));
            rep("pread -1", syscall(SYS_pread64, fd, b, 4, -1L));
            rep("pwrite -1", syscall(SYS_pwrite64, fd, "x", 1, -1L));
            rep("pread 2^62", syscall(SYS_pread64, fd, b, 4, 1L << 62));
            rep("sendfile offset -1", sendfile(1, fd, &off, 4));
            rep("truncate -1", syscall(SYS_truncate, a, -1L));
            close(fd);
            i++;
        } else if (!strcmp(op, "tty")) {
            int pg = 999999;
            rep("TCFLSH 2^40", syscall(SYS_ioctl, 0, TCFLSH, 1L << 40));
            rep("TCFLSH -1", syscall(SYS_ioctl, 0, TCFLSH, -1L));
            rep("TCXONC 2^40", syscall(SYS_ioctl, 0, TCXONC, 1L << 40));
            rep("TCXONC 77", syscall(SYS_ioctl, 0, TCXONC, 77L));
            rep("TCFLSH TCIFLUSH", syscall(SYS_ioctl, 0, TCFLSH, 0L));
            rep("TIOCSPGRP no such group", ioctl(0, TIOCSPGRP, &pg));
            rep("request 0xffff5401", syscall(SYS_ioctl, 0, 0xFFFF5401UL, &pg));
        } else if (!strcmp(op, "launch")) {
            char *av[] = {(char *)a, "hello", NULL};
            long pid = violet_launch(a, av);
            rep("launch", pid < 0 ? -1 : 0);
            if (pid > 0)
                usleep(500000); /* the launched program prints, then ends */
            i++;
        } else if (!strcmp(op, "hello")) {
            printf("hello\n");
        } else if (!strcmp(op, "kill")) {
            int pid = atoi(a);
            rep("kill another user's process", kill(pid, SIGKILL));
            rep("kill -1", kill(-1, SIGKILL));
            i++;
        } else if (!strcmp(op, "wait")) {
            sleep(atoi(a));
            printf("survived\n");
            i++;
        } else if (!strcmp(op, "alarms")) {
            long n = atol(a);
            for (long j = 0; j < n; j++)
                alarm(3600);
            alarm(0);
            printf("alarms: %ld\n", n);
            i++;
        } else if (!strcmp(op, "timers")) {
            long n = atol(a);
            timer_t tm;
            struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
            struct itimerspec its = {.it_value = {3600, 0}};
            if (timer_create(CLOCK_MONOTONIC, &sev, &tm)) {
                rep("timer_create", -1);
                return 1;
            }
            for (long j = 0; j < n; j++)
                timer_settime(tm, 0, &its, 0);
            timer_delete(tm);
            printf("timers: %ld\n", n);
            i++;
        } else if (!strcmp(op, "readlink")) {
            char buf[4096];
            ssize_t n = readlink(a, buf, sizeof buf - 1);
            if (n < 0) {
                rep("readlink", -1);
            } else {
                buf[n] = 0;
                printf("readlink %s: %s\n", a, buf);
            }
            i++;
        } else if (!strcmp(op, "probe")) {
            pid_t c = fork();
            if (c == 0)
                _exit(0);
            waitpid(c, 0, 0);
            printf("probed\n");
        } else if (!strcmp(op, "sleeps")) {
            long n = atol(a), cut = 0;
            struct sigaction sa = {0};
            sa.sa_handler = on_usr1;
            sigaction(SIGUSR1, &sa, 0);
            pid_t me = getpid(), c = fork();
            if (c == 0) {
                for (;;) {
                    kill(me, SIGUSR1);
                    usleep(200);
                }
            }
            for (long j = 0; j < n; j++) {
                struct timespec ts = {3600, 0};
                if (nanosleep(&ts, 0) < 0 && errno == EINTR)
                    cut++;
            }
            kill(c, SIGKILL);
            waitpid(c, 0, 0);
            printf("sleeps cut short: %s\n", cut == n ? "all" : "not all");
            i++;
        }
    }
    return 0;
}
