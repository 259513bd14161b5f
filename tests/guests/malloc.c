/* malloc: small and large blocks through the libc allocator, with their
 * contents checked.  Every block is filled with a pattern that depends on
 * its address-independent index, read back, and folded into a checksum
 * that is printed, so the compiler cannot drop the work.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fold(uint64_t sum, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) sum = sum * 1099511628211u + p[i];
    return sum;
}

static void fill(unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 12));
}

static int check(const unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed * 31 + i * 7 + (i >> 12))) return 0;
    return 1;
}

#define SMALL 600

int main(void) {
    /* Many small blocks of assorted sizes, all alive at once. */
    static unsigned char *blocks[SMALL];
    uint64_t sum = 14695981039346656037u;
    int bad = 0;
    for (int i = 0; i < SMALL; i++) {
        size_t n = 1 + (size_t)(i * 37) % 2000;
        blocks[i] = malloc(n);
        if (!blocks[i]) { printf("small malloc %d failed\n", i); return 1; }
        fill(blocks[i], n, i);
    }
    for (int i = 0; i < SMALL; i++) {
        size_t n = 1 + (size_t)(i * 37) % 2000;
        bad += !check(blocks[i], n, i);
        sum = fold(sum, blocks[i], n);
    }
    /* Free every other block, allocate again, and check the survivors. */
    for (int i = 0; i < SMALL; i += 2) free(blocks[i]);
    for (int i = 0; i < SMALL; i += 2) {
        size_t n = 1 + (size_t)(i * 37) % 2000;
        blocks[i] = malloc(n);
        fill(blocks[i], n, i + 1000);
    }
    for (int i = 0; i < SMALL; i++) {
        size_t n = 1 + (size_t)(i * 37) % 2000;
        bad += !check(blocks[i], n, i % 2 ? i : i + 1000);
    }
    for (int i = 0; i < SMALL; i++) free(blocks[i]);
    printf("small blocks: %d bad, checksum %016llx\n", bad, (unsigned long long)sum);

    /* calloc memory is zero, including a large block the allocator maps. */
    unsigned char *z = calloc(1, 3 << 20);
    size_t nonzero = 0;
    for (size_t i = 0; i < (3u << 20); i += 1) nonzero += z[i] != 0;
    printf("calloc 3 MiB: %zu nonzero bytes\n", nonzero);
    free(z);

    /* Large blocks: 16 MiB written and read back. */
    size_t big = 16u << 20;
    unsigned char *volatile b = malloc(big);
    if (!b) { printf("large malloc failed\n"); return 1; }
    fill(b, big, 5);
    printf("large block: %s, checksum %016llx\n", check(b, big, 5) ? "ok" : "BAD",
           (unsigned long long)fold(14695981039346656037u, b, big));

    /* realloc keeps the contents while growing (the allocator may move it). */
    unsigned char *r = malloc(100);
    fill(r, 100, 9);
    for (size_t n = 200; n <= (8u << 20); n *= 4) {
        r = realloc(r, n);
        if (!r || !check(r, 100, 9)) { printf("realloc to %zu lost the contents\n", n); return 1; }
    }
    printf("realloc: ok\n");
    free(r);
    free(b);
    return bad != 0;
}
