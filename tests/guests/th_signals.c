/* Signals and threads (Linux behaviour):
 *   - pthread_kill runs the handler on the target thread;
 *   - a process-directed signal that every thread but one blocks goes to
 *     that one;
 *   - a thread in sigwait receives a process-directed signal that all
 *     threads block. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile int handled_by, stop;
static volatile int worker_tid[3], ready;

static void handler(int sig) {
    (void)sig;
    handled_by = gettid();
}

static void *worker(void *arg) {
    long me = (long)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    /* Only worker 1 accepts SIGUSR2. */
    pthread_sigmask(me == 1 ? SIG_UNBLOCK : SIG_BLOCK, &s, NULL);
    worker_tid[me] = gettid();
    __atomic_fetch_add(&ready, 1, __ATOMIC_SEQ_CST);
    while (!stop)
        sched_yield();
    return NULL;
}

static volatile int waited_sig;

static void *waiter(void *arg) {
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    int sig = 0;
    __atomic_fetch_add(&ready, 1, __ATOMIC_SEQ_CST);
    sigwait(&s, &sig);
    waited_sig = sig;
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGUSR1, handler);
    signal(SIGUSR2, handler);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    sigaddset(&s, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &s, NULL); /* main blocks SIGUSR2 and SIGTERM; threads inherit */

    pthread_t w[3];
    for (long i = 0; i < 3; i++)
        pthread_create(&w[i], NULL, worker, (void *)i);
    while (ready < 3)
        sched_yield();

    /* pthread_kill: the handler runs on the chosen thread. */
    int ok = 1;
    for (int i = 0; i < 3; i++) {
        handled_by = 0;
        pthread_kill(w[i], SIGUSR1);
        while (!handled_by)
            sched_yield();
        ok &= handled_by == worker_tid[i];
    }
    printf("pthread_kill reaches its target: %s\n", ok ? "yes" : "NO");

    /* kill(getpid()): only worker 1 does not block SIGUSR2. */
    handled_by = 0;
    kill(getpid(), SIGUSR2);
    while (!handled_by)
        sched_yield();
    printf("process signal goes to the thread that accepts it: %s\n", handled_by == worker_tid[1] ? "yes" : "NO");

    stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(w[i], NULL);

    /* sigwait: SIGTERM is blocked everywhere; the waiter takes it. */
    pthread_t wt;
    ready = 0;
    pthread_create(&wt, NULL, waiter, NULL);
    while (!ready)
        sched_yield();
    kill(getpid(), SIGTERM);
    pthread_join(wt, NULL);
    printf("sigwait got signal %d\n", waited_sig);
    return 0;
}
