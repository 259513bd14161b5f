/* host_proc_self: with the host's root, the host's /proc reached by another
 * spelling than /proc/... (which is the guest's own /proc) must not open
 * Violet's own process: its environment and memory are the kernel's.
 * Each line names a path and what opening it gave.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void try(const char *path, int flags) {
    int fd = open(path, flags);
    printf("%s: %s\n", path, fd >= 0 ? "opened" : errno == EACCES ? "EACCES" : strerror(errno));
    if (fd >= 0)
        close(fd);
}

int main(void) {
    try("//proc/self/environ", O_RDONLY);
    try("//proc/self/mem", O_RDWR);
    try("/./proc/thread-self/mem", O_RDONLY);
    char link[64] = {0};
    printf("readlink //proc/self: %s\n", readlink("//proc/self", link, sizeof link - 1) < 0 && errno == EACCES ? "EACCES" : "answered");
    return 0;
}
