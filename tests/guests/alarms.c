/* setitimer, getitimer and alarm: SIGALRM on time, intervals, defaults. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile int rings;

static void on_alarm(int sig) { (void)sig; rings++; }

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "default")) {
        alarm(1);
        for (;;) pause();  /* SIGALRM's default action ends the process */
    }
    signal(SIGALRM, on_alarm);

    /* alarm: pause is interrupted by the handler. */
    printf("alarm(1) returns %u\n", alarm(1));
    int r = pause();
    printf("pause: %d %s, rings %d\n", r, errno == EINTR ? "EINTR" : "?", rings);
    printf("alarm(5) then alarm(0) returns %u\n", (alarm(5), alarm(0)));

    /* An interval timer: five rings, then disarmed. */
    struct itimerval every = {{0, 20000}, {0, 20000}}, off = {{0, 0}, {0, 0}}, cur;
    setitimer(ITIMER_REAL, &every, NULL);
    getitimer(ITIMER_REAL, &cur);
    printf("interval %ld us, armed %d\n", (long)cur.it_interval.tv_usec, cur.it_value.tv_usec > 0);
    while (rings < 6) pause();
    setitimer(ITIMER_REAL, &off, NULL);
    getitimer(ITIMER_REAL, &cur);
    printf("rings %d, disarmed %d\n", rings, cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
    printf("ITIMER_VIRTUAL: %s\n", setitimer(ITIMER_VIRTUAL, &every, NULL) == 0 ? "ok" : strerror(errno));
    return 0;
}
