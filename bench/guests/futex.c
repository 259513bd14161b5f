/* (e) Futex ping-pong between two threads.
 *
 * One word says whose turn it is.  The main thread hands the turn over
 * (store, FUTEX_WAKE) and sleeps in FUTEX_WAIT until it comes back; the
 * other thread does the mirror image.  N round trips, each two hand-overs.
 *
 * usage: futex [N]
 */
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bench.h"

static _Atomic int turn; /* 0: main's turn, 1: partner's turn */
static long rounds;

static void futex_wait(_Atomic int *word, int val) {
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic int *word) {
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void pass_to(int who) {
    atomic_store(&turn, who);
    futex_wake(&turn);
    while (atomic_load(&turn) == who)
        futex_wait(&turn, who);
}

static void *partner(void *arg) {
    while (atomic_load(&turn) != 1)
        futex_wait(&turn, 0);
    for (long i = 0; i < rounds; i++)
        pass_to(0);
    return arg;
}

int main(int argc, char **argv) {
    rounds = arg_count(argc, argv, 1, 20000);
    pthread_t th;
    if (pthread_create(&th, NULL, partner, NULL) != 0)
        die("pthread_create");

    double t0 = now_s();
    for (long i = 0; i < rounds; i++)
        pass_to(1);
    double t1 = now_s();

    /* The partner is waiting for a turn it will not get after its last
     * round: give it one so that it can return. */
    atomic_store(&turn, 1);
    futex_wake(&turn);
    pthread_join(th, NULL);
    metric("inner", t1 - t0, "s");
    metric("round_trips_per_s", rounds / (t1 - t0), "1/s");
    metric("round_trip", (t1 - t0) / rounds * 1e6, "us");
    return 0;
}
