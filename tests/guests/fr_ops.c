/* fr_ops: file operations named on the command line, one result line each
 * ("OP ARG: ok" or "OP ARG: EACCES"), for the file-rights tests.
 *
 *   w P          open(P, O_WRONLY|O_CREAT|O_TRUNC) and write "x"
 *   a P          open(P, O_WRONLY|O_APPEND), no creation, and write "y"
 *   r P          open(P, O_RDONLY) and read it
 *   rw P         open(P, O_RDWR)
 *   creat P      creat(P)
 *   ls D         opendir + readdir
 *   mkdir P | rmdir P | unlink P | mkfifo P | chmod P | truncate P | utime P
 *   rename A B | link A B | symlink TARGET P
 *   at D NAME    open D (O_RDONLY|O_DIRECTORY), then openat(dfd, NAME, O_WRONLY|O_CREAT)
 *   procfd P     open P O_RDONLY, then open /proc/self/fd/N O_WRONLY (a re-open for writing)
 *   access P     access(P, W_OK)
 *   status       print the VioletRights line of /proc/self/status
 *   only-write P1,P2,...   violet_restrict_paths(FS_WRITE, {P1, P2, ...}, VIOLET_PATHS_ONLY)
 *   only-read P1,...       the same for fs.read
 *   except-write P1,...    violet_restrict_paths(FS_WRITE, ..., VIOLET_PATHS_EXCEPT)
 *   drop-write   violet_drop(VIOLET_RIGHT_FS_WRITE)
 *   fork         the rest runs in a child; the parent waits and exits with its status
 *   exec         execve this program with the remaining arguments
 *   run P        fork, execve P in the child, print its exit status (127 when execve failed)
 *   launch P     violet_launch(P): a new application (ok, or the error)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <violet.h>

static const char *ename(int e) {
    switch (e) {
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EBADF: return "EBADF";
    case EXDEV: return "EXDEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOSYS: return "ENOSYS";
    default: {
        static char buf[32];
        snprintf(buf, sizeof buf, "errno %d", e);
        return buf;
    }
    }
}

static void report(const char *op, const char *a, const char *b, int rc) {
    if (b)
        printf("%s %s %s: %s\n", op, a, b, rc < 0 ? ename(errno) : "ok");
    else if (a)
        printf("%s %s: %s\n", op, a, rc < 0 ? ename(errno) : "ok");
    else
        printf("%s: %s\n", op, rc < 0 ? ename(errno) : "ok");
    fflush(stdout);
}

static int restrict_list(long right, char *list, int flags) {
    const char *paths[65];
    int n = 0;
    for (char *p = strtok(list, ","); p && n < 64; p = strtok(NULL, ","))
        paths[n++] = p;
    paths[n] = NULL;
    return (int)violet_restrict_paths(right, paths, flags);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *op = argv[i];
        const char *a = i + 1 < argc ? argv[i + 1] : "";
        const char *b = i + 2 < argc ? argv[i + 2] : "";
        int rc;
        if (!strcmp(op, "w") || !strcmp(op, "a")) {
            int fd = strcmp(op, "w") ? open(a, O_WRONLY | O_APPEND) : open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            rc = fd < 0 ? -1 : 0;
            if (fd >= 0) {
                if (write(fd, strcmp(op, "w") ? "y" : "x", 1) != 1)
                    rc = -1;
                close(fd);
            }
            report(op, a, NULL, rc), i++;
        } else if (!strcmp(op, "r") || !strcmp(op, "rw")) {
            int fd = open(a, strcmp(op, "r") ? O_RDWR : O_RDONLY);
            rc = fd;
            if (fd >= 0) {
                char buf[64];
                if (read(fd, buf, sizeof buf) < 0 && errno != EISDIR)
                    rc = -1;
                close(fd);
            }
            report(op, a, NULL, rc), i++;
        } else if (!strcmp(op, "creat")) {
            int fd = creat(a, 0644);
            if (fd >= 0)
                close(fd);
            report(op, a, NULL, fd), i++;
        } else if (!strcmp(op, "ls")) {
            DIR *d = opendir(a);
            int n = 0;
            if (d) {
                while (readdir(d))
                    n++;
                closedir(d);
            }
            report(op, a, NULL, d ? 0 : -1), i++;
        } else if (!strcmp(op, "mkdir")) {
            report(op, a, NULL, mkdir(a, 0755)), i++;
        } else if (!strcmp(op, "rmdir")) {
            report(op, a, NULL, rmdir(a)), i++;
        } else if (!strcmp(op, "unlink")) {
            report(op, a, NULL, unlink(a)), i++;
        } else if (!strcmp(op, "mkfifo")) {
            report(op, a, NULL, mkfifo(a, 0644)), i++;
        } else if (!strcmp(op, "chmod")) {
            report(op, a, NULL, chmod(a, 0600)), i++;
        } else if (!strcmp(op, "truncate")) {
            report(op, a, NULL, truncate(a, 0)), i++;
        } else if (!strcmp(op, "utime")) {
            report(op, a, NULL, utimensat(AT_FDCWD, a, NULL, 0)), i++;
        } else if (!strcmp(op, "access")) {
            report(op, a, NULL, access(a, W_OK)), i++;
        } else if (!strcmp(op, "rename")) {
            report(op, a, b, rename(a, b)), i += 2;
        } else if (!strcmp(op, "link")) {
            report(op, a, b, link(a, b)), i += 2;
        } else if (!strcmp(op, "symlink")) {
            report(op, a, b, symlink(a, b)), i += 2;
        } else if (!strcmp(op, "at")) {
            int d = open(a, O_RDONLY | O_DIRECTORY);
            rc = d;
            if (d >= 0) {
                int fd = openat(d, b, O_WRONLY | O_CREAT, 0644);
                rc = fd;
                if (fd >= 0)
                    close(fd);
                close(d);
            }
            report(op, a, b, rc), i += 2;
        } else if (!strcmp(op, "procfd")) {
            int fd = open(a, O_RDONLY);
            rc = fd;
            if (fd >= 0) {
                char p[64];
                snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
                int w = open(p, O_WRONLY);
                rc = w;
                if (w >= 0) {
                    if (write(w, "z", 1) != 1)
                        rc = -1;
                    close(w);
                }
                close(fd);
            }
            report(op, a, NULL, rc), i++;
        } else if (!strcmp(op, "status")) {
            FILE *f = fopen("/proc/self/status", "r");
            char line[512];
            while (f && fgets(line, sizeof line, f))
                if (!strncmp(line, "VioletRights:", 13))
                    fputs(line, stdout);
            if (f)
                fclose(f);
            else
                report(op, NULL, NULL, -1);
            fflush(stdout);
        } else if (!strcmp(op, "only-write") || !strcmp(op, "only-read") || !strcmp(op, "except-write")) {
            char *list = strdup(a);
            long right = strcmp(op, "only-read") ? VIOLET_RIGHT_FS_WRITE : VIOLET_RIGHT_FS_READ;
            rc = restrict_list(right, list, strcmp(op, "except-write") ? VIOLET_PATHS_ONLY : VIOLET_PATHS_EXCEPT);
            report(op, a, NULL, rc), i++;
        } else if (!strcmp(op, "drop-write")) {
            report(op, NULL, NULL, (int)violet_drop(VIOLET_RIGHT_FS_WRITE));
        } else if (!strcmp(op, "fork")) {
            pid_t pid = fork();
            if (pid < 0) {
                report(op, NULL, NULL, -1);
                return 1;
            }
            if (pid > 0) {
                int st;
                waitpid(pid, &st, 0);
                return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            }
        } else if (!strcmp(op, "exec")) {
            argv[i] = argv[0];
            execv("/proc/self/exe", argv + i);
            report(op, NULL, NULL, -1);
            return 1;
        } else if (!strcmp(op, "launch")) {
            char *args[] = {(char *)a, NULL};
            long pid = violet_launch(a, args);
            report(op, a, NULL, pid < 0 ? -1 : 0), i++;
        } else if (!strcmp(op, "run")) {
            pid_t pid = fork();
            if (pid == 0) {
                char *args[] = {(char *)a, NULL};
                execv(a, args);
                printf("execve %s: %s\n", a, ename(errno));
                fflush(stdout);
                _exit(127);
            }
            int st = 0;
            waitpid(pid, &st, 0);
            printf("run %s: status %d\n", a, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
            fflush(stdout);
            i++;
        } else {
            fprintf(stderr, "fr_ops: unknown op %s\n", op);
            return 2;
        }
    }
    return 0;
}
