/* A seeded syscall fuzzer, run only under Violet.
 *
 *   fuzz_syscalls SEED CALLS [PER_CHILD]
 *
 * The parent forks children, each of which makes PER_CHILD (default 100)
 * random system calls from three threads at once: random numbers (Linux's and Violet's ranges, and
 * beyond), arguments drawn from pointers into unmapped, read-only,
 * PROT_NONE and kernel-looking addresses, huge and negative lengths, bad
 * descriptors and random flag words.  A child that dies (of a signal the
 * calls provoked) or hangs (killed after a deadline) is simply counted.
 * The parent prints one summary line.  Calls that would only end or
 * multiply the fuzzer itself (fork, clone, execve, exit, rt_sigreturn)
 * are left out.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "violet.h"

static uint64_t state;

static uint64_t next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static const char rodata[] = "/nonexistent/fuzz/path";
static char data_buf[8192];
static char *none_page;   /* PROT_NONE */
static char *ro_page;     /* PROT_READ */

static uint64_t pointer(void) {
    switch (next() % 12) {
    case 0: return 0;
    case 1: return 1;
    case 2: return (uint64_t)data_buf + next() % sizeof data_buf;
    case 3: return (uint64_t)rodata;
    case 4: return (uint64_t)&pointer;           /* code */
    case 5: return 0x10000000ull + (next() % 4096);  /* unmapped */
    case 6: return 0xffffffff81000000ull;        /* kernel-looking */
    case 7: return 0x0000800000000000ull;        /* non-canonical */
    case 8: return (uint64_t)-1;
    case 9: return (uint64_t)none_page;
    case 10: return (uint64_t)ro_page + next() % 4096;
    default: return (uint64_t)data_buf + sizeof data_buf - 1;   /* at an edge */
    }
}

static uint64_t length(void) {
    static const uint64_t lens[] = {0, 1, 8, 16, 4096, 65536, 1u << 20, 1ull << 31, (uint64_t)-1, (uint64_t)-4096, 1ull << 40};
    return lens[next() % (sizeof lens / sizeof lens[0])];
}

static uint64_t descriptor(void) {
    static const uint64_t fds[] = {(uint64_t)-1, 0, 1, 2, 3, 4, 5, 100, 1023, 1024, 1u << 31, (uint64_t)-100};
    return fds[next() % (sizeof fds / sizeof fds[0])];
}

static uint64_t argument(void) {
    switch (next() % 5) {
    case 0: return pointer();
    case 1: return length();
    case 2: return descriptor();
    case 3: return next() & 0xffff;   /* small flags */
    default: return next();           /* anything */
    }
}

static long number(void) {
    switch (next() % 8) {
    case 0: return VIOLET_BASE + (long)(next() % 8);
    case 1: return (long)(next() % 100000);
    case 2: return -(long)(next() % 10);
    default: return (long)(next() % 460);
    }
}

static int excluded(long nr) {
    switch (nr) {
    case SYS_fork: case SYS_vfork: case SYS_clone: case SYS_clone3:
    case SYS_execve: case SYS_execveat:
    case SYS_rt_sigreturn: case SYS_exit: case SYS_exit_group:
        return 1;
    }
    return nr == VIOLET_SYS_LAUNCH;
}

struct batch { uint64_t seed; int calls; };

static void fuzz(uint64_t seed, int calls) {
    uint64_t local = seed | 1;
    for (int i = 0; i < calls; i++) {
        /* Each thread draws from the shared generator; the races between
         * them are part of the point. */
        state ^= local;
        local = next();
        long nr = number();
        if (excluded(nr)) continue;
        uint64_t a[6];
        for (int j = 0; j < 6; j++) a[j] = argument();
        syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    }
}

static void *fuzz_thread(void *arg) {
    struct batch *b = arg;
    fuzz(b->seed, b->calls);
    return NULL;
}

/* Two threads and the child's main thread make the calls together. */
static void child(int calls) {
    /* Read-only: the campaigns run without fs.write; writes to 1 and 2 then fail. */
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0); dup2(null, 1); dup2(null, 2);
    setpgid(0, 0);
    violet_drop(VIOLET_RIGHT_SIGNAL);
    static struct batch batches[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        batches[i].seed = next();
        batches[i].calls = calls / 3;
        pthread_create(&th[i], NULL, fuzz_thread, &batches[i]);
    }
    fuzz(next(), calls - 2 * (calls / 3));
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    _exit(0);
}

static void nap_ms(long ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: fuzz_syscalls SEED CALLS [PER_CHILD]\n"); return 2; }
    state = strtoull(argv[1], NULL, 10) * 2654435761u + 1;
    long total = atol(argv[2]);
    int per = argc > 3 ? atoi(argv[3]) : 100;
    none_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long done = 0, children = 0, died = 0, hung = 0;
    while (done < total) {
        next();
        pid_t pid = fork();
        if (pid < 0) { fprintf(stderr, "fork failed\n"); return 3; }
        if (pid == 0) child(per);
        children++;
        int status = 0, waited = 0;
        for (int ms = 0; ms < 200; ms++) {
            if (waitpid(pid, &status, WNOHANG) == pid) { waited = 1; break; }
            nap_ms(1);
        }
        if (!waited) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            hung++;
        } else if (!WIFEXITED(status)) {
            died++;
        }
        done += per;
    }
    printf("fuzz: %ld calls in %ld children, %ld died of a signal, %ld hung and were killed\n", done, children, died, hung);
    return 0;
}
