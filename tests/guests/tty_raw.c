/* A terminal program's start: is it a terminal, how big, then raw mode to
 * take single keys (poll, then read one byte that has no newline after
 * it), then the user's mode back for a line.  Run on a pseudo-terminal the
 * test drives; every line it prints is "name: value". */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static void say(const char *line) {
    write(1, line, strlen(line));
}

int main(void) {
    char buf[256];
    struct winsize ws;
    int got = ioctl(1, TIOCGWINSZ, &ws);
    snprintf(buf, sizeof buf, "terminals: %d %d %d\nsize: %d %dx%d\n", isatty(0), isatty(1), isatty(2), got,
             ws.ws_row, ws.ws_col);
    say(buf);
    snprintf(buf, sizeof buf, "foreground group is ours: %d\n", tcgetpgrp(0) == getpgrp());
    say(buf);

    struct termios old, raw, now;
    tcgetattr(0, &old);
    raw = old;
    raw.c_lflag &= ~(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    int set = tcsetattr(0, TCSANOW, &raw);
    tcgetattr(0, &now);
    snprintf(buf, sizeof buf, "raw: %d, canonical %d, echo %d\n", set, !!(now.c_lflag & ICANON),
             !!(now.c_lflag & ECHO));
    say(buf);

    struct pollfd p = {0, POLLIN, 0};
    int quiet = poll(&p, 1, 100);
    snprintf(buf, sizeof buf, "poll with no key: %d\n", quiet);
    say(buf);
    say("press a key\n");
    int r = poll(&p, 1, 10000);
    char key = 0;
    ssize_t n = read(0, &key, 1);
    snprintf(buf, sizeof buf, "poll: %d revents %#x, read %zd key %c\n", r, p.revents, n, key);
    say(buf);

    set = tcsetattr(0, TCSAFLUSH, &old);
    tcgetattr(0, &now);
    snprintf(buf, sizeof buf, "restored: %d, canonical %d, echo %d\n", set, !!(now.c_lflag & ICANON),
             !!(now.c_lflag & ECHO));
    say(buf);
    say("type a line\n");
    char line[64] = {0};
    n = read(0, line, sizeof line - 1);
    snprintf(buf, sizeof buf, "line: %zd %s", n, line);
    say(buf);
    return 0;
}
