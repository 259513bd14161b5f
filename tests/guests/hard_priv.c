/* hard_priv.c: privileged instructions in user mode fault.
 *
 * Each instruction runs with handlers for SIGSEGV, SIGILL, SIGBUS and
 * SIGTRAP that record the signal and its si_code and siglongjmp out; one
 * line per instruction: "NAME: SIGNAL CODE" or "NAME: ran".  On Linux every
 * one of them is a SIGSEGV (a #GP in user mode).  The last case sets IOPL 3
 * in the flags a signal handler returns to: Linux's sigreturn ignores it,
 * so cli still faults.  A thread-local variable and a syscall check that
 * TLS and the syscall path work at that privilege level.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile int got_sig, got_code;
static unsigned char buf[64] __attribute__((aligned(16)));
static __thread int tls_value = 42;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    siglongjmp(env, 1);
}

static const char *signame(int s)
{
    switch (s) {
    case SIGSEGV: return "SIGSEGV";
    case SIGILL: return "SIGILL";
    case SIGBUS: return "SIGBUS";
    case SIGTRAP: return "SIGTRAP";
    default: return "?";
    }
}

#define TRY(name, ...)                                                     \
    do {                                                                   \
        got_sig = 0;                                                       \
        if (sigsetjmp(env, 1) == 0) {                                      \
            __VA_ARGS__;                                                   \
            printf("%s: ran\n", name);                                     \
        } else {                                                           \
            printf("%s: %s %d\n", name, signame(got_sig), got_code);       \
        }                                                                  \
        fflush(stdout);                                                    \
    } while (0)

/* A port instruction faults before anything after it runs, as on Linux:
 * the handler sees RIP at the instruction, and the register and memory
 * writes after it (in the same straight-line code) have not happened. */
static volatile unsigned long saw_rip, saw_rbx;
static volatile long later_store;
extern char port_insn[];

static void on_port_fault(int sig, siginfo_t *si, void *ucp)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucp;
    saw_rip = uc->uc_mcontext.gregs[REG_RIP];
    saw_rbx = uc->uc_mcontext.gregs[REG_RBX];
    siglongjmp(env, 1);
}

static void precise(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_port_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    later_store = 0;
    if (sigsetjmp(env, 1) == 0) {
        __asm__ volatile("mov $1, %%ebx\n"
                         "port_insn: outb %%al, $0x80\n"
                         "mov $2, %%ebx\n"
                         "movq $7, %0\n"
                         "mov $3, %%ebx\n"
                         : "=m"(later_store) : "a"(0) : "rbx", "memory");
        printf("precise: ran\n");
    } else {
        printf("precise: rip at the instruction: %s, rbx %lu, later store %ld\n",
               saw_rip == (unsigned long)port_insn ? "yes" : "no", saw_rbx, later_store);
    }
}

static void set_iopl(int sig, siginfo_t *si, void *ucp)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucp;
    uc->uc_mcontext.gregs[REG_EFL] |= 0x3000; /* IOPL 3 */
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    int sigs[] = {SIGSEGV, SIGILL, SIGBUS, SIGTRAP};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);

    void *p = buf;
    TRY("hlt", __asm__ volatile("hlt"));
    TRY("cli", __asm__ volatile("cli"));
    TRY("sti", __asm__ volatile("sti"));
    TRY("in imm", __asm__ volatile("inb $0x60, %%al" ::: "rax"));
    TRY("in dx", __asm__ volatile("inb %%dx, %%al" :: "d"(0x60) : "rax"));
    TRY("out imm", __asm__ volatile("outb %%al, $0x80" :: "a"(0)));
    TRY("out dx", __asm__ volatile("outl %%eax, %%dx" :: "a"(0), "d"(0x80)));
    TRY("insb", __asm__ volatile("insb" :: "D"(p), "d"(0x60) : "memory"));
    TRY("outsb", __asm__ volatile("outsb" :: "S"(p), "d"(0x80)));
    TRY("rdmsr", __asm__ volatile("rdmsr" :: "c"(0x10) : "rax", "rdx"));
    TRY("wrmsr", __asm__ volatile("wrmsr" :: "c"(0x10), "a"(0), "d"(0)));
    TRY("mov to cr0", __asm__ volatile("mov %0, %%cr0" :: "r"(0x80000011UL)));
    TRY("mov to cr3", __asm__ volatile("mov %0, %%cr3" :: "r"(0UL)));
    TRY("mov from cr0", { unsigned long v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); });
    TRY("mov to db7", __asm__ volatile("mov %0, %%db7" :: "r"(0UL)));
    TRY("lidt", __asm__ volatile("lidt (%0)" :: "r"(p)));
    TRY("lgdt", __asm__ volatile("lgdt (%0)" :: "r"(p)));
    TRY("lldt", __asm__ volatile("lldt %w0" :: "r"(0)));
    TRY("ltr", __asm__ volatile("ltr %w0" :: "r"(0x40)));
    TRY("swapgs", __asm__ volatile("swapgs"));
    TRY("invlpg", __asm__ volatile("invlpg (%0)" :: "r"(p) : "memory"));
    TRY("clts", __asm__ volatile("clts"));
    TRY("wbinvd", __asm__ volatile("wbinvd"));

    /* IOPL 3 through sigreturn: ignored, cli still faults. */
    struct sigaction io;
    memset(&io, 0, sizeof io);
    io.sa_sigaction = set_iopl;
    io.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &io, NULL);
    raise(SIGUSR1);
    TRY("cli after sigreturn with IOPL 3", __asm__ volatile("cli"));
    TRY("out after sigreturn with IOPL 3", __asm__ volatile("outb %%al, $0x80" :: "a"(0)));

    precise();
    printf("tls %d, pid > 0: %d\n", tls_value, getpid() > 0);
    return 0;
}
