/* sparse_files: a huge sparse file (1 GiB of holes with a few bytes of
 * data) mapped and exec'd.  The kernel must read only the data: under a
 * small --mem, with host memory to spare.
 *
 *   map:  the mapping shows the data where it is and zeros elsewhere,
 *         whole or from an offset;
 *   exec: a file that starts as an ELF file and is 1 GiB of holes fails
 *         with ENOEXEC (and the caller goes on).
 *
 * The file is created in the directory given as argv[2].
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SIZE (1UL << 30)
#define MID (SIZE / 2 + 100)

int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    char path[4096];
    snprintf(path, sizeof path, "%s/sparse-%d", argv[2], getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0755);
    if (fd < 0 || ftruncate(fd, SIZE))
        return 3;
    if (!strcmp(argv[1], "map")) {
        pwrite(fd, "hello", 5, MID);
        pwrite(fd, "tail", 4, SIZE - 4);
        char *p = mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            printf("mmap failed: errno %d\n", errno);
        } else {
            int zeros = p[0] == 0 && p[MID - 1] == 0 && p[MID + 5] == 0 && p[SIZE / 4] == 0;
            printf("whole: \"%.5s\" \"%.4s\", zeros %s\n", p + MID, p + SIZE - 4, zeros ? "elsewhere" : "MISSING");
            char *q = mmap(NULL, SIZE / 2, PROT_READ, MAP_PRIVATE, fd, SIZE / 2);
            printf("from the middle: \"%.5s\"\n", q == MAP_FAILED ? "?" : q + 100);
        }
    } else {
        pwrite(fd, "\177ELF", 4, 0);
        close(fd);
        char *args[] = {path, NULL};
        execv(path, args);
        printf("exec: %s\n", errno == ENOEXEC ? "ENOEXEC" : strerror(errno));
    }
    unlink(path);
    return 0;
}
