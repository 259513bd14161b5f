/* A name set with prctl(PR_SET_NAME) is inherited by a forked child and a
 * new thread, as on Linux; exec gives the new program's name. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *who) {
    char name[32] = {0};
    prctl(PR_GET_NAME, name);
    printf("%s: %s\n", who, name);
    fflush(stdout);
}

static void *thread_main(void *arg) {
    (void)arg;
    show("thread");
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1) {
        show("after exec");
        return 0;
    }
    prctl(PR_SET_NAME, "renamed-one");
    show("parent");
    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    pthread_join(th, NULL);
    pid_t c = fork();
    if (c == 0) {
        show("child");
        execl(argv[0], argv[0], "again", (char *)NULL);
        _exit(127);
    }
    waitpid(c, NULL, 0);
    return 0;
}
