/* Detached threads free their own stacks as they exit (musl unmaps the
 * stack it is running on, then calls exit): 500 of them, 50 alive at a
 * time, each adding its number to a total. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

#define N 500
#define AT_ONCE 50

static sem_t room;
static long total;
static int finished;

static void *work(void *arg) {
    __atomic_fetch_add(&total, (long)arg, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
    sem_post(&room);
    return NULL;
}

int main(void) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sem_init(&room, 0, AT_ONCE);
    for (long i = 1; i <= N; i++) {
        sem_wait(&room);
        pthread_t t;
        if (pthread_create(&t, &attr, work, (void *)i) != 0) {
            printf("create %ld failed\n", i);
            return 1;
        }
    }
    while (__atomic_load_n(&finished, __ATOMIC_SEQ_CST) < N)
        sched_yield();
    printf("finished %d total %ld (want %ld)\n", finished, total, (long)N * (N + 1) / 2);
    return 0;
}
