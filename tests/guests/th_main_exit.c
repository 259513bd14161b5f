/* The main thread ends while other threads still run.
 *
 *   th_main_exit pthread_exit   main calls pthread_exit (Violet: the process
 *                               ends at once, status 0; Linux: it would wait
 *                               for the workers, which never finish)
 *   th_main_exit sys_exit N     main calls exit(2) for its thread only, with
 *                               code N (Violet: the process ends, status N)
 *   th_main_exit return N       main returns N: exit_group on Linux and Violet
 *
 * Two workers (one computing, one blocked for ever) are alive and have
 * printed "worker up" before main ends; nothing after that is printed. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int up;

static void *spinner(void *arg) {
    (void)arg;
    printf("worker up\n");
    __atomic_fetch_add(&up, 1, __ATOMIC_SEQ_CST);
    for (volatile long i = 0;; i++)
        ;
    return NULL;
}

static void *sleeper(void *arg) {
    (void)arg;
    printf("worker up\n");
    __atomic_fetch_add(&up, 1, __ATOMIC_SEQ_CST);
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2)
        return 2;
    pthread_t a, b;
    pthread_create(&a, NULL, spinner, NULL);
    pthread_create(&b, NULL, sleeper, NULL);
    while (__atomic_load_n(&up, __ATOMIC_SEQ_CST) < 2)
        sched_yield();
    int code = argc > 2 ? atoi(argv[2]) : 0;
    printf("main ends\n");
    if (strcmp(argv[1], "pthread_exit") == 0)
        pthread_exit(NULL);
    if (strcmp(argv[1], "sys_exit") == 0)
        syscall(SYS_exit, code);
    if (strcmp(argv[1], "return") == 0)
        return code;
    return 2;
}
