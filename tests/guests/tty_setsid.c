/* After setsid() the terminal is no longer the process's controlling
 * terminal: tcgetpgrp and tcsetpgrp on it fail with ENOTTY. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

int main(void) {
    char buf[128];
    snprintf(buf, sizeof buf, "leader: tcgetpgrp ours %d\n", tcgetpgrp(0) == getpgrp());
    write(1, buf, strlen(buf));
    pid_t c = fork();
    if (c == 0) {
        setsid();
        pid_t g = tcgetpgrp(0);
        int e1 = errno;
        int r = tcsetpgrp(0, getpgrp());
        int e2 = errno;
        snprintf(buf, sizeof buf, "after setsid: tcgetpgrp %d %s, tcsetpgrp %d %s\n", (int)g,
                 e1 == ENOTTY ? "ENOTTY" : "?", r, e2 == ENOTTY ? "ENOTTY" : "?");
        write(1, buf, strlen(buf));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    return 0;
}
