/* (f) Contended mutex: 4 threads each add 1 to a shared counter N times,
 * each increment under one pthread mutex.  Reported per increment of the
 * whole (4 x N increments over the wall time of the section).
 *
 * usage: mutex [N]
 */
#include <pthread.h>
#include "bench.h"

#define THREADS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter, per_thread;

static void *body(void *arg) {
    for (long i = 0; i < per_thread; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return arg;
}

int main(int argc, char **argv) {
    per_thread = arg_count(argc, argv, 1, 200000);
    pthread_t th[THREADS];

    double t0 = now_s();
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&th[i], NULL, body, NULL) != 0)
            die("pthread_create");
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    double t1 = now_s();

    if (counter != THREADS * per_thread) {
        fprintf(stderr, "lost increments: %ld of %ld\n", counter, THREADS * per_thread);
        return 1;
    }
    metric("inner", t1 - t0, "s");
    metric("per_increment", (t1 - t0) / (THREADS * per_thread) * 1e9, "ns");
    return 0;
}
