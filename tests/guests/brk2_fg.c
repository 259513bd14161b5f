/* brk2_fg: makes the terminal's foreground group one that is about to be
 * empty (a child's own group; the child then exits), so that Ctrl-C and
 * Ctrl-\ on the terminal reach nobody, then keeps running for 6 seconds.
 * Natively the same happens (the signals go to the empty group); under
 * Violet it means a guest the user cannot stop from its terminal. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    signal(SIGTTOU, SIG_IGN);
    pid_t c = fork();
    if (c == 0) {
        setpgid(0, 0);
        usleep(100000);
        _exit(0);
    }
    setpgid(c, c);
    usleep(20000);
    printf("tcsetpgrp: %d\n", tcsetpgrp(0, c));
    waitpid(c, 0, 0);
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; i < 6; i++) {
        sleep(1);
        printf("still running %d\n", i);
        fflush(stdout);
    }
    return 0;
}
