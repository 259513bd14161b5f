/* hard_output.c: writing to a host stdout whose reader is slow or stalled.
 *
 *   flood         write 64 KiB blocks to stdout for ever
 *   flood_fork    a child floods stdout; the parent, meanwhile, sleeps a
 *                 little, computes, and says on stderr that it ran
 *   big           one 1 MiB write(2) to stdout; stderr: what it returned
 *   nonblock      stdout O_NONBLOCK: 4 KiB writes until one fails;
 *                 stderr: how much went and the error
 *   fifo PATH     a writer's 1 MiB write(2) to a host FIFO whose reader
 *                 starts late and reads 4 KiB at a time
 *   fifo_writer_first PATH, fifo_reader_first PATH
 *                 opening a FIFO waits for the other end (the other side
 *                 opens 0.3 s later), then 1 MiB goes through
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char block[1 << 20];

static void flood(void)
{
    for (;;)
        if (write(1, block, 65536) < 0)
            _exit(3);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    memset(block, 'x', sizeof block);
    if (!strcmp(mode, "flood"))
        flood();
    if (!strcmp(mode, "flood_fork")) {
        pid_t pid = fork();
        if (pid == 0)
            flood();
        /* Compute for 0.5 s while the child fills the pipe and blocks. */
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        volatile unsigned long x = 0;
        do {
            for (unsigned long i = 0; i < 100000; i++)
                x += i;
            clock_gettime(CLOCK_MONOTONIC, &b);
        } while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 500000000L);
        dprintf(2, "the other guest ran\n");
        pause();
        return 0;
    }
    if (!strcmp(mode, "big")) {
        ssize_t n = write(1, block, sizeof block);
        dprintf(2, "wrote %zd\n", n);
        return 0;
    }
    if (!strcmp(mode, "nonblock")) {
        if (fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK) < 0)
            return 4;
        long total = 0;
        for (;;) {
            ssize_t n = write(1, block, 4096);
            if (n < 0) {
                dprintf(2, "%ld bytes, then %s\n", total, errno == EAGAIN ? "EAGAIN" : strerror(errno));
                return 0;
            }
            total += n;
        }
    }
    if (!strcmp(mode, "fifo") && argc > 2) {
        /* A FIFO on the host: the writer's 1 MiB write waits for the slow
         * reader and writes it all, as a blocking write does.  The reader
         * opens first (O_NONBLOCK, so that the open returns at once), then
         * tells the writer, then reads blocking. */
        if (mkfifo(argv[2], 0600) < 0)
            return 5;
        int ready[2];
        if (pipe(ready) < 0)
            return 6;
        pid_t pid = fork();
        if (pid == 0) {
            int fd = open(argv[2], O_RDONLY | O_NONBLOCK);
            if (fd < 0 || fcntl(fd, F_SETFL, 0) < 0 || write(ready[1], "r", 1) != 1)
                _exit(7);
            struct timespec ts = {0, 300 * 1000 * 1000};
            nanosleep(&ts, NULL);
            long got = 0;
            ssize_t n;
            char piece[4096];
            while ((n = read(fd, piece, sizeof piece)) > 0)
                got += n;
            dprintf(2, "reader got %ld\n", got);
            _exit(0);
        }
        char c;
        if (read(ready[0], &c, 1) != 1)
            return 8;
        int fd = open(argv[2], O_WRONLY);
        if (fd < 0)
            dprintf(2, "writer: open: %s\n", strerror(errno));
        ssize_t n = write(fd, block, sizeof block);
        if (n < 0)
            dprintf(2, "writer: %s\n", strerror(errno));
        else
            dprintf(2, "writer wrote %zd\n", n);
        close(fd);
        int st;
        waitpid(pid, &st, 0);
        unlink(argv[2]);
        return 0;
    }
    if ((!strcmp(mode, "fifo_writer_first") || !strcmp(mode, "fifo_reader_first")) && argc > 2) {
        /* Opening a FIFO waits for its other end: the side that comes first
         * waits in open, the other 0.3 s later; then 1 MiB goes through. */
        int writer_first = !strcmp(mode, "fifo_writer_first");
        if (mkfifo(argv[2], 0600) < 0)
            return 5;
        struct timespec late = {0, 300 * 1000 * 1000};
        pid_t pid = fork();
        if (pid == 0) {
            if (writer_first)
                nanosleep(&late, NULL);
            int fd = open(argv[2], O_RDONLY);
            if (fd < 0)
                dprintf(2, "reader: open: %s\n", strerror(errno));
            long got = 0;
            ssize_t n;
            char piece[4096];
            while ((n = read(fd, piece, sizeof piece)) > 0)
                got += n;
            dprintf(2, "reader got %ld\n", got);
            _exit(0);
        }
        if (!writer_first)
            nanosleep(&late, NULL);
        int fd = open(argv[2], O_WRONLY);
        if (fd < 0)
            dprintf(2, "writer: open: %s\n", strerror(errno));
        ssize_t n = write(fd, block, sizeof block);
        if (n < 0)
            dprintf(2, "writer: %s\n", strerror(errno));
        else
            dprintf(2, "writer wrote %zd\n", n);
        close(fd);
        int st;
        waitpid(pid, &st, 0);
        unlink(argv[2]);
        return 0;
    }
    dprintf(2, "unknown mode %s\n", mode);
    return 2;
}
