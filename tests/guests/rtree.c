/* Random process and thread trees, for the property tests.
 *
 *   rtree SEED [DEPTH]
 *
 * Driven by SEED, every process creates a few threads (which may create
 * threads of their own, then sleep and exit, or wait for ever) and forks a
 * few children (while DEPTH lasts), which do the same.  Then each process
 * ends in a random way: exit at once, sleep and exit, kill a child and
 * exit, wait for its children, crash, or wait for ever (to be ended by
 * the cascade).  The top process sleeps a little and exits 0, so the run
 * always ends, by the cascade if nothing else.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng;

static unsigned roll(unsigned n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void nap_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

struct plan { uint64_t seed; int depth; };

static void *thread_body(void *arg) {
    struct plan *pl = arg;
    uint64_t local = pl->seed;
    local ^= local << 13; local ^= local >> 7; local ^= local << 17;
    if (pl->depth > 0 && local % 3 == 0) {
        static struct plan subs[64];
        static int used;
        struct plan *sub = &subs[__atomic_fetch_add(&used, 1, __ATOMIC_RELAXED) % 64];
        sub->seed = local * 31 + 7;
        sub->depth = pl->depth - 1;
        pthread_t t;
        pthread_create(&t, NULL, thread_body, sub);
    }
    if (local % 4 == 0)
        for (;;) pause();
    nap_us((long)(local % 2000));
    return NULL;
}

static void process(int depth, int top) {
    static struct plan plans[8];
    unsigned nthreads = roll(3);
    for (unsigned i = 0; i < nthreads; i++) {
        plans[i].seed = rng + i * 977;
        plans[i].depth = 1;
        pthread_t t;
        pthread_create(&t, NULL, thread_body, &plans[i]);
    }
    pid_t kids[3];
    unsigned nkids = depth > 0 ? roll(4) : 0;
    for (unsigned i = 0; i < nkids && i < 3; i++) {
        uint64_t child_seed = rng * 6364136223846793005ull + i + 1;
        kids[i] = fork();
        if (kids[i] == 0) {
            rng = child_seed | 1;
            process(depth - 1, 0);
            _exit(0);
        }
    }
    if (top) {
        nap_us(roll(20000));
        exit(0);
    }
    switch (roll(6)) {
    case 0: _exit((int)roll(5));
    case 1: nap_us(roll(5000)); exit(1);
    case 2: if (nkids) kill(kids[0], SIGKILL); _exit(2);
    case 3: while (wait(NULL) > 0) {} _exit(3);
    case 4: *(volatile int *)0 = 1; _exit(4);
    default: for (;;) pause();
    }
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    rng = strtoull(argv[1], NULL, 10) * 2654435761u + 1;
    process(argc > 2 ? atoi(argv[2]) : 3, 1);
    return 0;
}
