/* The x87 register stack across a signal handler.
 *
 * The interrupted code holds six values on the x87 stack when a signal
 * arrives (it sends itself SIGUSR1 with a raw syscall, between x87
 * instructions).  Linux gives the handler an empty, freshly initialised
 * x87 unit and restores the interrupted code's stack, status and tags on
 * sigreturn: the handler may fninit and fill all eight registers.  The SSE
 * registers come back too (the handler zeroes all sixteen).  Prints what
 * the handler saw, the six values and the XMM registers afterwards.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile unsigned handler_cw, handler_sw, handler_tag;

static void on_usr1(int sig) {
    (void)sig;
    unsigned short env[14];
    __asm__ volatile("fnstenv %0\n\tfldcw %0" : "=m"(env));  /* fnstenv masks exceptions; put the cw back */
    handler_cw = env[0];
    handler_sw = env[2];
    handler_tag = env[4];
    /* Fill every register, then reset the unit. */
    __asm__ volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\tpxor %%xmm2, %%xmm2\n\tpxor %%xmm3, %%xmm3\n\t"
                     "pxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\tpxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\t"
                     "pxor %%xmm8, %%xmm8\n\tpxor %%xmm9, %%xmm9\n\tpxor %%xmm10, %%xmm10\n\tpxor %%xmm11, %%xmm11\n\t"
                     "pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\tpxor %%xmm14, %%xmm14\n\tpxor %%xmm15, %%xmm15"
                     ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                       "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    __asm__ volatile("fninit\n\tfld1\n\tfldpi\n\tfldl2t\n\tfldl2e\n\tfldlg2\n\tfldln2\n\tfldz\n\tfld1\n\tfninit"
                     ::: "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");
}

int main(void) {
    signal(SIGUSR1, on_usr1);
    long double out[6];
    unsigned short sw_after;
    unsigned char xin[16][16], xout[16][16];
    for (int r = 0; r < 16; r++)
        for (int b = 0; b < 16; b++) xin[r][b] = (unsigned char)(r * 16 + b + 1);
    __asm__ volatile(
        "movdqu 0(%2), %%xmm0\n\tmovdqu 16(%2), %%xmm1\n\tmovdqu 32(%2), %%xmm2\n\tmovdqu 48(%2), %%xmm3\n\t"
        "movdqu 64(%2), %%xmm4\n\tmovdqu 80(%2), %%xmm5\n\tmovdqu 96(%2), %%xmm6\n\tmovdqu 112(%2), %%xmm7\n\t"
        "movdqu 128(%2), %%xmm8\n\tmovdqu 144(%2), %%xmm9\n\tmovdqu 160(%2), %%xmm10\n\tmovdqu 176(%2), %%xmm11\n\t"
        "movdqu 192(%2), %%xmm12\n\tmovdqu 208(%2), %%xmm13\n\tmovdqu 224(%2), %%xmm14\n\tmovdqu 240(%2), %%xmm15\n\t"
        "fld1\n\tfldl2t\n\tfldl2e\n\tfldpi\n\tfldlg2\n\tfldln2\n\t"
        "mov $39, %%eax\n\tsyscall\n\t"                      /* getpid */
        "mov %%eax, %%edi\n\tmov $10, %%esi\n\tmov $62, %%eax\n\tsyscall\n\t"  /* kill(pid, SIGUSR1) */
        "fnstsw %1\n\t"
        "fstpt 0(%0)\n\tfstpt 16(%0)\n\tfstpt 32(%0)\n\tfstpt 48(%0)\n\tfstpt 64(%0)\n\tfstpt 80(%0)\n\t"
        "movdqu %%xmm0, 0(%3)\n\tmovdqu %%xmm1, 16(%3)\n\tmovdqu %%xmm2, 32(%3)\n\tmovdqu %%xmm3, 48(%3)\n\t"
        "movdqu %%xmm4, 64(%3)\n\tmovdqu %%xmm5, 80(%3)\n\tmovdqu %%xmm6, 96(%3)\n\tmovdqu %%xmm7, 112(%3)\n\t"
        "movdqu %%xmm8, 128(%3)\n\tmovdqu %%xmm9, 144(%3)\n\tmovdqu %%xmm10, 160(%3)\n\tmovdqu %%xmm11, 176(%3)\n\t"
        "movdqu %%xmm12, 192(%3)\n\tmovdqu %%xmm13, 208(%3)\n\tmovdqu %%xmm14, 224(%3)\n\tmovdqu %%xmm15, 240(%3)\n\t"
        : : "r"(out), "m"(sw_after), "r"(xin), "r"(xout)
        : "rax", "rdi", "rsi", "rcx", "r11", "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)",
          "st(7)", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
          "xmm12", "xmm13", "xmm14", "xmm15");
    printf("handler cw=%#x sw=%#x tag=%#x\n", handler_cw, handler_sw, handler_tag);
    printf("after top=%u\n", (sw_after >> 11) & 7);
    for (int i = 0; i < 6; i++) printf("%.21Lg\n", out[i]);
    printf("xmm %s\n", memcmp(xin, xout, sizeof xin) == 0 ? "kept" : "changed");
    return 0;
}
