/* A lone thread's read-modify-write loop must count exactly: with no other
 * thread and no timer, nothing may stop the engine in the middle of it (a
 * stop from outside can make Unicorn run an `incq` or a `lock xadd` twice). */
#include <stdio.h>

#define ROUNDS 60000000L

static volatile long plain;
static long atomic;

int main(void) {
    for (long i = 0; i < ROUNDS; i++) {
        __asm__ volatile("incq %0" : "+m"(plain));
        __atomic_fetch_add(&atomic, 1, __ATOMIC_SEQ_CST);
    }
    printf("incq %ld\nlock xadd %ld\n", plain, atomic);
    return plain != ROUNDS || atomic != ROUNDS;
}
