/* brk: the program break through the raw syscall (musl's sbrk only
 * reports the break).  Grows the heap, writes every page, shrinks it,
 * grows it again and checks the regrown pages read as zero, as Linux
 * gives them.  Prints facts, not addresses (the break's start is
 * randomized on Linux).
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static uintptr_t brk_call(uintptr_t addr) { return (uintptr_t)syscall(SYS_brk, addr); }

#define PAGE 4096u

int main(void) {
    uintptr_t start = brk_call(0);
    printf("brk(0) is stable: %s\n", brk_call(0) == start ? "ok" : "BAD");

    /* Grow by 64 pages and write every byte of every page. */
    uintptr_t want = start + 64 * PAGE;
    uintptr_t got = brk_call(want);
    printf("grow 64 pages: %s\n", got == want ? "ok" : "BAD");
    volatile unsigned char *heap = (volatile unsigned char *)start;
    for (uintptr_t i = 0; i < 64 * PAGE; i++) heap[i] = (unsigned char)(i * 13 + 1);
    int bad = 0;
    for (uintptr_t i = 0; i < 64 * PAGE; i++) bad += heap[i] != (unsigned char)(i * 13 + 1);
    printf("heap contents: %d bad bytes\n", bad);

    /* An unaligned break is kept as asked. */
    got = brk_call(start + 64 * PAGE + 100);
    printf("unaligned break: %s\n", got == start + 64 * PAGE + 100 ? "ok" : "BAD");

    /* Shrink to 2 pages: the first two keep their contents. */
    got = brk_call(start + 2 * PAGE);
    printf("shrink to 2 pages: %s\n", got == start + 2 * PAGE ? "ok" : "BAD");
    bad = 0;
    for (uintptr_t i = 0; i < 2 * PAGE; i++) bad += heap[i] != (unsigned char)(i * 13 + 1);
    printf("kept pages: %d bad bytes\n", bad);

    /* Grow again: the pages given back come back zero. */
    got = brk_call(start + 32 * PAGE);
    printf("grow again: %s\n", got == start + 32 * PAGE ? "ok" : "BAD");
    int nonzero = 0;
    for (uintptr_t i = 2 * PAGE; i < 32 * PAGE; i++) nonzero += heap[i] != 0;
    printf("regrown pages: %d nonzero bytes\n", nonzero);

    /* A break below the start is refused: the break stays where it was. */
    got = brk_call(start - 64 * PAGE);
    printf("below start refused: %s\n", got == start + 32 * PAGE ? "ok" : "BAD");

    /* An absurd break is refused the same way. */
    got = brk_call((uintptr_t)1 << 47);
    printf("huge break refused: %s\n", got == start + 32 * PAGE ? "ok" : "BAD");

    /* Back to the start. */
    got = brk_call(start);
    printf("back to start: %s\n", got == start ? "ok" : "BAD");
    return 0;
}
