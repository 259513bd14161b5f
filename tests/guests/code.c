/* code: machine code written at run time, then run.
 *
 * A page is filled with "mov eax, N; ret" and called; then rewritten in
 * place; then unmapped and mapped again at the same address with other
 * code.  Each call must run the bytes that are there now, not a stale
 * translation.  Finally a page without PROT_EXEC is called: with the
 * argument "noexec" the program dies of SIGSEGV there.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096
#define AT ((void *)0x600000000000)

typedef int (*fn_t)(void);

static void put(unsigned char *p, int value) {
    unsigned char code[] = {0xb8, 0, 0, 0, 0, 0xc3}; /* mov eax, imm32; ret */
    memcpy(code + 1, &value, 4);
    memcpy(p, code, sizeof code);
}

int main(int argc, char **argv) {
    unsigned char *p = mmap(AT, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 2; }
    fn_t fn = (fn_t)p;
    put(p, 1);
    printf("first code: %d\n", fn());
    put(p, 2);
    printf("rewritten in place: %d\n", fn());
    munmap(p, PAGE);

    p = mmap(AT, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    put(p, 3);
    mprotect(p, PAGE, PROT_READ | PROT_EXEC);
    printf("remapped at the same address: %d\n", fn());

    /* A second page of code, reached through the first's neighbour. */
    unsigned char *q = mmap(AT + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    put(q, 4);
    mprotect(q, PAGE, PROT_READ | PROT_EXEC);
    printf("second page: %d\n", ((fn_t)q)());

    if (argc > 1 && !strcmp(argv[1], "noexec")) {
        mprotect(q, PAGE, PROT_READ);
        printf("calling a page without PROT_EXEC\n");
        fflush(stdout);
        ((fn_t)q)();
        printf("still alive\n");
    }
    return 0;
}
