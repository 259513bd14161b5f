/* The floating-point state a program starts with and passes on.
 *
 * A new process runs with the x87 control word 0x37f (64-bit precision,
 * round to nearest, exceptions masked) and MXCSR 0x1f80: printf, which
 * formats doubles through long double, then prints them exactly.  fork and
 * a new thread inherit the caller's state; a signal handler and execve
 * start afresh, and sigreturn gives the interrupted code its state back.
 *
 *   fpstate          print the state and some arithmetic, change the state,
 *                    show it in a child and a thread, exec "fpstate again"
 *   fpstate again    print the state only
 */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned fcw(void) { unsigned short w; __asm__ volatile("fnstcw %0" : "=m"(w)); return w; }
static unsigned mxcsr(void) { unsigned m; __asm__ volatile("stmxcsr %0" : "=m"(m)); return m; }
static void set_fcw(unsigned short w) { __asm__ volatile("fldcw %0" : : "m"(w)); }
static void set_mxcsr(unsigned m) { __asm__ volatile("ldmxcsr %0" : : "m"(m)); }

static void show(const char *who) { printf("%s fcw=%#x mxcsr=%#x\n", who, fcw(), mxcsr()); fflush(stdout); }

static void on_usr1(int sig) { (void)sig; show("handler"); set_fcw(0x7f); }

static void *thread_main(void *arg) { show((const char *)arg); return NULL; }

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "again") == 0) {
        show("exec");
        return 0;
    }
    show("start");
    unsigned short env[14];
    __asm__ volatile("fnstenv %0\n\tfldcw %0" : "=m"(env));
    printf("start x87 tag=%#x top=%u\n", env[4], (env[2] >> 11) & 7u);  /* an empty stack */
    volatile double pi = M_PI, third = 1.0 / 3.0;
    volatile long double ld = 1.0L / 3.0L;
    printf("%.17g %a %.17g\n", pi, pi, third);
    printf("%.21Lg\n", ld);
    printf("%.17g %.17g\n", sqrt(2.0), exp(1.0));
    volatile double zero = 0.0;
    printf("%g %g\n", 1.0 / zero, zero / zero);  /* masked: inf and nan, no trap */
    fflush(stdout);

    set_fcw(0x27f);       /* 53-bit precision */
    set_mxcsr(0x9f80);    /* flush to zero as well */
    show("changed");
    pid_t pid = fork();
    if (pid == 0) {
        show("child");
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    pthread_t th;
    pthread_create(&th, NULL, thread_main, "thread");
    pthread_join(th, NULL);
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    show("after handler");
    execl("/proc/self/exe", argv[0], "again", (char *)NULL);
    perror("execl");
    return 1;
}
