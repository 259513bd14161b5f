/* The core-dump bit of a wait status follows RLIMIT_CORE: a child that
 * aborts with a zero core limit has no core bit; the limits a process sets
 * are inherited by fork and read back.  argv[1] "dump": the limit is
 * raised first (the test runs that case in an empty directory, where
 * Linux writes the core file). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void aborting_child(const char *what) {
    pid_t c = fork();
    if (c == 0) abort();
    int st;
    waitpid(c, &st, 0);
    printf("%s: signalled %d by %d, core bit %d\n", what, WIFSIGNALED(st), WTERMSIG(st), !!WCOREDUMP(st));
}

int main(int argc, char **argv) {
    struct rlimit rl = {0, 0};
    getrlimit(RLIMIT_CORE, &rl);
    struct rlimit zero = {0, rl.rlim_max};
    printf("set core limit 0: %d\n", setrlimit(RLIMIT_CORE, &zero));
    aborting_child("limit 0");

    pid_t c = fork();
    if (c == 0) {
        struct rlimit seen;
        getrlimit(RLIMIT_CORE, &seen);
        _exit(seen.rlim_cur == 0 ? 0 : 1);
    }
    int st;
    waitpid(c, &st, 0);
    printf("child inherits the limit: %d\n", WEXITSTATUS(st) == 0);

    struct rlimit up = {rl.rlim_max, rl.rlim_max};
    if (rl.rlim_max != RLIM_INFINITY) up.rlim_max = rl.rlim_max;
    struct rlimit higher = {0, RLIM_INFINITY};
    printf("raising the hard limit: %s\n",
           rl.rlim_max == RLIM_INFINITY ? "not tried" : setrlimit(RLIMIT_CORE, &higher) == 0 ? "allowed" : "refused");
    struct rlimit bad = {10, 5};
    printf("soft above hard: %d\n", setrlimit(RLIMIT_CORE, &bad));
    struct rlimit fsize;
    getrlimit(RLIMIT_FSIZE, &fsize);
    struct rlimit small = {1 << 20, fsize.rlim_max};
    setrlimit(RLIMIT_FSIZE, &small);
    getrlimit(RLIMIT_FSIZE, &fsize);
    printf("fsize reads back: %d\n", fsize.rlim_cur == 1 << 20);

    if (argc > 1 && strcmp(argv[1], "dump") == 0 && rl.rlim_max != 0) {
        struct rlimit on = {rl.rlim_max, rl.rlim_max};
        setrlimit(RLIMIT_CORE, &on);
        aborting_child("limit raised");
    }
    return 0;
}
