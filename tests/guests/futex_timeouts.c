/* futex_timeouts: FUTEX_WAIT with a short timeout, N times (argv[1]), each
 * on a word of its own (a different address each time) and never woken:
 * every wait ends with ETIMEDOUT. */
#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int words[1024];

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10, timedout = 0;
    struct timespec ts = {0, 100000};
    for (long i = 0; i < n; i++)
        if (syscall(SYS_futex, &words[i % 1024], FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0) == -1 && errno == ETIMEDOUT)
            timedout++;
    printf("%ld waits timed out\n", timedout);
    return 0;
}
