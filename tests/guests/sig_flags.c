/* sig_flags: a handler starts with the direction and trap flags clear, as
 * the ABI and Linux's signal delivery give it, whatever the interrupted
 * code had set.
 *
 *   df: SIGUSR1 arrives while DF is set (std); the handler reads EFLAGS;
 *   tf: the trap flag is set; SIGTRAP's handler runs once (not trapping
 *       itself) and clears TF in the saved context, and the program goes on.
 *   resethand: SA_RESETHAND: the handler runs for the first SIGUSR2, and
 *       the disposition is then the default (the second SIGUSR2 kills);
 *       a forked child keeps its own dispositions when the parent changes
 *       its own, and the other way round.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
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

static volatile int usr2s;

static void on_usr2(int sig) {
    (void)sig;
    usr2s++;
}

static int resethand(void) {
    struct sigaction sa, now;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGUSR2, &sa, NULL);
    int gate[2], back[2];
    if (pipe(gate) || pipe(back))
        return 3;
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        read(gate[0], &c, 1);             /* the parent has changed its SIGUSR2 */
        sigaction(SIGUSR2, NULL, &now);
        c = now.sa_handler == on_usr2 ? 'h' : 'd';
        signal(SIGUSR1, SIG_IGN);         /* the child's own change */
        write(back[1], &c, 1);
        _exit(0);
    }
    raise(SIGUSR2);                       /* the handler, then the default */
    sigaction(SIGUSR2, NULL, &now);
    write(gate[1], "g", 1);
    char c = '?';
    read(back[0], &c, 1);
    int st;
    waitpid(pid, &st, 0);
    struct sigaction u1;
    sigaction(SIGUSR1, NULL, &u1);
    printf("resethand: %d run(s), then %s; the child still has %s; parent's SIGUSR1 %s\n", usr2s,
           now.sa_handler == SIG_DFL ? "SIG_DFL" : "not SIG_DFL", c == 'h' ? "the handler" : "something else",
           u1.sa_handler == SIG_DFL ? "SIG_DFL" : "changed");
    fflush(stdout);
    raise(SIGUSR2);                       /* the default action: the process ends */
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "resethand"))
        return resethand();
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
