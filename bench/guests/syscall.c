/* (b) System-call round trip: getppid, which every kernel answers at once
 * and no libc caches, issued as a raw syscall N times.
 *
 * usage: syscall [N]
 */
#include <unistd.h>
#include <sys/syscall.h>
#include "bench.h"

int main(int argc, char **argv) {
    long n = arg_count(argc, argv, 1, 100000);
    long sum = 0;

    double t0 = now_s();
    for (long i = 0; i < n; i++)
        sum += syscall(SYS_getppid);
    double t1 = now_s();

    if (sum != n * (long)getppid()) {
        fprintf(stderr, "getppid changed under us\n");
        return 1;
    }
    metric("inner", t1 - t0, "s");
    metric("per_call", (t1 - t0) / n * 1e6, "us");
    return 0;
}
