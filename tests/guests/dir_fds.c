/* dir_fds DIR N: open DIR N times and read one entry from each; then list
 * DIR through a small buffer, twice (the second time after rewinding), and
 * print how many names each listing gave. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long count(int fd) {
    char buf[256];
    long names = 0, got;
    while ((got = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < got;) {
            struct dirent *d = (struct dirent *)(buf + off);
            names += strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
            off += d->d_reclen;
        }
    return got < 0 ? -1 : names;
}

int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    int n = atoi(argv[2]);
    char one[64];
    for (int i = 0; i < n; i++) {
        int fd = open(argv[1], O_RDONLY | O_DIRECTORY);
        if (fd < 0 || syscall(SYS_getdents64, fd, one, sizeof one) <= 0)
            return 3;
    }
    int fd = open(argv[1], O_RDONLY | O_DIRECTORY);
    long first = count(fd);
    lseek(fd, 0, SEEK_SET);
    printf("%d held; listed %ld names, then %ld after rewinding\n", n, first, count(fd));
    return 0;
}
