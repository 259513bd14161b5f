/* proc_peek: read /proc/PID/environ and /proc/PID/maps of another process
 * (argv[1] = PID), or wait (argv[1] = "wait") until killed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void peek(const char *pid, const char *what) {
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%s/%s", pid, what);
    int fd = open(path, O_RDONLY);
    long n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    printf("%s: %s\n", what, fd < 0 ? (errno == EACCES ? "EACCES" : strerror(errno)) : n > 0 ? "read" : "empty");
}

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    if (!strcmp(argv[1], "wait")) {
        pause();
        return 0;
    }
    peek(argv[1], "environ");
    peek(argv[1], "maps");
    peek(argv[1], "status");
    return 0;
}
