/* RLIMIT_AS bounds the address space: mmap, brk and mremap that would
 * pass it fail with ENOMEM, and malloc returns NULL instead of the
 * program running out of memory later.  The limit is inherited by fork.
 * Prints one line per check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)

static const char *err(void *p) { return p == MAP_FAILED ? strerror(errno) : "ok"; }

int main(void) {
    struct rlimit rl = {256 * MIB, RLIM_INFINITY};
    if (setrlimit(RLIMIT_AS, &rl) != 0) { perror("setrlimit"); return 1; }
    getrlimit(RLIMIT_AS, &rl);
    printf("limit %lu MiB\n", (unsigned long)(rl.rlim_cur / MIB));

    void *big = mmap(NULL, 512 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap 512 MiB: %s\n", err(big));
    void *none = mmap(NULL, 512 * MIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    printf("mmap 512 MiB PROT_NONE: %s\n", err(none));
    void *mid = mmap(NULL, 64 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap 64 MiB: %s\n", err(mid));
    /* Replacing mapped pages with MAP_FIXED does not count them twice. */
    void *over = mmap(mid, 64 * MIB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("mmap 64 MiB over itself: %s\n", err(over));
    void *grown = mremap(mid, 64 * MIB, 400 * MIB, MREMAP_MAYMOVE);
    printf("mremap to 400 MiB: %s\n", err(grown));
    void *bit = mremap(mid, 64 * MIB, 96 * MIB, MREMAP_MAYMOVE);
    printf("mremap to 96 MiB: %s\n", err(bit));
    munmap(bit == MAP_FAILED ? mid : bit, bit == MAP_FAILED ? 64 * MIB : 96 * MIB);

    errno = 0;
    void *brk0 = sbrk(0);
    void *b = sbrk(300 * MIB);
    printf("sbrk 300 MiB: %s, break %s\n", b == (void *)-1 ? strerror(errno) : "ok",
           sbrk(0) == brk0 ? "unchanged" : "moved");

    /* malloc stops with NULL somewhere below the limit. */
    static void *volatile blocks[1024];
    size_t got = 0;
    while (got < 1024 && (blocks[got] = malloc(MIB - 64)) != NULL) got++;
    printf("malloc 1 MiB blocks: stopped %s\n", got > 150 && got < 256 ? "between 150 and 256 MiB" : "elsewhere");

    while (got > 0) free(blocks[--got]);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit child;
        getrlimit(RLIMIT_AS, &child);
        void *c = mmap(NULL, 512 * MIB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("child: limit %lu MiB, mmap 512 MiB: %s\n", (unsigned long)(child.rlim_cur / MIB), err(c));
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);

    rl.rlim_cur = RLIM_INFINITY;
    setrlimit(RLIMIT_AS, &rl);
    void *after = mmap(NULL, 512 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("unlimited again, mmap 512 MiB: %s\n", err(after));
    return 0;
}
