/* (d) Thread create + join: N times, one thread at a time, each thread
 * returns at once.  Reported per create+join pair.
 *
 * usage: thread [N]
 */
#include <pthread.h>
#include "bench.h"

static void *body(void *arg) { return arg; }

int main(int argc, char **argv) {
    long n = arg_count(argc, argv, 1, 500);

    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        pthread_t th;
        void *ret;
        if (pthread_create(&th, NULL, body, (void *)i) != 0)
            die("pthread_create");
        if (pthread_join(th, &ret) != 0 || ret != (void *)i)
            die("pthread_join");
    }
    double t1 = now_s();

    metric("inner", t1 - t0, "s");
    metric("create_join", (t1 - t0) / n * 1e6, "us");
    return 0;
}
