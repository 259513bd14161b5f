/* deep_chain: each process forks the next and waits for it, up to argv[1]
 * deep or until fork fails; the deepest prints how deep it got, and every
 * process exits with the deepest one's status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int want = argc > 1 ? atoi(argv[1]) : 10, depth = 0;
    while (depth < want) {
        pid_t pid = fork();
        if (pid < 0) {
            printf("fork failed at depth %d: %s\n", depth, errno == EAGAIN ? "EAGAIN" : "another error");
            break;
        }
        if (pid > 0) {
            int status;
            waitpid(pid, &status, 0);
            _exit(WEXITSTATUS(status));
        }
        depth++;
    }
    printf("deepest %d\n", depth);
    fflush(stdout);
    _exit(depth > 0 ? 0 : 1);
}
