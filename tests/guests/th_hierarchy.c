/* The thread hierarchy (Violet only): A (main) creates B, B creates C,
 * B exits; C is terminated in the same kernel step, and A, waiting on C's
 * clear-child-tid word, wakes.
 *
 * C's clear-child-tid word is its own (set_tid_address), so A can wait on
 * exactly the word the kernel promises to zero and wake.  musl's
 * pthread_join cannot be used for C: it waits on a word only an exiting
 * thread writes itself (see th_join_killed.c).
 *
 * Output: creator lines, then the checks; exit 0 when all pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "violet.h"
#include "th_proc.h"

static volatile int c_word;          /* C's clear-child-tid word: C's tid until it ends */
static volatile int c_tid, c_ready, c_creator;
static volatile long c_spins;        /* C counts while it lives */
static int a_tid, b_tid;

static long futex(volatile int *addr, int op, int val) {
    return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

static void *thread_c(void *arg) {
    (void)arg;
    c_tid = gettid();
    c_word = c_tid;
    syscall(SYS_set_tid_address, &c_word);
    c_creator = violet_creator(0);
    __atomic_store_n(&c_ready, 1, __ATOMIC_SEQ_CST);
    for (;;)
        c_spins++;
    return NULL;
}

static void *thread_b(void *arg) {
    (void)arg;
    pthread_t c;
    b_tid = gettid();
    pthread_create(&c, NULL, thread_c, NULL);
    while (!__atomic_load_n(&c_ready, __ATOMIC_SEQ_CST))
        sched_yield();
    printf("C's creator is B: %s\n", c_creator == b_tid ? "yes" : "NO");
    printf("violet_creator(C) from B: %s\n", violet_creator(c_tid) == b_tid ? "B" : "WRONG");
    wait_until_sleeping(a_tid); /* A is waiting on C's word */
    return NULL;                /* B exits: C must go with it */
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    a_tid = gettid();
    if (!violet_present()) {
        printf("not under Violet\n");
        return 2;
    }
    pthread_t b;
    pthread_create(&b, NULL, thread_b, NULL);
    while (!__atomic_load_n(&c_ready, __ATOMIC_SEQ_CST))
        sched_yield();
    printf("B's creator is A: %s\n", violet_creator(b_tid) == a_tid ? "yes" : "NO");
    printf("A's creator: %ld\n", violet_creator(0));

    /* A's join on C: wait for C's clear-child-tid word to become 0. */
    int tid = c_tid;
    while (c_word == tid)
        futex(&c_word, FUTEX_WAIT, tid);
    printf("join on C returned, word %d\n", c_word);

    /* C is gone now, not later: its tid is unknown and it no longer counts. */
    long spins = c_spins;
    errno = 0;
    long r = violet_creator(tid);
    printf("violet_creator(C) after: %s\n", r == -1 && errno == ESRCH ? "ESRCH" : "still there");
    errno = 0;
    r = syscall(SYS_tgkill, getpid(), tid, 0);
    printf("tgkill(C, 0): %s\n", r == -1 && errno == ESRCH ? "ESRCH" : "still there");
    for (int i = 0; i < 100; i++)
        sched_yield();
    printf("C stopped counting: %s\n", c_spins == spins ? "yes" : "NO");

    void *ret;
    printf("join on B: %d\n", pthread_join(b, &ret));
    return 0;
}
