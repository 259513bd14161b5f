/* Process-model figures: fork at several heap sizes, many children of one
 * parent, and ending a large tree.
 *
 * usage: proctree fork MIB [REPEAT]   fork+child _exit+wait with MIB touched
 *        proctree children N MIB      N children of an MIB parent, each
 *                                     writes one page; memory in use, KiB
 *        proctree tree N              a tree of N processes, then its root
 *                                     ends: under Violet the cascade takes
 *                                     the rest; natively the group is killed
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"
#include "violet.h"

static char *heap(long mib) {
    size_t size = (size_t)mib << 20;
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    for (size_t i = 0; i < size; i += 4096)
        p[i] = 1;
    return p;
}

/* Memory in use on the machine (Violet: its frames), from /proc/meminfo. */
static long used_kib(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        die("/proc/meminfo");
    char line[128];
    long total = 0, avail = -1, free_ = 0;
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "MemTotal: %ld", &total);
        sscanf(line, "MemFree: %ld", &free_);
        sscanf(line, "MemAvailable: %ld", &avail);
    }
    fclose(f);
    return total - (avail >= 0 ? avail : free_);
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int fork_bench(long mib, long repeat) {
    char *p = heap(mib);
    double t[64];
    if (repeat > 64) repeat = 64;
    for (long r = 0; r < repeat; r++) {
        double t0 = now_s();
        pid_t pid = fork();
        if (pid == 0)
            _exit(p[0]);
        waitpid(pid, NULL, 0);
        t[r] = now_s() - t0;
    }
    qsort(t, (size_t)repeat, sizeof t[0], cmp);
    metric("fork_wait", t[repeat / 2] * 1e3, "ms");
    return 0;
}

static int children_bench(long n, long mib) {
    char *p = heap(mib);
    int gate[2];
    if (pipe(gate) != 0)
        die("pipe");
    long before = used_kib();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            p[(i % (mib * 256)) * 4096] = 2;   /* one page of its own */
            close(gate[1]);                      /* so the parent's close is our EOF */
            char c;
            read(gate[0], &c, 1);                /* live until released */
            _exit(0);
        }
    }
    usleep(200000);
    long during = used_kib();
    close(gate[1]);
    while (wait(NULL) > 0) {}
    metric("children_kib", (double)(during - before), "KiB");
    return 0;
}

/* Grow a tree of `n` processes below the caller, fanout 10; everyone
 * tells `ready` when in place, then waits for ever. */
static void grow(long n, int ready) {
    long left = n;
    for (int i = 0; i < 10 && left > 0; i++) {
        long share = (left + (10 - i) - 1) / (10 - i);
        left -= share;
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            grow(share - 1, ready);
            write(ready, "r", 1);
            for (;;) pause();
        }
    }
}

static int tree_bench(long n) {
    int ready[2];
    if (pipe(ready) != 0)
        die("pipe");
    pid_t root = fork();
    if (root == 0) {
        setpgid(0, 0);
        grow(n - 1, ready[1]);
        write(ready[1], "r", 1);
        for (;;) pause();
    }
    setpgid(root, root);
    char c;
    for (long i = 0; i < n; i++)
        if (read(ready[0], &c, 1) != 1)
            die("read");
    double t0 = now_s();
    if (violet_present())
        kill(root, SIGKILL);           /* the cascade ends the other n-1 */
    else
        kill(-root, SIGKILL);          /* Linux: kill the whole group */
    waitpid(root, NULL, 0);
    double t1 = now_s();
    metric("end_tree", (t1 - t0) * 1e3, "ms");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: proctree fork|children|tree ...\n"); return 2; }
    if (!strcmp(argv[1], "fork")) return fork_bench(arg_count(argc, argv, 2, 1), arg_count(argc, argv, 3, 9));
    if (!strcmp(argv[1], "children")) return children_bench(arg_count(argc, argv, 2, 1000), arg_count(argc, argv, 3, 64));
    if (!strcmp(argv[1], "tree")) return tree_bench(arg_count(argc, argv, 2, 10000));
    return 2;
}
