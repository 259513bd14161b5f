/* proc_smaps: /proc/self/smaps_rollup, smaps and statm follow the pages a
 * process touches, and fork's sharing.
 *
 * A 4 MiB anonymous mapping (1024 pages) is touched page by page; the
 * figures must grow by about 4096 kB (Rss, Private_Dirty, Anonymous).  A
 * forked child then sees those pages as Shared_Dirty with a Pss of about
 * half of them, until it writes every page: then they are its own
 * (Private_Dirty), and once it has gone the parent's are private again.
 * With a FILE argument: a shared mapping of a 16-page file instead, whose
 * pages are clean until written (the file is synced first), and shared
 * with a child once it has read them.
 * Each line is the same natively and under Violet.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 1024
#define KB (PAGES * 4)
#define SLACK 512 /* kB the libc, the stack and the page tables may move meanwhile */

struct figures {
    long rss, pss, shared_clean, shared_dirty, private_clean, private_dirty, anonymous, swap;
    int lines;
};

static char buf[16384];

static long field(const char *text, const char *name) {
    const char *at = strstr(text, name);
    return at ? atol(at + strlen(name)) : -1;
}

static struct figures rollup(void) {
    struct figures f;
    int fd = open("/proc/self/smaps_rollup", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
    f.rss = field(buf, "\nRss:");
    f.pss = field(buf, "\nPss:");
    f.shared_clean = field(buf, "\nShared_Clean:");
    f.shared_dirty = field(buf, "\nShared_Dirty:");
    f.private_clean = field(buf, "\nPrivate_Clean:");
    f.private_dirty = field(buf, "\nPrivate_Dirty:");
    f.anonymous = field(buf, "\nAnonymous:");
    f.swap = field(buf, "\nSwap:");
    f.lines = 0;
    for (char *p = buf; (p = strstr(p, " kB\n")); p++)
        f.lines++;
    return f;
}

static int near(long got, long want) { return got >= want - SLACK && got <= want + SLACK; }

static long statm_resident(void) {
    char b[256] = {0};
    int fd = open("/proc/self/statm", O_RDONLY);
    if (fd < 0 || read(fd, b, sizeof b - 1) <= 0)
        return -1;
    close(fd);
    long size, res;
    return sscanf(b, "%ld %ld", &size, &res) == 2 ? res : -1;
}

/* Field `name` (as "\nRss:") of the smaps entry for the mapping at `addr`. */
static long smaps_field(void *addr, const char *name) {
    static char big[1 << 18];
    int fd = open("/proc/self/smaps", O_RDONLY);
    ssize_t total = 0, n;
    while (fd >= 0 && (n = read(fd, big + total, sizeof big - 1 - total)) > 0)
        total += n;
    if (fd >= 0)
        close(fd);
    big[total] = 0;
    char head[32];
    snprintf(head, sizeof head, "%lx-", (unsigned long)addr);
    char *at = strstr(big, head);
    if (!at)
        return -1;
    char *next = strstr(at, "\nVmFlags:"); /* the entry's last line: look no further */
    char *found = strstr(at, name);
    return found && (!next || found < next) ? atol(found + strlen(name)) : -1;
}

static long smaps_rss(void *addr) { return smaps_field(addr, "\nRss:"); }

/* A shared mapping of a 16-page file: clean pages until one is written. */
static void file_mapping(const char *path) {
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    static char page[4096];
    memset(page, 'f', sizeof page);
    for (int i = 0; i < 16; i++)
        if (write(fd, page, sizeof page) != sizeof page)
            _exit(6);
    fsync(fd);
    char *m = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        _exit(7);
    volatile char sum = 0;
    for (int i = 0; i < 16; i++)
        sum += m[i * 4096];
    printf("file mapping read: Rss %ld, Private_Clean %ld, Private_Dirty %ld, Anonymous %ld\n", smaps_rss(m),
           smaps_field(m, "\nPrivate_Clean:"), smaps_field(m, "\nPrivate_Dirty:"), smaps_field(m, "\nAnonymous:"));
    m[4096] = 'g';
    printf("one page written: Private_Clean %ld, Private_Dirty %ld\n", smaps_field(m, "\nPrivate_Clean:"),
           smaps_field(m, "\nPrivate_Dirty:"));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        for (int i = 0; i < 16; i++)
            sum += m[i * 4096];
        printf("child that read it all: Shared_Clean %ld, Shared_Dirty %ld, Pss %ld\n",
               smaps_field(m, "\nShared_Clean:"), smaps_field(m, "\nShared_Dirty:"), smaps_field(m, "\nPss:"));
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    munmap(m, 16 * 4096);
    close(fd);
}

int main(int argc, char **argv) {
    if (argc == 2) {
        file_mapping(argv[1]);
        return 0;
    }
    char *mem = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return 2;
    madvise(mem, PAGES * 4096, MADV_NOHUGEPAGE);
    struct figures a = rollup();
    long res0 = statm_resident();
    printf("rollup parses: %d (Swap %s)\n", a.rss > 0 && a.pss > 0 && a.private_dirty >= 0 && a.lines >= 10,
           a.swap >= 0 ? "present" : "missing");
    printf("untouched mapping: smaps Rss 0: %d\n", smaps_rss(mem) == 0);
    for (int i = 0; i < PAGES; i++)
        mem[i * 4096] = 1;
    struct figures b = rollup();
    printf("touched: Rss +%d, Private_Dirty +%d, Anonymous +%d, Pss +%d\n", near(b.rss - a.rss, KB),
           near(b.private_dirty - a.private_dirty, KB), near(b.anonymous - a.anonymous, KB), near(b.pss - a.pss, KB));
    printf("touched: smaps Rss %d, statm +%d\n", smaps_rss(mem) == KB, near((statm_resident() - res0) * 4, KB));

    int go[2], ready[2];
    char token;
    if (pipe(go) || pipe(ready))
        return 3;
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        struct figures s = rollup();
        printf("child after fork: Shared_Dirty >= %d, Pss below Rss by half %d\n", s.shared_dirty >= KB - SLACK,
               s.rss - s.pss >= KB / 2 - SLACK);
        fflush(stdout);
        if (write(ready[1], "r", 1) != 1 || read(go[0], &token, 1) != 1)
            _exit(4);
        for (int i = 0; i < PAGES; i++)
            mem[i * 4096] = 2;
        struct figures w = rollup();
        printf("child after writing: Private_Dirty +%d, Shared_Dirty -%d\n",
               near(w.private_dirty - s.private_dirty, KB), near(s.shared_dirty - w.shared_dirty, KB));
        fflush(stdout);
        _exit(0);
    }
    if (read(ready[0], &token, 1) != 1)
        return 4;
    struct figures q = rollup();
    printf("parent while shared: Shared_Dirty >= %d\n", q.shared_dirty >= KB - SLACK);
    fflush(stdout);
    if (write(go[1], "g", 1) != 1)
        return 5;
    int st;
    waitpid(c, &st, 0);
    struct figures p = rollup();
    printf("parent after the child: private again %d\n", near(p.private_dirty, b.private_dirty));
    return 0;
}
