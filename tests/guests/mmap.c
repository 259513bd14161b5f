/* mmap: anonymous mappings, munmap of part of one, mprotect, and faults.
 *
 *   mmap            the checks below, printing one line each; status 0
 *   mmap hole       read from the page munmap removed: dies of SIGSEGV
 *   mmap protnone   read from a PROT_NONE page: dies of SIGSEGV
 *   mmap readonly   write to a PROT_READ page: dies of SIGSEGV
 *
 * Before a fatal access the program prints "fault at 0x..." (and flushes)
 * so a test can match the address in a crash report.
 */
#include <setjmp.h>
#include <signal.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096u
#define NPAGES 8

static sigjmp_buf env;
static void *volatile fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc) {
    (void)sig, (void)uc;
    fault_addr = si->si_addr;
    siglongjmp(env, 1);
}

/* Whether reading *p faults, and (through fault_addr) where. */
static int faults(volatile unsigned char *p) {
    fault_addr = 0;
    if (sigsetjmp(env, 1) == 0) {
        (void)*p;
        return 0;
    }
    return 1;
}

static int writes_fault(volatile unsigned char *p) {
    fault_addr = 0;
    if (sigsetjmp(env, 1) == 0) {
        *p = 1;
        return 0;
    }
    return 1;
}

static const char *ok(int c) { return c ? "ok" : "BAD"; }

static unsigned char *map_pattern(void) {
    unsigned char *m = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) { perror("mmap"); _exit(2); }
    for (unsigned i = 0; i < NPAGES * PAGE; i++) m[i] = (unsigned char)(i / PAGE + 1);
    return m;
}

static void fatal(volatile unsigned char *p, int write) {
    printf("fault at %p\n", (void *)p);
    fflush(stdout);
    if (write) *p = 1; else (void)*p;
    printf("survived the access\n");
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    unsigned char *m = map_pattern();

    if (!strcmp(mode, "hole")) {
        munmap(m + 3 * PAGE, 2 * PAGE);
        fatal(m + 4 * PAGE + 8, 0);
        return 1;
    }
    if (!strcmp(mode, "protnone")) {
        mprotect(m + 2 * PAGE, PAGE, PROT_NONE);
        fatal(m + 2 * PAGE + 16, 0);
        return 1;
    }
    if (!strcmp(mode, "readonly")) {
        mprotect(m, NPAGES * PAGE, PROT_READ);
        fatal(m + 5 * PAGE + 24, 1);
        return 1;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);

    /* Fresh anonymous memory is zero. */
    unsigned char *z = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int nonzero = 0;
    for (unsigned i = 0; i < 3 * PAGE; i++) nonzero += z[i] != 0;
    printf("fresh mapping is zero: %s\n", ok(nonzero == 0));
    munmap(z, 3 * PAGE);

    /* munmap of two pages in the middle: the hole faults, the rest reads. */
    printf("munmap middle: %s\n", ok(munmap(m + 3 * PAGE, 2 * PAGE) == 0));
    int bad = 0;
    for (unsigned i = 0; i < NPAGES * PAGE; i++) {
        if (i / PAGE == 3 || i / PAGE == 4) continue;
        bad += m[i] != (unsigned char)(i / PAGE + 1);
    }
    printf("rest still readable, contents kept: %s\n", ok(bad == 0));
    printf("first hole page faults: %s\n", ok(faults(m + 3 * PAGE) && fault_addr == m + 3 * PAGE));
    printf("last hole page faults: %s\n", ok(faults(m + 5 * PAGE - 1) && fault_addr == m + 5 * PAGE - 1));
    printf("page after the hole reads: %s\n", ok(!faults(m + 5 * PAGE)));
    printf("munmap of the hole again: %s\n", ok(munmap(m + 3 * PAGE, 2 * PAGE) == 0));

    /* MAP_FIXED into the hole gives zero pages there again. */
    void *again = mmap(m + 3 * PAGE, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("MAP_FIXED refills the hole: %s\n", ok(again == m + 3 * PAGE && m[3 * PAGE] == 0 && m[5 * PAGE - 1] == 0));

    /* mprotect: read-only pages read, writes fault; restoring write works. */
    printf("mprotect read-only: %s\n", ok(mprotect(m, 2 * PAGE, PROT_READ) == 0));
    printf("read-only page reads: %s\n", ok(!faults(m + PAGE) && m[PAGE] == 2));
    printf("read-only page write faults: %s\n", ok(writes_fault(m + 100) && fault_addr == m + 100));
    printf("neighbour page still writable: %s\n", ok(!writes_fault(m + 2 * PAGE)));
    printf("mprotect read-write: %s\n", ok(mprotect(m, 2 * PAGE, PROT_READ | PROT_WRITE) == 0));
    printf("write after restoring: %s\n", ok(!writes_fault(m + 100) && m[100] == 1 && m[101] == 1));

    /* PROT_NONE: reads fault too. */
    printf("mprotect none: %s\n", ok(mprotect(m + 6 * PAGE, PAGE, PROT_NONE) == 0));
    printf("PROT_NONE read faults: %s\n", ok(faults(m + 6 * PAGE + 5) && fault_addr == m + 6 * PAGE + 5));
    mprotect(m + 6 * PAGE, PAGE, PROT_READ);
    printf("contents survive PROT_NONE: %s\n", ok(m[6 * PAGE + 5] == 7));

    /* Errors: unaligned munmap, zero-length mmap, mprotect of unmapped memory. */
    printf("munmap unaligned is EINVAL: %s\n", ok(munmap(m + 1, PAGE) == -1));
    errno = 0;
    printf("mmap length 0 fails: %s\n", ok(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED));
    munmap(m, NPAGES * PAGE);
    printf("mprotect of unmapped memory fails: %s\n", ok(mprotect(m, PAGE, PROT_READ) == -1));
    printf("whole mapping gone: %s\n", ok(faults(m) && faults(m + 7 * PAGE)));
    return 0;
}
