/* pthread_cancel: musl sends signal 33 (SIGCANCEL); its handler rewrites
 * the saved RIP in the ucontext when the thread sits at a cancellation
 * point's syscall, or acts at once for asynchronous cancellation.  Each
 * case prints one line: the join's result and whether cleanup ran. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "th_proc.h"

static volatile int ready, cleaned, target_tid;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int pipefd[2];

static void cleanup(void *arg) {
    cleaned = (int)(long)arg;
}

static void unlock_cleanup(void *arg) {
    pthread_mutex_unlock(arg);
    cleaned = 3;
}

static void *in_pause(void *arg) {
    (void)arg;
    pthread_cleanup_push(cleanup, (void *)1);
    target_tid = gettid();
    ready = 1;
    for (;;)
        pause();
    pthread_cleanup_pop(0);
    return NULL;
}

static void *in_read(void *arg) {
    (void)arg;
    char c;
    pthread_cleanup_push(cleanup, (void *)2);
    target_tid = gettid();
    ready = 1;
    read(pipefd[0], &c, 1);
    pthread_cleanup_pop(0);
    return (void *)"read returned";
}

static void *in_cond_wait(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    pthread_cleanup_push(unlock_cleanup, &mu);
    target_tid = gettid();
    ready = 1;
    for (;;)
        pthread_cond_wait(&cv, &mu);
    pthread_cleanup_pop(0);
    return NULL;
}

static void *in_nanosleep(void *arg) {
    (void)arg;
    pthread_cleanup_push(cleanup, (void *)4);
    target_tid = gettid();
    ready = 1;
    struct timespec d = {3600, 0};
    nanosleep(&d, NULL);
    pthread_cleanup_pop(0);
    return (void *)"slept";
}

static void *testcancel_loop(void *arg) {
    (void)arg;
    pthread_cleanup_push(cleanup, (void *)5);
    ready = 1;
    for (volatile long i = 0;; i++)
        pthread_testcancel();
    pthread_cleanup_pop(0);
    return NULL;
}

static void *async_spin(void *arg) {
    (void)arg;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
    pthread_cleanup_push(cleanup, (void *)6);
    ready = 1;
    for (volatile long i = 0;; i++)
        ;
    pthread_cleanup_pop(0);
    return NULL;
}

static volatile int may_enable;

static void *disabled_then_enabled(void *arg) {
    (void)arg;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    pthread_cleanup_push(cleanup, (void *)7);
    ready = 1;
    while (!may_enable)
        sched_yield();
    cleaned = -7; /* still running after the cancel request: as it must */
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
    pthread_testcancel();
    pthread_cleanup_pop(0);
    return NULL;
}

/* Run fn in a thread, cancel it (once it blocks, if `blocks`), join it. */
static void run_case(const char *name, void *(*fn)(void *), int want_cleanup, int blocks) {
    pthread_t t;
    ready = 0;
    cleaned = 0;
    pthread_create(&t, NULL, fn, NULL);
    while (!ready)
        sched_yield();
    if (blocks)
        wait_until_sleeping(target_tid);
    int rc = pthread_cancel(t);
    if (fn == disabled_then_enabled)
        may_enable = 1; /* only after the request: the thread must outlive it */
    void *ret = NULL;
    int jrc = pthread_join(t, &ret);
    printf("%-16s cancel %d join %d %s cleanup %s\n", name, rc, jrc, ret == PTHREAD_CANCELED ? "CANCELED" : "not-canceled",
           cleaned == want_cleanup ? "ran" : "MISSING");
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pipe(pipefd);
    run_case("pause", in_pause, 1, 1);
    run_case("read", in_read, 2, 1);
    run_case("cond_wait", in_cond_wait, 3, 1);
    /* The cleanup handler released the mutex: it can be taken again. */
    printf("%-16s %s\n", "mutex released", pthread_mutex_trylock(&mu) == 0 ? "yes" : "NO");
    pthread_mutex_unlock(&mu);
    run_case("nanosleep", in_nanosleep, 4, 1);
    run_case("testcancel", testcancel_loop, 5, 0);
    run_case("async", async_spin, 6, 0);
    run_case("disabled", disabled_then_enabled, 7, 0);
    run_case("before-blocking", in_pause, 1, 0);
    return 0;
}
