/* musl's pthread_join on a thread that the hierarchy rule terminated
 * (Violet only).  A creates B, B creates C, B exits taking C with it; A
 * then calls pthread_join(C).  musl's join waits for C's detach_state,
 * which only C's own pthread_exit would clear, so it can never return:
 * the kernel must report a deadlock rather than hang. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_t c;
static volatile int c_ready;

static void *thread_c(void *arg) {
    (void)arg;
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

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_t b;
    pthread_create(&b, NULL, thread_b, NULL);
    pthread_join(b, NULL);
    printf("B joined; joining C\n");
    pthread_join(c, NULL);
    printf("C joined\n");
    return 0;
}
