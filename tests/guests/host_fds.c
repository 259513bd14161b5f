/* host_fds: a guest that opens files until it cannot leaves the kernel
 * the host descriptors it needs: the opens end with ENFILE (or EMFILE),
 * and a fork and exec (a program to load, the preemption hook the second
 * thread brings) still work afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 1) {
        printf("child ran\n");
        return 0;
    }
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
    int n = 0;
    while (open(argv[0], O_RDONLY | O_CLOEXEC) >= 0)
        n++;
    printf("opens stopped with %s\n", errno == ENFILE ? "ENFILE" : errno == EMFILE ? "EMFILE" : "another error");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execl(argv[0], argv[0], "child", (char *)NULL);
        printf("exec failed: errno %d\n", errno);
        _exit(3);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("child status %d\n", WEXITSTATUS(status));
    return n > 0 ? 0 : 1;
}
