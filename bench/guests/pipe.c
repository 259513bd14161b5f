/* (f) Pipe throughput: the parent writes MIB MiB in 64 KiB chunks into a
 * pipe; a forked child reads it all (64 KiB reads) and exits.  The time
 * runs from the fork to the child's exit (waitpid), so every byte has
 * crossed the pipe.  The guest's own work per chunk is O(1) (one byte set,
 * one byte checked per chunk, and the total counted), so the figure is the
 * pipe's, not the emulated CPU's.
 *
 * usage: pipe [MIB]
 */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

#define CHUNK 65536

int main(int argc, char **argv) {
    long mib = arg_count(argc, argv, 1, 256);
    long total = mib << 20;
    int fds[2];
    if (pipe(fds) < 0)
        die("pipe");
    static unsigned char buf[CHUNK];
    memset(buf, 0x5a, sizeof buf);

    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(fds[1]);
        long got = 0;
        for (;;) {
            ssize_t n = read(fds[0], buf, CHUNK);
            if (n < 0)
                die("read");
            if (n == 0)
                break;
            /* The first byte of chunk i of the stream is i & 0xff, the
             * rest 0x5a: check each chunk start this read holds, and one
             * byte of filler. */
            for (long b = (got + CHUNK - 1) / CHUNK * CHUNK; b < got + n; b += CHUNK)
                if (buf[b - got] != (unsigned char)(b / CHUNK)) {
                    fprintf(stderr, "chunk %ld out of order\n", b / CHUNK);
                    _exit(1);
                }
            if (n > 1 && (got + n - 1) % CHUNK != 0 && buf[n - 1] != 0x5a) {
                fprintf(stderr, "byte %ld is wrong\n", got + n - 1);
                _exit(1);
            }
            got += n;
        }
        if (got != total) {
            fprintf(stderr, "child read %ld bytes of %ld\n", got, total);
            _exit(1);
        }
        _exit(0);
    }
    close(fds[0]);
    for (long off = 0; off < total; off += CHUNK) {
        buf[0] = (unsigned char)(off / CHUNK);
        for (long done = 0; done < CHUNK;) {
            ssize_t n = write(fds[1], buf + done, CHUNK - done);
            if (n < 0)
                die("write");
            done += n;
        }
    }
    close(fds[1]);
    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid");
    double t1 = now_s();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "reader failed: status %#x\n", status);
        return 1;
    }
    metric("inner", t1 - t0, "s");
    metric("mb_per_s", (double)total / 1e6 / (t1 - t0), "MB/s");
    return 0;
}
