/* The bundled demo: what Violet's process model looks like from inside. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "violet.h"

static const char *kind_name(long k) {
    return k == VIOLET_SYSTEM ? "system" : k == VIOLET_APPLICATION ? "application" : k == VIOLET_WORKER ? "worker" : "(not under Violet)";
}

static volatile int b_tid;

static void *thread_b(void *arg) {
    (void)arg;
    b_tid = gettid();
    for (;;) pause();   /* would wait for ever... */
    return NULL;
}

static void *thread_a(void *arg) {
    (void)arg;
    pthread_t b;
    pthread_create(&b, NULL, thread_b, NULL);
    while (!b_tid) sched_yield();
    printf("7. Thread %d created thread %d (violet_creator says %ld), and now exits.\n", gettid(), b_tid,
           violet_creator(b_tid));
    return NULL;        /* ...but ends with its creator, at once */
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    long kind = violet_kind(0);
    printf("1. I am process %d, %s %s process.\n", getpid(), kind == VIOLET_APPLICATION ? "an" : "a", kind_name(kind));

    /* 4 MiB of memory: only the pages written get frames. */
    size_t size = 4 << 20;
    char *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(buf, 'p', size);
    struct violet_memstats m;
    violet_memstats(&m);
    printf("2. I wrote 4 MiB; %llu pages are resident.\n", (unsigned long long)m.resident);

    /* Fork: the child shares every page until one side writes. */
    int pipefd[2];
    pipe(pipefd);
    pid_t pid = fork();
    if (pid == 0) {
        struct violet_memstats c;
        violet_memstats(&c);
        printf("3. Child %d (a %s) shares %llu pages with its parent.\n", getpid(), kind_name(violet_kind(0)),
               (unsigned long long)c.shared);
        buf[0] = 'c';
        violet_memstats(&c);
        printf("4. The child wrote one byte of the 4 MiB: %llu pages copied in all (that one, and the pages\n"
               "   of its stack and stdio buffer it wrote since the fork); the rest is still shared.\n",
               (unsigned long long)c.cow_copies);
        /* A grandchild that would sleep for ever... */
        if (fork() == 0) {
            for (;;) pause();
        }
        close(pipefd[0]);
        write(pipefd[1], "x", 1);
        _exit(7);   /* ...is terminated with its parent, at once. */
    }
    char c;
    read(pipefd[0], &c, 1);
    int status;
    waitpid(pid, &status, 0);
    printf("5. Child exited with %d; its own child ended with it (no orphans under Violet).\n", WEXITSTATUS(status));
    printf("6. buf[0] is still '%c' in the parent.\n", buf[0]);

    /* Threads form a hierarchy too. */
    pthread_t a;
    pthread_create(&a, NULL, thread_a, NULL);
    pthread_join(a, NULL);
    int tid = b_tid;
    while (violet_creator(tid) >= 0) sched_yield();
    printf("8. Thread %d is gone with its creator: violet_creator(%d) now fails.\n", tid, tid);
    return 0;
}
