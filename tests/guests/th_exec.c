/* execve from a thread that is not the main thread, while two other
 * threads run: the other threads are gone, and the caller carries on as
 * the new image's main thread, whose tid is the pid (Linux, de_thread()).
 * The new image (this program with argument "image") reports and exits 4. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "th_proc.h"

static char *self;

static void *spinner(void *arg) {
    (void)arg;
    for (;;)
        __asm__ volatile("" ::: "memory");
    return NULL;
}

static void *execer(void *arg) {
    (void)arg;
    char *argv[] = {self, "image", NULL};
    execv("/proc/self/exe", argv);
    perror("execv");
    exit(1);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    self = argv[0];
    if (argc > 1 && strcmp(argv[1], "image") == 0) {
        printf("new image: tid is pid: %s, threads: %d\n", gettid() == getpid() ? "yes" : "no", threads_of_self());
        return 4;
    }
    pthread_t s, e;
    pthread_create(&s, NULL, spinner, NULL);
    pthread_create(&e, NULL, execer, NULL);
    for (;;)
        pause();
}
