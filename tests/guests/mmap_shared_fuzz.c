/* mmap_shared_fuzz SEED OPS DIR: random operations on one file that is
 * mapped shared several times (mmap, munmap of part of a mapping, mprotect,
 * stores and loads through the mappings, pwrite, pread, ftruncate, msync,
 * fork with a child doing the same), each result printed: the output must
 * be the same natively and under Violet.  The file's size stays a multiple
 * of the page size (what is stored past the end inside the last page is
 * left unspecified by POSIX), so every access is either inside the file or
 * a whole page past its end (SIGBUS). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
#define SLOTS 4
#define MAXPAGES 10

static unsigned long long rng;
static unsigned rnd(unsigned n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((rng >> 33) % n);
}

static void say(const char *fmt, ...) {
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    write(1, line, n);
}

/* Each slot maps (MAP_FIXED) inside its own 8 pages of a reserved area, so
 * that where the mappings land is the same natively and under Violet, and a
 * hole left by munmap stays a hole. */
struct slot { char *addr; int pages; int off; };
static struct slot slots[SLOTS];
static char *area;
static int fd;
static size_t size;  /* what this process believes; printed, compared */

static sigjmp_buf jb;
static volatile int sig;
static void on_sig(int s) { sig = s; siglongjmp(jb, 1); }

static int access_at(volatile char *p, int store, int value, int *got) {
    sig = 0;
    if (sigsetjmp(jb, 1) == 0) {
        if (store) *p = (char)value;
        else *got = (unsigned char)*p;
        return 0;
    }
    return sig;
}

static void op(int who, int i) {
    struct slot *s = &slots[rnd(SLOTS)];
    int k = rnd(10);
    if (k == 0) {  /* map (again) */
        char *base = area + (s - slots) * 8 * PG;
        s->pages = 1 + rnd(6);
        s->off = rnd(5);
        int prot = rnd(3) ? PROT_READ | PROT_WRITE : PROT_READ;
        void *p = mmap(base, s->pages * PG, prot, MAP_SHARED | MAP_FIXED, fd, (off_t)s->off * PG);
        s->addr = p == MAP_FAILED ? NULL : p;
        say("%d %d mmap %d pages at page %d prot %d: %s\n", who, i, s->pages, s->off, prot, s->addr ? "ok" : strerror(errno));
    } else if (k == 1 && s->addr) {  /* unmap part: the kept pages stay at their addresses */
        int a = rnd(s->pages), n = 1 + rnd(s->pages - a);
        int r = munmap(s->addr + a * PG, n * PG);
        say("%d %d munmap %d+%d: %d\n", who, i, a, n, r);
    } else if ((k == 2 || k == 3) && s->addr) {  /* store or load */
        int pg = rnd(s->pages), at = rnd(PG), v = 1 + rnd(255), got = -1;
        int r = access_at(s->addr + pg * PG + at, k == 2, v, &got);
        say("%d %d %s page %d+%d (file page %d): %s %d\n", who, i, k == 2 ? "store" : "load", pg, at, s->off + pg,
            r == SIGBUS ? "SIGBUS" : r == SIGSEGV ? "SIGSEGV" : "ok", k == 2 ? v : got);
    } else if (k == 4 && size) {  /* pwrite inside the file */
        char buf[3 * PG];
        size_t off = rnd(size), n = 1 + rnd(sizeof buf);
        if (off + n > size) n = size - off;
        for (size_t j = 0; j < n; j++) buf[j] = (char)(1 + rnd(255));
        say("%d %d pwrite %zu+%zu: %zd\n", who, i, off, n, pwrite(fd, buf, n, off));
    } else if (k == 5) {  /* pread and a checksum */
        char buf[3 * PG];
        size_t off = rnd(MAXPAGES * PG), n = 1 + rnd(sizeof buf);
        ssize_t got = pread(fd, buf, n, off);
        unsigned sum = 0;
        for (ssize_t j = 0; j < got; j++) sum = sum * 31 + (unsigned char)buf[j];
        say("%d %d pread %zu+%zu: %zd sum %u\n", who, i, off, n, got, sum);
    } else if (k == 6) {  /* ftruncate to whole pages */
        size = (size_t)rnd(MAXPAGES + 1) * PG;
        say("%d %d ftruncate %zu: %d\n", who, i, size, ftruncate(fd, size));
    } else if (k == 7 && s->addr) {
        say("%d %d msync: %d\n", who, i, msync(s->addr, PG, MS_SYNC));
    } else if (k == 8 && s->addr) {
        int prot = rnd(2) ? PROT_READ | PROT_WRITE : PROT_READ;
        int pg = rnd(s->pages);
        say("%d %d mprotect page %d to %d: %d\n", who, i, pg, prot, mprotect(s->addr + pg * PG, PG, prot));
    }
}

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    rng = strtoull(argv[1], NULL, 0);
    int ops = atoi(argv[2]);
    char path[4096];
    snprintf(path, sizeof path, "%s/fuzzed", argv[3]);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 3;
    size = 3 * PG;
    ftruncate(fd, size);
    area = mmap(NULL, SLOTS * 8 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) return 4;
    signal(SIGBUS, on_sig);
    signal(SIGSEGV, on_sig);
    for (int i = 0; i < ops; i++) {
        if (rnd(40) == 0) {  /* a child does a few operations with the mappings it inherited */
            unsigned long long keep = rng;
            pid_t pid = fork();
            if (pid == 0) {
                rng ^= 0x5DEECE66DULL;
                for (int j = 0; j < 8; j++) op(1, j);
                _exit(0);
            }
            int status;
            waitpid(pid, &status, 0);
            rng = keep + 1;
            size = (size_t)lseek(fd, 0, SEEK_END);
            say("0 %d child exited %d, size %zu\n", i, WIFEXITED(status) ? WEXITSTATUS(status) : -1, size);
            continue;
        }
        op(0, i);
    }
    munmap(area, SLOTS * 8 * PG);
    close(fd);
    /* What is on the disk after the last mapping went. */
    fd = open(path, O_RDONLY);
    char buf[PG];
    unsigned sum = 0;
    ssize_t n, total = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t j = 0; j < n; j++) sum = sum * 31 + (unsigned char)buf[j];
        total += n;
    }
    say("final: %zd bytes, sum %u\n", total, sum);
    close(fd);
    unlink(path);
    return 0;
}
