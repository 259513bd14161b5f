/* (h) Small files: N files of KIB KiB in a fresh directory under /tmp,
 * in four phases timed apart, each reported in microseconds per file:
 *   create: open(O_CREAT|O_EXCL|O_WRONLY) + close (an empty file);
 *   write:  open(O_WRONLY) + write KIB KiB + close;
 *   read:   open(O_RDONLY) + read it all + close, and check the bytes;
 *   delete: unlink.
 * The directory is removed at the end.
 *
 * usage: files [N] [KIB]
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"

int main(int argc, char **argv) {
    long n = arg_count(argc, argv, 1, 1000);
    long kib = arg_count(argc, argv, 2, 4);
    size_t size = (size_t)kib << 10;
    char dir[] = "/tmp/violet-bench-files-XXXXXX";
    if (!mkdtemp(dir))
        die("mkdtemp");
    char *data = malloc(size), *back = malloc(size);
    if (!data || !back)
        die("malloc");
    char path[128];
    double t[5];

    t[0] = now_s();
    for (long i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/f%ld", dir, i);
        int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd < 0 || close(fd) < 0)
            die("create");
    }
    t[1] = now_s();
    for (long i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/f%ld", dir, i);
        memset(data, (int)(i & 0xff), size);
        int fd = open(path, O_WRONLY);
        if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd) < 0)
            die("write");
    }
    t[2] = now_s();
    for (long i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/f%ld", dir, i);
        int fd = open(path, O_RDONLY);
        if (fd < 0 || read(fd, back, size + 1) != (ssize_t)size || close(fd) < 0)
            die("read");
        if (back[0] != (char)(i & 0xff) || back[size - 1] != (char)(i & 0xff)) {
            fprintf(stderr, "file %ld has the wrong bytes\n", i);
            return 1;
        }
    }
    t[3] = now_s();
    for (long i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/f%ld", dir, i);
        if (unlink(path) < 0)
            die("unlink");
    }
    t[4] = now_s();
    if (rmdir(dir) < 0)
        die("rmdir");

    printf("check files %ld\n", n);
    metric("create", (t[1] - t[0]) / n * 1e6, "us");
    metric("write", (t[2] - t[1]) / n * 1e6, "us");
    metric("read", (t[3] - t[2]) / n * 1e6, "us");
    metric("delete", (t[4] - t[3]) / n * 1e6, "us");
    metric("inner", t[4] - t[0], "s");
    return 0;
}
