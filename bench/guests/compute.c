/* (a) Compute: integer work with no system calls in the timed section.
 *
 * A dependent chain of 64-bit multiplies, shifts and xors (a hash) mixed
 * with loads and stores into a 64 KiB table, so that both the ALU path and
 * the memory path of the translated code are exercised.
 *
 * usage: compute [ROUNDS]   (each round is 1 Mi hash steps)
 */
#include <stdint.h>
#include "bench.h"

#define TABLE 8192 /* uint64_t entries: 64 KiB */

static uint64_t table[TABLE];

int main(int argc, char **argv) {
    long rounds = arg_count(argc, argv, 1, 160);
    for (int i = 0; i < TABLE; i++)
        table[i] = (uint64_t)i * 0x9e3779b97f4a7c15ULL;

    double t0 = now_s();
    uint64_t h = 0x243f6a8885a308d3ULL;
    for (long r = 0; r < rounds; r++) {
        for (long i = 0; i < (1L << 20); i++) {
            h ^= h >> 29;
            h *= 0xbf58476d1ce4e5b9ULL;
            h ^= h >> 32;
            uint64_t *slot = &table[h & (TABLE - 1)];
            h += *slot;
            *slot = h ^ (uint64_t)i;
        }
    }
    double t1 = now_s();

    printf("check checksum %016llx\n", (unsigned long long)h);
    metric("inner", t1 - t0, "s");
    metric("steps_per_s", (double)rounds * (1 << 20) / (t1 - t0) / 1e6, "M/s");
    return 0;
}
