/* Waiting on a thread that the hierarchy rule terminated (Violet only).
 * A creates B, B creates C, B exits taking C with it; then A
 *
 *   th_join_killed join    calls pthread_join(C): musl's join waits for
 *                          C's detach_state, which only C's own
 *                          pthread_exit would clear;
 *   th_join_killed mutex   locks an error-checking mutex that C held when
 *                          it was terminated (its word holds C's tid).
 *
 * Neither can ever return: the kernel must report the deadlock, naming
 * thread C, instead of hanging. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_t c;
static volatile int c_ready, c_tid;
static pthread_mutex_t held;

static void *thread_c(void *arg) {
    (void)arg;
    pthread_mutex_lock(&held);
    c_tid = gettid();
    __atomic_store_n(&c_ready, 1, __ATOMIC_SEQ_CST);
    for (;;)
        pause();
    return NULL;
}

static void *thread_b(void *arg) {
    (void)arg;
    pthread_create(&c, NULL, thread_c, NULL);
    while (!__atomic_load_n(&c_ready, __ATOMIC_SEQ_CST))
        sched_yield();
    return NULL;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&held, &attr);
    pthread_t b;
    pthread_create(&b, NULL, thread_b, NULL);
    pthread_join(b, NULL);
    printf("B joined; C was thread %d\n", c_tid);
    if (argc > 1 && strcmp(argv[1], "mutex") == 0) {
        pthread_mutex_lock(&held);
        printf("mutex taken\n");
    } else {
        pthread_join(c, NULL);
        printf("C joined\n");
    }
    return 0;
}
