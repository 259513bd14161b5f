/* A thread that is not the main thread ends the whole process:
 *   th_exit_group exit    it calls exit(9) (exit_group): status 9
 *   th_exit_group crash   it writes to address 8: the process dies of SIGSEGV
 * while another thread computes and the main thread is blocked. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int up;

static void *spinner(void *arg) {
    (void)arg;
    up = 1;
    for (;;)
        __asm__ volatile("" ::: "memory");
    return NULL;
}

static void *ender(void *arg) {
    while (!up)
        sched_yield();
    printf("ending the process\n");
    fflush(stdout);
    if (strcmp(arg, "crash") == 0)
        *(volatile int *)8 = 1;
    exit(9);
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    pthread_t s, e;
    pthread_create(&s, NULL, spinner, NULL);
    pthread_create(&e, NULL, ender, argv[1]);
    for (;;)
        pause();
}
