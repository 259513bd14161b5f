/* (g) Page-fault cost: map MIB MiB of fresh anonymous memory and write one
 * byte per page (each write is a demand-zero fault), then sweep the same
 * pages again (no fault on Linux; under an emulator this is the cost of
 * refilling its software TLB).
 *
 * usage: pagefault [MIB]
 */
#include <sys/mman.h>
#include "bench.h"

int main(int argc, char **argv) {
    long mib = arg_count(argc, argv, 1, 128);
    size_t size = (size_t)mib << 20, page = 4096, pages = size / page;

    volatile char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        die("mmap");

    double t0 = now_s();
    for (size_t i = 0; i < pages; i++)
        mem[i * page] = 1;
    double t1 = now_s();
    for (size_t i = 0; i < pages; i++)
        mem[i * page] = 2;
    double t2 = now_s();

    metric("inner", t1 - t0, "s");
    metric("first_touch", (t1 - t0) / pages * 1e6, "us");
    metric("second_sweep", (t2 - t1) / pages * 1e6, "us");
    return 0;
}
