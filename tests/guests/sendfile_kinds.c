/* sendfile takes its input from regular files only: a pipe is EINVAL (as
 * Linux, whose pipes have no splice_read); from a file it copies, with or
 * without an offset.  Run in an empty directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2 || chdir(argv[1]) != 0) return 2;
    int in[2], out[2];
    pipe(in);
    pipe(out);
    pid_t c = fork();
    if (c == 0) {
        usleep(50000);
        write(in[1], "late", 4);
        _exit(0);
    }
    close(in[1]);
    ssize_t n = sendfile(out[1], in[0], NULL, 4096);
    printf("from a pipe: %zd %s\n", n, n < 0 && errno == EINVAL ? "EINVAL" : "?");
    waitpid(c, NULL, 0);

    int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(fd, "0123456789", 10);
    lseek(fd, 2, SEEK_SET);
    n = sendfile(out[1], fd, NULL, 5);
    char buf[32] = {0};
    read(out[0], buf, sizeof buf - 1);
    printf("from a file: %zd %s, offset now %lld\n", n, buf, (long long)lseek(fd, 0, SEEK_CUR));
    off_t off = 7;
    memset(buf, 0, sizeof buf);
    n = sendfile(out[1], fd, &off, 100);
    read(out[0], buf, sizeof buf - 1);
    printf("with an offset: %zd %s, off %lld, file offset %lld\n", n, buf, (long long)off,
           (long long)lseek(fd, 0, SEEK_CUR));
    printf("at the end: %zd\n", sendfile(out[1], fd, &off, 100));
    unlink("f");
    return 0;
}
