/* Budgets, exhaustion and the host side.
 *
 *   limits fds            open /dev/null under RLIMIT_NOFILE 64 until it fails
 *   limits threads N      create up to N threads that wait; report how many
 *   limits mmap-budget    4 MiB mappings, touched, until mmap fails
 *   limits touch MB       map MB MiB in 4 MiB pieces, then touch every page
 *   limits spin           print "ready", fork a spinning child, spin for ever
 *   limits spin-alone     print "ready", spin for ever (one thread, no syscalls)
 *   limits lines N        print N numbered lines
 *   limits huge-ranges    map 1 TiB, madvise, mremap and unmap it whole
 *   limits lseek-whence   lseek with a whence no host call takes
 *   limits rlimit         RLIMIT_NOFILE kept as set; a /proc file can be seeked
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int release;

static void *waiter(void *arg) {
    pthread_mutex_lock(&lock);
    while (!release) pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return arg;
}

static int fds(void) {
    struct rlimit rl = {64, 64};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) { perror("setrlimit"); return 1; }
    int n = 0;
    for (;;) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) { printf("opened %d, then %s\n", n, errno == EMFILE ? "EMFILE" : strerror(errno)); return 0; }
        n++;
    }
}

static int threads(int want) {
    pthread_t th[256];
    int made = 0, err = 0;
    for (; made < want && made < 256; made++) {
        err = pthread_create(&th[made], NULL, waiter, NULL);
        if (err) break;
    }
    printf("created %d threads%s%s\n", made, err ? ", then " : "", err == EAGAIN ? "EAGAIN" : err ? strerror(err) : "");
    pthread_mutex_lock(&lock);
    release = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < made; i++) pthread_join(th[i], NULL);
    return 0;
}

static int mmap_budget(void) {
    for (int i = 0;; i++) {
        char *p = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { printf("mapped %d x 4 MiB, then %s\n", i, errno == ENOMEM ? "ENOMEM" : strerror(errno)); return 0; }
        memset(p, 1, 4 << 20);
    }
}

static int touch(long mb) {
    /* In 4 MiB pieces, all mapped before any is touched. */
    enum { PIECE = 4 << 20 };
    volatile char *pieces[256];
    long n = mb / 4;
    for (long i = 0; i < n && i < 256; i++) {
        pieces[i] = mmap(NULL, PIECE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (pieces[i] == MAP_FAILED) { printf("mmap %s\n", strerror(errno)); return 1; }
    }
    printf("mapped %ld MiB\n", mb);
    fflush(stdout);
    for (long i = 0; i < n && i < 256; i++)
        for (size_t off = 0; off < PIECE; off += 4096) pieces[i][off] = 1;
    printf("touched %ld MiB\n", mb);
    return 0;
}

static int spin(void) {
    printf("ready\n");
    fflush(stdout);
    if (fork() == 0)
        for (volatile unsigned long i = 0;; i++) {}
    for (volatile unsigned long i = 0;; i++) {}
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "fds")) return fds();
    if (!strcmp(argv[1], "threads")) return threads(argc > 2 ? atoi(argv[2]) : 8);
    if (!strcmp(argv[1], "mmap-budget")) return mmap_budget();
    if (!strcmp(argv[1], "touch")) return touch(argc > 2 ? atol(argv[2]) : 16);
    if (!strcmp(argv[1], "spin")) return spin();
    if (!strcmp(argv[1], "spin-alone")) {
        printf("ready\n");
        fflush(stdout);
        for (volatile unsigned long i = 0;; i++) {}
    }
    if (!strcmp(argv[1], "huge-ranges")) {
        size_t tib = (size_t)1 << 40;
        char *p = mmap(NULL, tib, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) { printf("mmap %s\n", strerror(errno)); return 1; }
        p[0] = p[tib - 1] = 1;
        madvise(p, tib, MADV_DONTNEED);
        char *q = mremap(p, tib, tib + 4096, MREMAP_MAYMOVE);
        if (q == MAP_FAILED) { printf("mremap %s\n", strerror(errno)); return 1; }
        printf("moved, first byte %d\n", q[0]);
        munmap(q, tib + 4096);
        return 0;
    }
    if (!strcmp(argv[1], "lseek-whence")) {
        int fd = open(argv[0], O_RDONLY);
        long r = syscall(SYS_lseek, fd, 0L, 0x80000000L);
        printf("lseek file: %ld %s\n", r, r < 0 && errno == EINVAL ? "EINVAL" : strerror(errno));
        r = syscall(SYS_lseek, 1, 0L, 0x80000000L);  /* stdout: a pipe; the whence is checked first */
        printf("lseek stdout: %ld %s\n", r, r < 0 && errno == EINVAL ? "EINVAL" : strerror(errno));
        return 0;
    }
    if (!strcmp(argv[1], "rlimit")) {
        struct rlimit set = {100, 200}, got;
        setrlimit(RLIMIT_NOFILE, &set);
        getrlimit(RLIMIT_NOFILE, &got);
        int fd = open("/proc/self/cmdline", O_RDONLY);
        char c;
        long before = lseek(fd, 0, SEEK_CUR);
        read(fd, &c, 1);
        printf("nofile %ld/%ld, /proc offset %ld then %ld\n", (long)got.rlim_cur, (long)got.rlim_max, before,
               (long)lseek(fd, 0, SEEK_CUR));
        return 0;
    }
    if (!strcmp(argv[1], "lines")) {
        long n = argc > 2 ? atol(argv[2]) : 10;
        for (long i = 0; i < n; i++) printf("line %ld\n", i);
        return 0;
    }
    return 2;
}
