/* enosys_many: 10000 different syscall numbers without a Linux name, each
 * failing with ENOSYS; the program counts the failures. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    int enosys = 0;
    for (long nr = 100000; nr < 110000; nr++) {
        errno = 0;
        if (syscall(nr) == -1 && errno == ENOSYS)
            enosys++;
    }
    printf("%d ENOSYS\n", enosys);
    return 0;
}
