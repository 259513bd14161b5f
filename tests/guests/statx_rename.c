/* statx, renameat2 (NOREPLACE and EXCHANGE) and fchmodat(2), through raw
 * syscalls so that the C library's fallbacks cannot hide a missing call;
 * run in an empty directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static void put(const char *name, const char *text) {
    int fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, text, strlen(text));
    close(fd);
}

static void show(const char *name) {
    char buf[32] = {0};
    int fd = open(name, O_RDONLY);
    read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("%s holds %s\n", name, buf);
}

static long res(long r) { return r < 0 ? -errno : r; }

int main(int argc, char **argv) {
    if (argc < 2 || chdir(argv[1]) != 0) return 2;
    put("a", "alpha");
    put("b", "bravo!");

    struct statx sx;
    struct stat st;
    memset(&sx, 0xff, sizeof sx);
    printf("statx: %ld\n", res(syscall(SYS_statx, AT_FDCWD, "b", 0, STATX_BASIC_STATS, &sx)));
    stat("b", &st);
    printf("basic stats present: %d\n", (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
    printf("size %llu, regular %d, mode %o\n", (unsigned long long)sx.stx_size, S_ISREG(sx.stx_mode),
           sx.stx_mode & 07777);
    printf("same as stat: ino %d, nlink %d, mtime %d, dev %d\n", sx.stx_ino == st.st_ino,
           sx.stx_nlink == st.st_nlink, sx.stx_mtime.tv_sec == st.st_mtim.tv_sec &&
           sx.stx_mtime.tv_nsec == (unsigned)st.st_mtim.tv_nsec,
           makedev(sx.stx_dev_major, sx.stx_dev_minor) == st.st_dev);
    int fd = open("a", O_RDONLY);
    printf("statx empty path: %ld, size %llu\n",
           res(syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx)),
           (unsigned long long)sx.stx_size);
    symlink("a", "l");
    syscall(SYS_statx, AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx);
    printf("statx nofollow is a link: %d\n", S_ISLNK(sx.stx_mode));
    printf("statx missing: %ld\n", res(syscall(SYS_statx, AT_FDCWD, "nope", 0, STATX_BASIC_STATS, &sx)));
    printf("statx bad flags: %ld\n", res(syscall(SYS_statx, AT_FDCWD, "a", 0x40000000, STATX_BASIC_STATS, &sx)));

    printf("noreplace onto existing: %ld\n",
           res(syscall(SYS_renameat2, AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE)));
    printf("exchange: %ld\n", res(syscall(SYS_renameat2, AT_FDCWD, "a", AT_FDCWD, "b", RENAME_EXCHANGE)));
    show("a");
    show("b");
    printf("exchange with missing: %ld\n",
           res(syscall(SYS_renameat2, AT_FDCWD, "a", AT_FDCWD, "c", RENAME_EXCHANGE)));
    printf("noreplace onto new: %ld\n", res(syscall(SYS_renameat2, AT_FDCWD, "a", AT_FDCWD, "c", RENAME_NOREPLACE)));
    show("c");
    printf("both flags: %ld\n",
           res(syscall(SYS_renameat2, AT_FDCWD, "b", AT_FDCWD, "d", RENAME_NOREPLACE | RENAME_EXCHANGE)));

    printf("fchmodat: %ld\n", res(syscall(SYS_fchmodat, AT_FDCWD, "c", 0600)));
    stat("c", &st);
    printf("mode %o\n", st.st_mode & 07777);
    printf("fchmodat2 nofollow on link: %ld\n",
           res(syscall(SYS_fchmodat2, AT_FDCWD, "l", 0600, AT_SYMLINK_NOFOLLOW)));
    printf("fchmodat2 bad flags: %ld\n", res(syscall(SYS_fchmodat2, AT_FDCWD, "c", 0600, 0x4)));
    unlink("l");
    unlink("b");
    unlink("c");
    return 0;
}
