/* hard_membudget.c: ways around --mem-budget.
 *
 *   shared N       map N MiB of anonymous MAP_SHARED memory and write every
 *                  page; print how much went
 *   shared_many N  the same, N MiB at a time, until a mapping fails (64 at most)
 *   fork_drop N    map N MiB, write it, fork; the parent unmaps its copy,
 *                  then the child unmaps its own (the frames' last holder),
 *                  then the child maps and writes N*2 MiB; print how much
 *                  the child got
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pm_check.h"

static long touch(char *p, size_t len)
{
    long pages = 0;
    for (size_t off = 0; off < len; off += 4096, pages++)
        p[off] = 1;
    return pages;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    size_t mib = argc > 2 ? (size_t)atol(argv[2]) : 16;
    size_t len = mib << 20;
    if (!strcmp(mode, "shared")) {
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            say("mmap: %s\n", errno == ENOMEM ? "ENOMEM" : strerror(errno));
            return 0;
        }
        say("wrote %ld MiB\n", touch(p, len) / 256);
        return 0;
    }
    if (!strcmp(mode, "shared_many")) {
        /* N MiB at a time, written, until a mapping fails (at most 64 of them) */
        long total = 0;
        for (int i = 0; i < 64; i++) {
            char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) {
                say("wrote %ld MiB, then mmap: %s\n", total / 256, errno == ENOMEM ? "ENOMEM" : strerror(errno));
                return 0;
            }
            total += touch(p, len);
        }
        say("wrote %ld MiB\n", total / 256);
        return 0;
    }
    if (!strcmp(mode, "fork_drop")) {
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
        touch(p, len);
        int go[2], done[2];
        CHECK(pipe(go) == 0 && pipe(done) == 0, "pipe");
        pid_t pid = fork();
        CHECK(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0) {
            get(go[0]);
            CHECK(munmap(p, len) == 0, "child munmap");
            size_t big = 2 * len;
            char *q = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (q == MAP_FAILED) {
                say("child: mmap of %zu MiB: %s\n", 2 * mib, errno == ENOMEM ? "ENOMEM" : strerror(errno));
                _exit(0);
            }
            say("child: wrote %ld MiB\n", touch(q, big) / 256);
            _exit(0);
        }
        CHECK(munmap(p, len) == 0, "parent munmap");
        put(go[1], 1);
        int st;
        CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
        say("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        return 0;
    }
    say("unknown mode %s\n", mode);
    return 2;
}
