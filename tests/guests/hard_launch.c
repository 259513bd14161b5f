/* hard_launch.c: violet_launch under the rights and budgets.
 *
 *   rights           whether the program holds proc.launch, and what a
 *                    launch gives (the launched copy runs "hello", and
 *                    the launcher waits until it is gone)
 *   budget N         launch up to N copies that pause; print how many
 *                    started before a launch failed, and with what
 *   signal           launch a copy that pauses and kill it (SIGTERM)
 *   outlive          launch a copy that prints a line after 1 s, then exit
 *                    at once: the launched application must end with it
 *   hello / pause / late   what the launched copies do
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pm_check.h"
#include "violet.h"

static const char *errname(int e)
{
    switch (e) {
    case EPERM: return "EPERM";
    case EAGAIN: return "EAGAIN";
    case ENOSYS: return "ENOSYS";
    case ENOENT: return "ENOENT";
    default: return strerror(e);
    }
}

static void wait_gone(long pid)
{
    while (violet_kind((int)pid) >= 0)
        usleep(1000);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    const char *self = argv[0];
    if (!strcmp(mode, "hello")) {
        say("hello from a launched application (kind %ld)\n", violet_kind(0));
        return 0;
    }
    if (!strcmp(mode, "pause")) {
        pause();
        return 0;
    }
    if (!strcmp(mode, "late")) {
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL);
        say("the launched application outlived its launcher\n");
        return 0;
    }
    if (!strcmp(mode, "rights")) {
        long r = violet_rights();
        say("launch right: %s\n", (r & VIOLET_RIGHT_LAUNCH) ? "yes" : "no");
        char *args[] = {(char *)self, "hello", NULL};
        long pid = violet_launch(self, args);
        if (pid < 0) {
            say("launch: %s\n", errname(errno));
            return 0;
        }
        wait_gone(pid);
        say("launch: ok\n");
        return 0;
    }
    if (!strcmp(mode, "budget")) {
        int n = argc > 2 ? atoi(argv[2]) : 10;
        char *args[] = {(char *)self, "pause", NULL};
        int started = 0;
        for (; started < n; started++) {
            if (violet_launch(self, args) < 0) {
                say("launched %d, then %s\n", started, errname(errno));
                return 0;
            }
        }
        say("launched %d\n", started);
        return 0;
    }
    if (!strcmp(mode, "signal")) {
        /* The launcher may signal what it launched, without proc.signal:
         * it is in its subtree for this. */
        char *args[] = {(char *)self, "pause", NULL};
        long pid = violet_launch(self, args);
        CHECK(pid > 0, "violet_launch: %s", errname(errno));
        if (kill((pid_t)pid, SIGTERM) < 0) {
            say("kill: %s\n", errname(errno));
            return 0;
        }
        wait_gone(pid);
        say("kill: ok\n");
        return 0;
    }
    if (!strcmp(mode, "outlive")) {
        char *args[] = {(char *)self, "late", NULL};
        long pid = violet_launch(self, args);
        CHECK(pid > 0, "violet_launch: %s", errname(errno));
        say("the launcher exits\n");
        return 0;
    }
    say("unknown mode %s\n", mode);
    return 2;
}
