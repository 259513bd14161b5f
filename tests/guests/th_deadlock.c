/* A lock-order deadlock that always happens: thread 1 takes m1 then m2,
 * thread 2 takes m2 then m1, and a barrier makes both hold their first
 * lock before either asks for its second.  The main thread joins them.
 * Every thread blocks for ever (Violet reports it; Linux hangs). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t m1 = PTHREAD_MUTEX_INITIALIZER, m2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;

static void *one(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m1);
    pthread_barrier_wait(&both_hold_one);
    printf("thread %d holds m1 %p, wants m2 %p\n", gettid(), (void *)&m1, (void *)&m2);
    pthread_mutex_lock(&m2);
    printf("thread 1 got both\n");
    return NULL;
}

static void *two(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m2);
    pthread_barrier_wait(&both_hold_one);
    printf("thread %d holds m2 %p, wants m1 %p\n", gettid(), (void *)&m2, (void *)&m1);
    pthread_mutex_lock(&m1);
    printf("thread 2 got both\n");
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_t a, b;
    pthread_barrier_init(&both_hold_one, NULL, 2);
    pthread_create(&a, NULL, one, NULL);
    pthread_create(&b, NULL, two, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("no deadlock\n");
    return 0;
}
