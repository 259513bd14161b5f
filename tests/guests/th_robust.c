/* A robust mutex held by a thread that the hierarchy rule terminated
 * (Violet only): A creates B, B creates C, C locks the mutex, B exits and
 * takes C with it.  The kernel walks C's robust list: A's lock returns
 * EOWNERDEAD, and after pthread_mutex_consistent the mutex works again.
 * The mutex is process-shared: for a private one musl keeps the robust
 * list to itself (only its own pthread_exit walks it), so the kernel
 * cannot release it (th_join_killed shows that wait reported). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t m;
static volatile int locked;

static void *thread_c(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    locked = 1;
    for (;;)
        pause();
    return NULL;
}

static void *thread_b(void *arg) {
    (void)arg;
    pthread_t c;
    pthread_create(&c, NULL, thread_c, NULL);
    while (!locked)
        sched_yield();
    return NULL;
}

int main(void) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&m, &attr);
    pthread_t b;
    pthread_create(&b, NULL, thread_b, NULL);
    pthread_join(b, NULL);
    int r = pthread_mutex_lock(&m);
    printf("lock after its owner ended: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
    if (r != EOWNERDEAD)
        return 1;
    pthread_mutex_consistent(&m);
    pthread_mutex_unlock(&m);
    r = pthread_mutex_lock(&m);
    printf("lock after consistent: %d\n", r);
    pthread_mutex_unlock(&m);
    return r;
}
