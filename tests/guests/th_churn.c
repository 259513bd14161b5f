/* th_churn: threads created and joined one after another, N times (argv[1]).
 * What a process's exit test costs must not grow with the threads that
 * have already ended. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *work(void *arg) { return arg; }

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000;
    for (long i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, work, NULL) || pthread_join(t, NULL)) {
            printf("failed at %ld\n", i);
            return 1;
        }
    }
    printf("%ld threads created and joined\n", n);
    return 0;
}
