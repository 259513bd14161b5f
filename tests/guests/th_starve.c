/* Preemption: two threads spin without ever entering the kernel while a
 * third sleeps 20 ms five times and prints after each sleep.  The sleeper
 * must finish while the spinners still spin.  Its last line is its worst
 * lateness (how much longer than 20 ms one sleep took), which differs from
 * run to run: compare the other lines. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static volatile int done;
static volatile long spins[2];
static int late_ms;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *spinner(void *arg) {
    long me = (long)arg;
    while (!done)
        spins[me]++;
    return NULL;
}

static void *sleeper(void *arg) {
    (void)arg;
    double worst = 0;
    for (int i = 1; i <= 5; i++) {
        struct timespec d = {0, 20 * 1000 * 1000};
        double t0 = now();
        nanosleep(&d, NULL);
        double late = now() - t0 - 0.020;
        if (late > worst)
            worst = late;
        printf("tick %d\n", i);
    }
    done = 1;
    late_ms = (int)(worst * 1000);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_t sp[2], sl;
    pthread_create(&sp[0], NULL, spinner, (void *)0);
    pthread_create(&sp[1], NULL, spinner, (void *)1);
    /* Both spinners are running before the sleeper starts. */
    while (!spins[0] || !spins[1])
        ;
    pthread_create(&sl, NULL, sleeper, NULL);
    pthread_join(sl, NULL);
    pthread_join(sp[0], NULL);
    pthread_join(sp[1], NULL);
    printf("spinners ran: %s\n", spins[0] > 0 && spins[1] > 0 ? "yes" : "no");
    printf("worst lateness %d ms\n", late_ms);
    return 0;
}
