/* (i) Exec latency: fork, execve of a tiny static program, wait; N times,
 * one at a time.  The program is this binary itself started with the
 * single argument "child", which returns at once (static,
 * musl).  Reported per fork+execve+exit+wait.
 *
 * Under qemu-user the exec'd child runs natively (qemu-x86_64 on an x86-64
 * host execs the program directly), so that column is not an emulated exec.
 *
 * usage: exec [N]
 */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "child") == 0)
        return 7;
    long n = arg_count(argc, argv, 1, 200);
    char *child_argv[] = {argv[0], "child", NULL};
    char *child_env[] = {NULL};

    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            execve(argv[0], child_argv, child_env);
            _exit(127);
        }
        int status;
        if (waitpid(pid, &status, 0) != pid)
            die("waitpid");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 7) {
            fprintf(stderr, "child %ld: status %#x\n", i, status);
            return 1;
        }
    }
    double t1 = now_s();
    metric("inner", t1 - t0, "s");
    metric("per_exec", (t1 - t0) / n * 1e6, "us");
    return 0;
}
