/* crash: dies of a CPU fault, as the argument says.
 *
 *   crash null      write to address 0               SIGSEGV
 *   crash read      read from an unmapped address    SIGSEGV
 *   crash div       integer divide by zero           SIGFPE
 *   crash ud2       the ud2 instruction              SIGILL
 *   crash int3      a breakpoint                     SIGTRAP
 *   crash jump      jump to an unmapped address      SIGSEGV
 *
 * It prints "about to crash" first (flushed), so a test can tell the
 * program ran up to the fault.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *how = argc > 1 ? argv[1] : "";
    printf("about to crash\n");
    fflush(stdout);
    if (!strcmp(how, "null")) {
        *(volatile int *)0 = 42;
    } else if (!strcmp(how, "read")) {
        volatile int x = *(volatile int *)0x10;
        (void)x;
    } else if (!strcmp(how, "div")) {
        volatile int a = 7, b = 0;
        volatile int c = a / b;
        (void)c;
    } else if (!strcmp(how, "ud2")) {
        __asm__ volatile("ud2");
    } else if (!strcmp(how, "int3")) {
        __asm__ volatile("int3");
    } else if (!strcmp(how, "jump")) {
        void (*volatile fn)(void) = (void (*)(void))0x7e0000001000;
        fn();
    } else {
        fprintf(stderr, "unknown crash %s\n", how);
        return 2;
    }
    printf("still alive\n");
    return 1;
}
