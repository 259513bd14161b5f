/* pthread_create and pthread_join: each thread's return value reaches its joiner. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define N 8

static void *work(void *arg) {
    intptr_t i = (intptr_t)arg;
    return (void *)(i * i + 1);
}

int main(void) {
    pthread_t th[N];
    for (intptr_t i = 0; i < N; i++) {
        if (pthread_create(&th[i], NULL, work, (void *)i) != 0) {
            printf("create %ld failed\n", (long)i);
            return 1;
        }
    }
    long sum = 0;
    for (int i = 0; i < N; i++) {
        void *ret;
        if (pthread_join(th[i], &ret) != 0) {
            printf("join %d failed\n", i);
            return 1;
        }
        printf("thread %d returned %ld\n", i, (long)(intptr_t)ret);
        sum += (long)(intptr_t)ret;
    }
    printf("sum %ld\n", sum);
    return 0;
}
