/* File calls that tools use: link, symlink, readlink, truncate, utimensat,
 * statfs, fallocate, chown to oneself; run in an empty directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2 || chdir(argv[1]) != 0) return 2;
    int fd = open("a", O_CREAT | O_WRONLY, 0644);
    write(fd, "hello world", 11);
    printf("link: %d\n", link("a", "b"));
    struct stat st;
    stat("a", &st);
    printf("nlink: %ld\n", (long)st.st_nlink);
    printf("symlink: %d\n", symlink("a", "c"));
    char buf[64] = {0};
    printf("readlink: %zd %s\n", readlink("c", buf, sizeof buf), buf);
    printf("truncate: %d\n", truncate("c", 5));
    stat("a", &st);
    printf("size: %lld\n", (long long)st.st_size);
    struct timespec ts[2] = {{1000000000, 0}, {1234567890, 500}};
    printf("utimensat: %d\n", utimensat(AT_FDCWD, "a", ts, 0));
    stat("a", &st);
    printf("mtime: %lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct statfs sf;
    printf("statfs: %d, blocks>0 %d\n", statfs(".", &sf), sf.f_blocks > 0);
    printf("fallocate: %d\n", fallocate(fd, 0, 0, 8192));
    fstat(fd, &st);
    printf("size after fallocate: %lld\n", (long long)st.st_size);
    printf("chown to self: %d\n", chown("a", getuid(), getgid()));
    printf("unlink b: %d, c: %d\n", unlink("b"), unlink("c"));
    stat("a", &st);
    printf("nlink: %ld\n", (long)st.st_nlink);
    return 0;
}
