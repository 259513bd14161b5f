/* (f) Pipe throughput: the parent writes MIB MiB in 64 KiB chunks into a
 * pipe; a forked child reads it all (64 KiB reads), checks every byte
 * and exits.  The time runs from the first write to the child's exit
 * (waitpid), so every byte has crossed the pipe.
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

    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(fds[1]);
        long got = 0;
        unsigned char want = 0;
        for (;;) {
            ssize_t n = read(fds[0], buf, CHUNK);
            if (n < 0)
                die("read");
            if (n == 0)
                break;
            /* The parent writes byte i of the stream as (i / CHUNK) & 0xff. */
            for (ssize_t i = 0; i < n; i++) {
                want = (unsigned char)((got + i) / CHUNK);
                if (buf[i] != want) {
                    fprintf(stderr, "byte %ld is %u, not %u\n", got + i, buf[i], want);
                    _exit(1);
                }
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
        memset(buf, (int)((off / CHUNK) & 0xff), CHUNK);
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
