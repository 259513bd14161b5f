/* sigsuspend as shells use it to wait for a child: SIGCHLD blocked while
 * the shell looks at its jobs, then sigsuspend with it unblocked.  A signal
 * that came while it was blocked must end the sigsuspend at once, and the
 * caller's mask is back when sigsuspend returns. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t chld, usr1;
static void on_chld(int s) { (void)s; chld++; }
static void on_usr1(int s) { (void)s; usr1++; }

static int blocked(int s) {
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    return sigismember(&now, s);
}

int main(void) {
    signal(SIGCHLD, on_chld);
    signal(SIGUSR1, on_usr1);
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);

    pid_t child = fork();
    if (child == 0) _exit(3);
    /* The child has ended (or ends) while every signal is blocked. */
    int st;
    while (waitid(P_PID, child, NULL, WEXITED | WNOWAIT) != 0) {}
    printf("pending before: %d\n", chld);
    int r = sigsuspend(&old);
    printf("sigsuspend: %d %s, handler ran %d\n", r, r < 0 && errno == EINTR ? "EINTR" : "?", chld);
    printf("mask back: SIGUSR1 blocked %d, SIGCHLD blocked %d\n", blocked(SIGUSR1), blocked(SIGCHLD));
    waitpid(child, &st, 0);
    printf("child status %d\n", WEXITSTATUS(st));

    /* A pending signal the new mask still blocks does not end it: SIGCHLD
     * stays blocked, SIGUSR1 (sent by a second child later) ends it. */
    sigset_t only_usr1 = all;
    sigdelset(&only_usr1, SIGUSR1);
    pid_t parent = getpid();
    child = fork();
    if (child == 0) {
        usleep(50000);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    r = sigsuspend(&only_usr1);
    printf("second sigsuspend: %d, usr1 %d, chld %d\n", r, usr1, chld);
    waitpid(child, &st, 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("after unblocking: chld %d\n", chld);
    return 0;
}
