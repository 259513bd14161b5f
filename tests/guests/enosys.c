/* enosys: system calls the kernel does not have.
 *
 * 184 (tuxcall) and 183 (afs_syscall) have names but are not implemented
 * by Linux either; 1000 has no name.  Each must fail with ENOSYS and the
 * program carries on.  tuxcall is called twice.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

static void call(long nr) {
    errno = 0;
    long rc = syscall(nr, 1, 2, 3);
    printf("syscall %ld: rc %ld, %s\n", nr, rc, errno == ENOSYS ? "ENOSYS" : "other errno");
}

int main(void) {
    call(184);
    call(184);
    call(183);
    call(1000);
    printf("still running\n");
    return 0;
}
