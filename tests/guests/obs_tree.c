/* A small tree for the observability tests: the parent forks a child,
 * the child forks a grandchild that would pause for ever, tells the parent
 * through a pipe that it is ready, and exits; the cascade ends the grandchild. */
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void) {
    int fds[2];
    if (pipe(fds) != 0) return 10;
    write(1, "hello\n", 6);
    pid_t child = fork();
    if (child == 0) {
        if (fork() == 0) {
            for (;;) pause();
        }
        write(fds[1], "r", 1);
        _exit(4);
    }
    char c;
    if (read(fds[0], &c, 1) != 1) return 11;
    int status = 0;
    if (waitpid(child, &status, 0) != child) return 12;
    printf("child status %d\n", WEXITSTATUS(status));
    return 0;
}
