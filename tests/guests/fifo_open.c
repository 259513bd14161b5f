/* fifo_open: a FIFO in the file system (argv[2]) opened or exec'd with no
 * other end: the kernel must not wait on the host for one.
 *
 *   read:  open for reading, then read: waits for a writer, as on Linux
 *          (where the open itself waits);
 *   write: open for writing: waits for a reader, as on Linux;
 *   exec:  execve of it: EACCES.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    if (!strcmp(argv[1], "read")) {
        char c;
        int fd = open(argv[2], O_RDONLY);
        printf("open for reading: %s, read: %zd\n", fd >= 0 ? "ok" : strerror(errno), fd >= 0 ? read(fd, &c, 1) : -1);
    } else if (!strcmp(argv[1], "write")) {
        int fd = open(argv[2], O_WRONLY);
        printf("open for writing: %s\n", fd >= 0 ? "ok" : errno == ENXIO ? "ENXIO" : strerror(errno));
    } else {
        char *args[] = {argv[2], NULL};
        execv(argv[2], args);
        printf("exec: %s\n", errno == EACCES ? "EACCES" : strerror(errno));
    }
    return 0;
}
