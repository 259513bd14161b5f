/* pm_shared: anonymous MAP_SHARED memory stays shared across fork: a
 * write by either process is seen by the other, for pages touched before
 * the fork and for pages first touched after it; MAP_PRIVATE memory next
 * to it stays private.  Prints "ok shared" and exits 0 when this holds,
 * "FAIL: why" and exit 1 otherwise.  Runs natively and under Violet.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pm_check.h"

static void signal_peer(int fd)
{
    CHECK(write(fd, "x", 1) == 1, "write to pipe: %s", strerror(errno));
}

static void await_peer(int fd)
{
    char c;
    CHECK(read(fd, &c, 1) == 1, "read from pipe: %s", strerror(errno));
}

enum { PAGES = 4, PG = 4096 };

int main(void)
{
    char *shm = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char *priv = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(shm != MAP_FAILED && priv != MAP_FAILED, "mmap: %s", strerror(errno));

    /* Page 0 is touched before the fork; pages 1-3 are not. */
    strcpy(shm, "before");
    strcpy(priv, "before");
    int to_child[2], to_parent[2];
    CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0, "pipe");

    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        CHECK(strcmp(shm, "before") == 0, "child: shared page 0 lost its content");
        strcpy(shm, "child0");
        strcpy(shm + 2 * PG, "child2");
        strcpy(priv, "child0");
        signal_peer(to_parent[1]);

        await_peer(to_child[0]);
        CHECK(strcmp(shm + PG, "parent1") == 0, "child: the parent's write to shared page 1 is missing");
        CHECK(strcmp(shm + 3 * PG, "parent3") == 0, "child: the parent's write to shared page 3 is missing");
        CHECK(strcmp(shm, "parent0") == 0, "child: the parent's write to shared page 0 is missing");
        CHECK(strcmp(priv, "child0") == 0, "child: the parent's private write is visible");
        _exit(0);
    }

    await_peer(to_parent[0]);
    CHECK(strcmp(shm, "child0") == 0, "parent: the child's write to shared page 0 is missing (\"%.8s\")", shm);
    CHECK(strcmp(shm + 2 * PG, "child2") == 0, "parent: the child's write to shared page 2 is missing");
    CHECK(strcmp(priv, "before") == 0, "parent: the child's private write is visible");
    strcpy(shm, "parent0");
    strcpy(shm + PG, "parent1");
    strcpy(shm + 3 * PG, "parent3");
    strcpy(priv, "parent0");
    signal_peer(to_child[1]);

    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s", strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child failed (status %#x)", st);
    CHECK(strcmp(shm + 2 * PG, "child2") == 0, "the shared page outlived by the parent lost the child's write");
    say("ok shared\n");
    return 0;
}
