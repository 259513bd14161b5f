/* poll, select and their timeouts over pipes, as Linux gives them. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int p[2], q[2];
    pipe(p);
    pipe(q);

    /* An empty pipe: poll times out after its timeout, with nothing ready. */
    struct pollfd fds[3] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {99, POLLIN, 0}};
    double t0 = now();
    int n = poll(fds, 1, 50);
    printf("empty: %d ready after >=50ms: %s\n", n, now() - t0 >= 0.049 ? "yes" : "no");

    /* Writable end and a bad descriptor. */
    n = poll(fds, 3, 0);
    printf("now: %d ready; write end %s; fd 99 %s\n", n, fds[1].revents & POLLOUT ? "POLLOUT" : "-",
           fds[2].revents & POLLNVAL ? "POLLNVAL" : "-");

    /* A child writes after we start waiting: poll wakes with POLLIN. */
    pid_t pid = fork();
    if (pid == 0) {
        char go;
        read(q[0], &go, 1);  /* wait until the parent is about to poll */
        write(p[1], "x", 1);
        _exit(0);
    }
    write(q[1], "g", 1);
    fds[0].revents = 0;
    n = poll(fds, 1, 5000);
    printf("after child's write: %d, %s\n", n, fds[0].revents & POLLIN ? "POLLIN" : "-");
    char c;
    read(p[0], &c, 1);
    waitpid(pid, NULL, 0);

    /* select: readable once data is there; the timeout when it is not. */
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct timeval tv = {0, 20000};
    n = select(p[0] + 1, &rs, NULL, NULL, &tv);
    printf("select empty: %d, set %d\n", n, FD_ISSET(p[0], &rs));
    write(p[1], "y", 1);
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    n = select(p[0] + 1, &rs, NULL, NULL, NULL);
    printf("select with data: %d, set %d\n", n, FD_ISSET(p[0], &rs));
    read(p[0], &c, 1);

    /* The writer closes: POLLHUP; select says readable (EOF). */
    close(p[1]);
    fds[0].revents = 0;
    n = poll(fds, 1, 1000);
    printf("closed writer: %d, %s\n", n, fds[0].revents & POLLHUP ? "POLLHUP" : "-");

    /* select on a closed descriptor is EBADF. */
    FD_ZERO(&rs);
    FD_SET(60, &rs);
    tv.tv_sec = 0;
    tv.tv_usec = 0;
    n = select(61, &rs, NULL, NULL, &tv);
    printf("select bad fd: %d %s\n", n, n < 0 && errno == EBADF ? "EBADF" : strerror(errno));
    return 0;
}
