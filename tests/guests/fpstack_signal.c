/* The x87 register stack across a signal handler.
 *
 * The interrupted code holds six values on the x87 stack when a signal
 * arrives (it sends itself SIGUSR1 with a raw syscall, between x87
 * instructions).  Linux gives the handler an empty, freshly initialised
 * x87 unit and restores the interrupted code's stack, status and tags on
 * sigreturn: the handler may fninit and fill all eight registers.  Prints
 * what the handler saw and the six values afterwards.
 */
#include <signal.h>
#include <stdio.h>

static volatile unsigned handler_cw, handler_sw, handler_tag;

static void on_usr1(int sig) {
    (void)sig;
    unsigned short env[14];
    __asm__ volatile("fnstenv %0\n\tfldcw %0" : "=m"(env));  /* fnstenv masks exceptions; put the cw back */
    handler_cw = env[0];
    handler_sw = env[2];
    handler_tag = env[4];
    /* Fill every register, then reset the unit. */
    __asm__ volatile("fninit\n\tfld1\n\tfldpi\n\tfldl2t\n\tfldl2e\n\tfldlg2\n\tfldln2\n\tfldz\n\tfld1\n\tfninit"
                     ::: "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");
}

int main(void) {
    signal(SIGUSR1, on_usr1);
    long double out[6];
    unsigned short sw_after;
    __asm__ volatile(
        "fld1\n\tfldl2t\n\tfldl2e\n\tfldpi\n\tfldlg2\n\tfldln2\n\t"
        "mov $39, %%eax\n\tsyscall\n\t"                      /* getpid */
        "mov %%eax, %%edi\n\tmov $10, %%esi\n\tmov $62, %%eax\n\tsyscall\n\t"  /* kill(pid, SIGUSR1) */
        "fnstsw %1\n\t"
        "fstpt 0(%0)\n\tfstpt 16(%0)\n\tfstpt 32(%0)\n\tfstpt 48(%0)\n\tfstpt 64(%0)\n\tfstpt 80(%0)\n\t"
        : : "r"(out), "m"(sw_after)
        : "rax", "rdi", "rsi", "rcx", "r11", "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)",
          "st(7)");
    printf("handler cw=%#x sw=%#x tag=%#x\n", handler_cw, handler_sw, handler_tag);
    printf("after top=%u\n", (sw_after >> 11) & 7);
    for (int i = 0; i < 6; i++) printf("%.21Lg\n", out[i]);
    return 0;
}
