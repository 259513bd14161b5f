/* fd_path_moved: calls on a descriptor act on its file, whatever now
 * stands at the path it was opened by; a link's own existence is asked
 * about without following it.
 *
 *   fd_path_moved MODE SCRATCH OUTSIDE
 *
 * SCRATCH is created and becomes the cwd; OUTSIDE is a directory (under
 * Violet, one outside the root) holding `host-only-file`.
 *
 *   list:    a directory is opened, renamed, and a link to OUTSIDE put in
 *            its place; getdents on the descriptor lists the directory;
 *   fexecve: the program opened by descriptor runs with execveat(fd, "",
 *            AT_EMPTY_PATH);
 *   access:  faccessat2(AT_SYMLINK_NOFOLLOW) of a dangling link is 0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int compare(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(int fd) {
    char buf[4096], *names[64];
    int n = 0;
    long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
    for (long off = 0; off < got && n < 64;) {
        struct dirent *d = (struct dirent *)(buf + off);
        if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
            names[n++] = strdup(d->d_name);
        off += d->d_reclen;
    }
    qsort(names, n, sizeof *names, compare);
    printf("listing:");
    for (int i = 0; i < n; i++)
        printf(" %s", names[i]);
    printf("\n");
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "child")) {
        printf("run by fexecve\n");
        return 0;
    }
    if (argc != 4)
        return 2;
    const char *mode = argv[1], *outside = argv[3];
    mkdir(argv[2], 0755);
    if (chdir(argv[2]))
        return 2;
    if (!strcmp(mode, "list")) {
        mkdir("d", 0755);
        close(open("d/mine", O_CREAT | O_WRONLY, 0644));
        int fd = open("d", O_RDONLY | O_DIRECTORY);
        if (fd < 0 || rename("d", "d2") || symlink(outside, "d"))
            return 3;
        list(fd);
    } else if (!strcmp(mode, "fexecve")) {
        int fd = open(argv[0], O_RDONLY);
        char *args[] = {argv[0], "child", NULL}, *env[] = {NULL};
        syscall(SYS_execveat, fd, "", args, env, AT_EMPTY_PATH);
        printf("execveat failed: errno %d\n", errno);
    } else if (!strcmp(mode, "access")) {
        if (symlink("/no/such/target", "dangling"))
            return 3;
        long r = syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW);
        printf("access to the link itself: %ld\n", r == 0 ? 0 : (long)errno);
    }
    return 0;
}
