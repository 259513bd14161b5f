/* fork in a multithreaded process copies only the calling thread.  The
 * forking thread is not the main thread; two other threads are alive (one
 * computing, one blocked).  The child has one thread, which is the caller
 * (tid == pid, its stack and TLS intact), can create and join a thread of
 * its own, and exits with a status the parent sees; the parent keeps all
 * its threads. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "th_proc.h"

static volatile int stop, up;
static __thread int who = 1;
static pthread_mutex_t parked = PTHREAD_MUTEX_INITIALIZER;

static void *spinner(void *arg) {
    (void)arg;
    __atomic_fetch_add(&up, 1, __ATOMIC_SEQ_CST);
    while (!stop)
        ;
    return NULL;
}

static void *blocker(void *arg) {
    (void)arg;
    __atomic_fetch_add(&up, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_lock(&parked); /* held by main until the end */
    pthread_mutex_unlock(&parked);
    return NULL;
}

static void *child_thread(void *arg) {
    return (void *)((long)arg + 1);
}

static void *forker(void *arg) {
    (void)arg;
    who = 42;
    int local = 7;
    pid_t pid = fork();
    if (pid == 0) {
        int ok = 1;
        ok &= threads_of_self() == 1;
        ok &= gettid() == getpid();
        ok &= who == 42 && local == 7;
        pthread_t t;
        void *ret = 0;
        ok &= pthread_create(&t, NULL, child_thread, (void *)41) == 0;
        ok &= pthread_join(t, &ret) == 0 && (long)ret == 42;
        printf("child: threads 1, tid is pid, stack and TLS kept, new thread joined: %s\n", ok ? "ok" : "WRONG");
        fflush(stdout);
        _exit(ok ? 5 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("parent: child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    printf("parent: threads %d\n", threads_of_self());
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_mutex_lock(&parked);
    pthread_t s, b, f;
    pthread_create(&s, NULL, spinner, NULL);
    pthread_create(&b, NULL, blocker, NULL);
    while (__atomic_load_n(&up, __ATOMIC_SEQ_CST) < 2)
        sched_yield();
    pthread_create(&f, NULL, forker, NULL);
    pthread_join(f, NULL);
    stop = 1;
    pthread_mutex_unlock(&parked);
    pthread_join(s, NULL);
    pthread_join(b, NULL);
    printf("parent: main TLS %d\n", who);
    return 0;
}
