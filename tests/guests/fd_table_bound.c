/* fd_table_bound: descriptors cost the kernel host memory, and fork copies
 * a whole table, so the kernel bounds them all together: with the
 * per-process limit raised to its maximum, dup stops with ENFILE at the
 * kernel's limit, a fork of such a table fails with ENOMEM instead of
 * copying it, and once most are closed fork works again.  A thousand dups
 * in a row cost a thousand steps (the lowest free descriptor is not
 * searched for from 0 each time).
 */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &r))
        return 2;
    int last = -1, fd;
    while ((fd = dup(0)) >= 0)
        last = fd;
    printf("dup stopped with %s\n", errno == ENFILE ? "ENFILE" : errno == EMFILE ? "EMFILE" : "another error");
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    printf("fork of the full table: %s\n", pid < 0 && errno == ENOMEM ? "ENOMEM" : "went ahead");
    if (pid > 0)
        waitpid(pid, NULL, 0);
    for (fd = 3; fd <= last; fd++)
        close(fd);
    pid = fork();
    if (pid == 0)
        _exit(7);
    int status = 0;
    waitpid(pid, &status, 0);
    printf("fork after closing them: child status %d\n", WEXITSTATUS(status));
    return 0;
}
