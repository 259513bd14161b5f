/* proc_fds: /proc/self/fd and /dev/fd while holding a file, a pipe and
 * /dev/null, as Linux shows them.
 *
 *   proc_fds FILE EXE
 *
 * FILE is created (an absolute path with no links in it), EXE is this
 * program's own absolute path.  Each line states one fact; every line reads
 * the same natively and under Violet.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *link_of(const char *path) {
    static char buf[4096];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0)
        return strerror(errno);
    buf[n] = 0;
    return buf;
}

static const char *fd_link(int fd) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return link_of(path);
}

int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    int file = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
    int p[2];
    if (file < 0 || pipe(p))
        return 3;
    int null = open("/dev/null", O_WRONLY);

    /* The listing: every descriptor held, the directory's own included. */
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 4;
    int seen[64] = {0}, others = 0, dots = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
            dots++;
            continue;
        }
        int n = atoi(e->d_name);
        if (n >= 0 && n < 64 && e->d_type == DT_LNK)
            seen[n] = 1;
        else
            others++;
    }
    int own = dirfd(d);
    printf("listing: dots %d, 0-2 %d, file %d, pipe %d %d, null %d, own %d, others %d\n", dots,
           seen[0] && seen[1] && seen[2], seen[file], seen[p[0]], seen[p[1]], seen[null], seen[own], others);
    closedir(d);

    /* The links. */
    printf("file link is the path: %d\n", !strcmp(fd_link(file), argv[1]));
    struct stat ps;
    fstat(p[0], &ps);
    char want[64];
    snprintf(want, sizeof want, "pipe:[%lu]", (unsigned long)ps.st_ino);
    printf("pipe links: %d %d\n", !strcmp(fd_link(p[0]), want), !strcmp(fd_link(p[1]), want));
    printf("null link: %s\n", fd_link(null));
    printf("missing: %s\n", fd_link(999));
    printf("/dev/fd: %s\n", link_of("/dev/fd"));
    printf("exe is the program: %d\n", !strcmp(link_of("/proc/self/exe"), argv[2]));
    char cwd[4096];
    printf("cwd is getcwd: %d\n", getcwd(cwd, sizeof cwd) && !strcmp(link_of("/proc/self/cwd"), cwd));
    printf("root: %s\n", link_of("/proc/self/root"));
    char self[32];
    snprintf(self, sizeof self, "%d", getpid());
    printf("self is the pid: %d\n", !strcmp(link_of("/proc/self"), self));

    /* lstat sees the link, stat the file behind it. */
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", file);
    struct stat l, s, f;
    lstat(path, &l);
    stat(path, &s);
    fstat(file, &f);
    printf("lstat link %d, stat file %d\n", S_ISLNK(l.st_mode), S_ISREG(s.st_mode) && s.st_ino == f.st_ino);
    snprintf(path, sizeof path, "/dev/fd/%d", p[1]);
    stat(path, &s);
    printf("/dev/fd stat is the pipe: %d\n", S_ISFIFO(s.st_mode) && s.st_ino == ps.st_ino);

    /* Opening a link opens the same file again, with an offset of its own. */
    if (write(file, "hello", 5) != 5)
        return 5;
    snprintf(path, sizeof path, "/proc/self/fd/%d", file);
    int again = open(path, O_RDONLY);
    char buf[16] = {0};
    ssize_t got = again >= 0 ? read(again, buf, sizeof buf - 1) : -1;
    printf("reopened file reads: %s, own offset %ld, first %ld\n", got == 5 ? buf : "?",
           (long)lseek(again, 0, SEEK_CUR), (long)lseek(file, 0, SEEK_CUR));
    int nofollow = open(path, O_RDONLY | O_NOFOLLOW);
    printf("O_NOFOLLOW: %s\n", nofollow < 0 ? (errno == ELOOP ? "ELOOP" : strerror(errno)) : "opened");
    snprintf(path, sizeof path, "/dev/fd/%d", p[1]);
    int reader = open(path, O_RDONLY);
    if (write(p[1], "xy", 2) != 2)
        return 6;
    memset(buf, 0, sizeof buf);
    got = reader >= 0 ? read(reader, buf, sizeof buf - 1) : -1;
    printf("pipe reopened for reading reads: %s\n", got == 2 ? buf : "?");
    snprintf(path, sizeof path, "/proc/self/fd/%d/x", file);
    printf("a file's link as a directory: %s\n", open(path, O_RDONLY) < 0 && errno == ENOTDIR ? "ENOTDIR" : "?");
    return 0;
}
