/* 1,000 threads alive at once.  Each touches a little of its 8 MiB stack,
 * checks in, and waits at a barrier until all are alive; the main thread
 * then reports its memory figures (violet_memstats, under Violet only),
 * and again once every thread is joined and its stack unmapped. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "violet.h"

#define N 1000

static pthread_barrier_t all_alive, report_done;
static int alive;

static void *work(void *arg) {
    volatile char buf[256];
    memset((char *)buf, (int)(long)arg, sizeof buf);
    __atomic_fetch_add(&alive, 1, __ATOMIC_SEQ_CST);
    pthread_barrier_wait(&all_alive);
    pthread_barrier_wait(&report_done);
    return (void *)(long)buf[0];
}

int main(void) {
    static pthread_t th[N];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 8 << 20);
    pthread_barrier_init(&all_alive, NULL, N + 1);
    pthread_barrier_init(&report_done, NULL, N + 1);
    for (long i = 0; i < N; i++) {
        int err = pthread_create(&th[i], &attr, work, (void *)(i & 0x7f));
        if (err) {
            printf("create %ld failed: %s\n", i, strerror(err));
            return 1;
        }
    }
    pthread_barrier_wait(&all_alive);
    printf("alive %d\n", __atomic_load_n(&alive, __ATOMIC_SEQ_CST));
    struct violet_memstats m;
    if (violet_memstats(&m) == 0)
        printf("resident %llu zero_fills %llu\n", (unsigned long long)m.resident, (unsigned long long)m.zero_fills);
    pthread_barrier_wait(&report_done);
    int bad = 0;
    for (long i = 0; i < N; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        if ((long)ret != (i & 0x7f))
            bad++;
    }
    printf("joined %d bad %d\n", N, bad);
    if (violet_memstats(&m) == 0)
        printf("after join resident %llu\n", (unsigned long long)m.resident);
    return bad != 0;
}
