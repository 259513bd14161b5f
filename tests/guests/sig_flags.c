/* sig_flags: a handler starts with the direction and trap flags clear, as
 * the ABI and Linux's signal delivery give it, whatever the interrupted
 * code had set.
 *
 *   df: SIGUSR1 arrives while DF is set (std); the handler reads EFLAGS;
 *   tf: the trap flag is set; SIGTRAP's handler runs once (not trapping
 *       itself) and clears TF in the saved context, and the program goes on.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static volatile unsigned long handler_flags;
static volatile int traps;

static unsigned long flags_now(void) {
    unsigned long f;
    __asm__ volatile("pushfq; popq %0" : "=r"(f));
    return f;
}

static void on_usr1(int sig) {
    (void)sig;
    handler_flags = flags_now();
}

static void on_trap(int sig, siginfo_t *info, void *ctx) {
    (void)sig;
    (void)info;
    traps++;
    handler_flags = flags_now();
    ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_EFL] &= ~0x100UL;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "tf")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_trap;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGTRAP, &sa, NULL);
        __asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq; nop; nop" ::: "memory", "cc");
        printf("tf: %d trap(s), handler's TF %s\n", traps, handler_flags & 0x100 ? "set" : "clear");
        return 0;
    }
    signal(SIGUSR1, on_usr1);
    long pid = getpid(), tid = syscall(SYS_gettid);
    /* tgkill with DF set; the signal is taken on the way out of the call. */
    register long rax __asm__("rax") = SYS_tgkill;
    register long rdi __asm__("rdi") = pid, rsi __asm__("rsi") = tid, rdx __asm__("rdx") = SIGUSR1;
    __asm__ volatile("std; syscall; cld" : "+r"(rax) : "r"(rdi), "r"(rsi), "r"(rdx) : "rcx", "r11", "memory", "cc");
    printf("df: handler's DF %s\n", handler_flags & 0x400 ? "set" : "clear");
    return 0;
}
