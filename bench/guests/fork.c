/* (c) Fork of a process with a large touched heap.
 *
 * The parent maps MIB MiB of anonymous memory and writes every page.  Then:
 *   fork_wait: fork, the child _exits at once, the parent waits; the
 *     median over REPS forks is reported.
 *   cow_write: fork a child that stays alive (blocked reading a pipe), and
 *     time the parent writing one byte to every page, so that each write
 *     copies a page that is still shared; reported per page.
 *
 * usage: fork [MIB] [REPS]
 */
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void reap(pid_t pid) {
    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child failed: status %#x\n", status);
        exit(1);
    }
}

int main(int argc, char **argv) {
    long mib = arg_count(argc, argv, 1, 256);
    long reps = arg_count(argc, argv, 2, 5);
    size_t size = (size_t)mib << 20, page = 4096, pages = size / page;

    char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        die("mmap");
    double t0 = now_s();
    for (size_t i = 0; i < pages; i++)
        mem[i * page] = 1;
    double t1 = now_s();
    metric("touch_per_page", (t1 - t0) / pages * 1e6, "us");

    /* Fork and wait for a child that exits at once. */
    double *lat = malloc(sizeof(double) * reps);
    for (long r = 0; r < reps; r++) {
        double a = now_s();
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0)
            _exit(0);
        reap(pid);
        lat[r] = now_s() - a;
    }
    qsort(lat, reps, sizeof(double), cmp_double);
    metric("fork_wait", lat[reps / 2] * 1e3, "ms");

    /* Copy-on-write: the child keeps every page shared while we write. */
    int fds[2];
    if (pipe(fds) < 0)
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        char c;
        close(fds[1]);
        _exit(read(fds[0], &c, 1) == 0 && mem[0] == 1 ? 0 : 1);
    }
    close(fds[0]);
    double c0 = now_s();
    for (size_t i = 0; i < pages; i++)
        mem[i * page] = 2;
    double c1 = now_s();
    close(fds[1]);
    reap(pid);
    metric("cow_write_per_page", (c1 - c0) / pages * 1e6, "us");
    metric("inner", (c1 - t0), "s");
    return 0;
}
