/* pm_memstats: copy-on-write as Violet's counters show it
 * (violet_memstats).  After fork, the pages the parent had touched are
 * shared by both processes; the child's first write to one of them copies
 * exactly that page; a second write to it copies nothing.  Prints the
 * figures and "ok memstats", exits 0 when this holds, "FAIL: why" and exit
 * 1 otherwise.  Violet only (it needs the extension call).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "violet.h"
#include "pm_check.h"

enum { PAGES = 64, PG = 4096 };

/* Page-aligned and private: the memory whose sharing is measured. */
static char buf[PAGES * PG] __attribute__((aligned(4096)));
/* The figures live on one page of their own, written before measuring. */
static struct violet_memstats m[4] __attribute__((aligned(4096)));

static void snap(struct violet_memstats *to)
{
    CHECK(violet_memstats(to) == 0, "violet_memstats: %s", strerror(errno));
}

static void show(const char *who, const struct violet_memstats *s)
{
    say("%s: resident %llu shared %llu private %llu cow %llu\n", who, (unsigned long long)s->resident,
        (unsigned long long)s->shared, (unsigned long long)s->private_, (unsigned long long)s->cow_copies);
}

int main(void)
{
    CHECK(violet_present(), "not running under Violet");
    for (int i = 0; i < PAGES; i++)
        buf[i * PG] = 1;
    snap(&m[0]);
    CHECK(m[0].resident >= PAGES, "before fork: %llu resident pages, fewer than the %d touched",
          (unsigned long long)m[0].resident, PAGES);

    int go[2], done[2];
    CHECK(pipe(go) == 0 && pipe(done) == 0, "pipe");
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        char c;
        /* Wait until the parent is parked, so that it writes nothing now. */
        CHECK(read(go[0], &c, 1) == 1, "read");
        snap(&m[0]);  /* copies the page of m[] itself */
        snap(&m[1]);
        buf[10 * PG] = 2;
        snap(&m[2]);
        buf[10 * PG + 1] = 3;
        snap(&m[3]);
        show("child after fork", &m[1]);
        show("child after 1 write", &m[2]);
        show("child after 2 writes", &m[3]);
        CHECK(m[1].shared >= PAGES, "after fork only %llu pages are shared", (unsigned long long)m[1].shared);
        CHECK(m[2].cow_copies == m[1].cow_copies + 1, "one write made %llu copies",
              (unsigned long long)(m[2].cow_copies - m[1].cow_copies));
        CHECK(m[2].resident == m[1].resident, "a COW copy changed the resident count");
        CHECK(m[2].shared == m[1].shared - 1, "one write unshared %lld pages",
              (long long)(m[1].shared - m[2].shared));
        CHECK(m[2].private_ == m[1].private_ + 1, "one write added %lld private pages",
              (long long)(m[2].private_ - m[1].private_));
        CHECK(m[3].cow_copies == m[2].cow_copies && m[3].shared == m[2].shared,
              "a second write to a copied page copied again");
        CHECK(buf[10 * PG] == 2 && buf[10 * PG + 1] == 3 && buf[11 * PG] == 1, "the child's memory is wrong");
        CHECK(write(done[1], "x", 1) == 1, "write");
        _exit(0);
    }

    /* The parent: its own figures after fork, then park until the child is done. */
    struct violet_memstats after;
    snap(&after);
    CHECK(after.shared >= PAGES, "parent: after fork only %llu pages are shared", (unsigned long long)after.shared);
    char c;
    CHECK(write(go[1], "x", 1) == 1, "write");
    CHECK(read(done[0], &c, 1) == 1, "the child failed");
    CHECK(buf[10 * PG] == 1, "the child's write reached the parent");
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);

    /* With the child gone the parent is the last sharer: its write to a
     * page copies nothing. */
    snap(&m[0]);
    snap(&m[1]);
    buf[20 * PG] = 4;
    snap(&m[2]);
    show("parent alone", &m[2]);
    CHECK(m[2].cow_copies == m[1].cow_copies, "the last sharer's write made a copy");
    CHECK(m[2].shared == 0, "%llu pages still shared with nobody", (unsigned long long)m[2].shared);
    say("ok memstats\n");
    return 0;
}
