/* (g) Pipe ping-pong: one byte goes one way through a pipe and comes back
 * through a second pipe, N times.  Between two processes (fork) or, with
 * "thread", between two threads of one process.  Each round trip is two
 * blocking reads that wait for the other side, so it measures the wake-up
 * and the switch from one side to the other, twice.
 *
 * usage: pingpong [N] [proc|thread]
 */
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

static int ping[2], pong[2];
static long rounds;

static void xfer(int rd, int wr, long n, int first_writes) {
    char c = 'x';
    for (long i = 0; i < n; i++) {
        if (first_writes && write(wr, &c, 1) != 1)
            die("write");
        if (read(rd, &c, 1) != 1)
            die("read");
        if (!first_writes && write(wr, &c, 1) != 1)
            die("write");
    }
}

static void *partner(void *arg) {
    xfer(ping[0], pong[1], rounds, 0);
    return arg;
}

int main(int argc, char **argv) {
    rounds = arg_count(argc, argv, 1, 20000);
    int threads = argc > 2 && strcmp(argv[2], "thread") == 0;
    if (argc > 2 && !threads && strcmp(argv[2], "proc") != 0) {
        fprintf(stderr, "usage: pingpong [N] [proc|thread]\n");
        return 2;
    }
    if (pipe(ping) < 0 || pipe(pong) < 0)
        die("pipe");

    pid_t pid = 0;
    pthread_t th;
    if (threads) {
        if (pthread_create(&th, NULL, partner, NULL) != 0)
            die("pthread_create");
    } else {
        pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            close(ping[1]);
            close(pong[0]);
            xfer(ping[0], pong[1], rounds, 0);
            _exit(0);
        }
        close(ping[0]);
        close(pong[1]);
    }
    /* One warm-up round trip so that the partner is running. */
    xfer(pong[0], ping[1], 1, 1);

    double t0 = now_s();
    xfer(pong[0], ping[1], rounds - 1, 1);
    double t1 = now_s();

    if (threads) {
        pthread_join(th, NULL);
    } else {
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "partner failed\n");
            return 1;
        }
    }
    long timed = rounds - 1 > 0 ? rounds - 1 : 1;
    metric("inner", t1 - t0, "s");
    metric("round_trip", (t1 - t0) / timed * 1e6, "us");
    return 0;
}
