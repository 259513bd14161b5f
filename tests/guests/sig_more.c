/* sig_more: signal masks of ppoll and pselect, EINTR against restart, and
 * CPU faults caught by handlers, as Linux gives them.
 *
 *   sig_more masks     ppoll/pselect6 swap their mask in for the wait
 *   sig_more restart   signals that run no handler interrupt nothing:
 *                      SIGCHLD (default), and a stop then continue in the
 *                      middle of nanosleep, poll, select, ppoll, pause,
 *                      sigsuspend, a timed futex wait; a handler makes
 *                      nanosleep fail with EINTR and the time left in *rem
 *   sig_more faults    SIGSEGV from a stack overflow on the alternate
 *                      stack, SIGTRAP from int3, SIGILL from ud2, SIGFPE
 *                      from a division by zero, SIGBUS past the end of a
 *                      mapped file, with si_code and si_addr
 *
 * Every line is yes/no or a fixed value, so the output is the same on
 * every run and on Linux.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static volatile int got_usr1, got_alrm, got_sig;

static void on_usr1(int s) { (void)s; got_usr1++; }
static void on_alrm(int s) { (void)s; got_alrm++; }

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *yn(int c) { return c ? "yes" : "no"; }

static void handle(int sig, void (*fn)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

static int blocked(int sig) {
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

static int pending(int sig) {
    sigset_t p;
    sigpending(&p);
    return sigismember(&p, sig);
}

static void alarm_in_ms(int ms) {
    struct itimerval it = {{0, 0}, {0, ms * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

/* masks ---------------------------------------------------------------- */

static void masks(void) {
    int p[2];
    pipe(p);
    handle(SIGUSR1, on_usr1, 0);
    handle(SIGALRM, on_alrm, 0);
    sigset_t block, none;
    sigemptyset(&none);
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, NULL);
    struct pollfd fd = {p[0], POLLIN, 0};
    struct timespec two = {2, 0};

    /* A signal that arrives during the wait, unblocked only by its mask. */
    alarm_in_ms(30);
    double t0 = now();
    int r = ppoll(&fd, 1, &two, &none);
    int e = errno;
    printf("ppoll, SIGALRM during the wait: %d %s, handler ran %d, soon: %s, SIGALRM blocked again: %s\n", r,
           e == EINTR ? "EINTR" : strerror(e), got_alrm, yn(now() - t0 < 1.5), yn(blocked(SIGALRM)));

    /* A signal already pending, unblocked by the mask: EINTR at once. */
    raise(SIGUSR1);
    printf("SIGUSR1 pending while blocked: %s, handler ran %d\n", yn(pending(SIGUSR1)), got_usr1);
    t0 = now();
    r = ppoll(&fd, 1, &two, &none);
    e = errno;
    printf("ppoll, SIGUSR1 pending: %d %s, handler ran %d, at once: %s, SIGUSR1 blocked again: %s\n", r,
           e == EINTR ? "EINTR" : strerror(e), got_usr1, yn(now() - t0 < 1.0), yn(blocked(SIGUSR1)));

    /* A mask that blocks it too: the descriptor is ready, the signal stays pending. */
    raise(SIGUSR1);
    write(p[1], "x", 1);
    r = ppoll(&fd, 1, &two, &block);
    printf("ppoll, data ready, mask blocks SIGUSR1: %d, handler ran %d, still pending: %s\n", r, got_usr1,
           yn(pending(SIGUSR1)));

    /* Data ready and a pending signal the mask unblocks: Linux reports the data. */
    r = ppoll(&fd, 1, &two, &none);
    printf("ppoll, data ready, SIGUSR1 unblocked: %d, handler ran %d\n", r, got_usr1);
    char c;
    read(p[0], &c, 1);
    if (pending(SIGUSR1)) {
        sigsuspend(&none);  /* takes it */
    }
    printf("after sigsuspend: handler ran %d, SIGUSR1 blocked again: %s\n", got_usr1, yn(blocked(SIGUSR1)));

    /* pselect: the same. */
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    alarm_in_ms(30);
    t0 = now();
    r = pselect(p[0] + 1, &rs, NULL, NULL, &two, &none);
    e = errno;
    printf("pselect, SIGALRM during the wait: %d %s, handler ran %d, soon: %s, SIGALRM blocked again: %s\n", r,
           e == EINTR ? "EINTR" : strerror(e), got_alrm, yn(now() - t0 < 1.5), yn(blocked(SIGALRM)));
    raise(SIGUSR1);
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    r = pselect(p[0] + 1, &rs, NULL, NULL, &two, &none);
    e = errno;
    printf("pselect, SIGUSR1 pending: %d %s, handler ran %d\n", r, e == EINTR ? "EINTR" : strerror(e), got_usr1);
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct timespec short_wait = {0, 20000000};
    raise(SIGUSR1);
    r = pselect(p[0] + 1, &rs, NULL, NULL, &short_wait, &block);
    printf("pselect, mask blocks SIGUSR1: %d (timeout), handler ran %d, still pending: %s\n", r, got_usr1,
           yn(pending(SIGUSR1)));

    /* A bad mask size is EINVAL and changes no mask. */
    r = syscall(SYS_ppoll, &fd, 1, &two, &none, 4);
    e = errno;
    printf("ppoll, sigsetsize 4: %d %s, SIGUSR1 blocked: %s\n", r, e == EINVAL ? "EINVAL" : strerror(e),
           yn(blocked(SIGUSR1)));
}

/* restart ---------------------------------------------------------------- */

static int futex_word;

static long call(const char *what, double *took) {
    struct pollfd none_fds[1];
    fd_set rs;
    struct timespec ts = {0, 400000000}, rem;
    struct timeval tv = {0, 400000};
    sigset_t empty;
    sigemptyset(&empty);
    double t0 = now();
    long r = -2;
    errno = 0;
    if (!strcmp(what, "nanosleep")) {
        r = nanosleep(&ts, &rem);
    } else if (!strcmp(what, "clock_nanosleep")) {
        r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &rem);
        if (r) errno = r, r = -1;
    } else if (!strcmp(what, "poll")) {
        r = poll(none_fds, 0, 400);
    } else if (!strcmp(what, "select")) {
        FD_ZERO(&rs);
        r = select(0, &rs, NULL, NULL, &tv);
    } else if (!strcmp(what, "ppoll")) {
        r = ppoll(none_fds, 0, &ts, &empty);
    } else if (!strcmp(what, "pselect")) {
        r = pselect(0, NULL, NULL, NULL, &ts, &empty);
    } else if (!strcmp(what, "futex")) {
        r = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
    }
    *took = now() - t0;
    return r;
}

static void wait_sleeping(pid_t pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    for (int i = 0; i < 2000; i++) {
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = 0;
            if (strstr(buf, "State:\tS"))
                return;
        }
        usleep(1000);
    }
}

/* Stop the child 250 ms into its call, continue it 200 ms later; the
 * times (CLOCK_MONOTONIC, the same in both processes) of the two. */
static void stop_and_continue(pid_t pid, double *stopped, double *continued) {
    int st;
    wait_sleeping(pid);
    usleep(250000);
    *stopped = now();
    kill(pid, SIGSTOP);
    waitpid(pid, &st, WUNTRACED);
    usleep(200000);
    *continued = now();
    kill(pid, SIGCONT);
}

/* A child makes a 400 ms call; the parent stops and continues it.  The
 * call goes on as if nothing happened, and is not made again with its
 * whole timeout (that would end 400 ms after the continue):
 * - nanosleep, clock_nanosleep, poll and a timed futex wait keep their
 *   deadline (restart_syscall), which passes while the child is stopped:
 *   they end at the continue;
 * - select, ppoll and pselect write the time left when the stop came back
 *   into their timeout and are made again with it: they end that long
 *   (150 ms) after the continue.  When the stopped child gets to write it
 *   back depends on the host's scheduling, hence the wide margin; the
 *   whole timeout again would end 400 ms after the continue. */
static void stopped_call(const char *what, int keeps_deadline) {
    int out[2];
    pipe(out);
    pid_t pid = fork();
    if (pid == 0) {
        double took, t0 = now();
        long r = call(what, &took);
        double res[4] = {(double)r, (double)errno, t0, t0 + took};
        write(out[1], res, sizeof res);
        _exit(0);
    }
    close(out[1]);
    double stopped, continued, res[4] = {0, 0, 0, 0};
    stop_and_continue(pid, &stopped, &continued);
    read(out[0], res, sizeof res);
    waitpid(pid, NULL, 0);
    close(out[0]);
    long r = (long)res[0];
    int e = (int)res[1];
    double t0 = res[2], t1 = res[3];
    double expect = keeps_deadline ? (continued > t0 + 0.4 ? continued : t0 + 0.4) : continued + 0.4 - (stopped - t0);
    double early = keeps_deadline ? 0.002 : 0.12, late = keeps_deadline ? 0.1 : 0.15;
    printf("%s across a stop: %ld %s, ended when it should (%s): %s\n", what, r,
           r < 0 ? (e == EINTR ? "EINTR" : e == ETIMEDOUT ? "ETIMEDOUT" : strerror(e)) : "-",
           keeps_deadline ? "at the continue" : "the time left after the continue",
           yn(t1 >= expect - early && t1 < expect + late));
}

/* pause, sigsuspend and sigtimedwait across a stop: the first two sleep on
 * until a signal with a handler comes; sigtimedwait fails with EINTR. */
static void stopped_wait(const char *what) {
    int out[2];
    pipe(out);
    pid_t pid = fork();
    if (pid == 0) {
        handle(SIGUSR1, on_usr1, 0);
        sigset_t set, empty;
        sigemptyset(&empty);
        sigemptyset(&set);
        sigaddset(&set, SIGUSR2);
        long r;
        if (!strcmp(what, "pause")) {
            r = pause();
        } else if (!strcmp(what, "sigsuspend")) {
            r = sigsuspend(&empty);
        } else {
            sigprocmask(SIG_BLOCK, &set, NULL);
            struct timespec ts = {3, 0};
            r = syscall(SYS_rt_sigtimedwait, &set, NULL, &ts, 8);  /* musl's wrapper retries on EINTR */
        }
        int e = errno;
        char line[200];
        int n = snprintf(line, sizeof line, "%s across a stop: %ld %s, SIGUSR1 handled: %d\n", what, r,
                         e == EINTR ? "EINTR" : strerror(e), got_usr1);
        write(out[1], line, n);
        _exit(0);
    }
    close(out[1]);
    double stopped, continued;
    stop_and_continue(pid, &stopped, &continued);
    struct pollfd fd = {out[0], POLLIN, 0};
    if (poll(&fd, 1, 300) == 0) {  /* still waiting: it needs a signal with a handler */
        kill(pid, SIGUSR1);
    }
    char buf[256];
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n > 0) fwrite(buf, 1, n, stdout);
    waitpid(pid, NULL, 0);
    close(out[0]);
}

static void restart(void) {
    /* SIGCHLD's default action is to ignore it: a child's exit interrupts nothing. */
    pid_t pid = fork();
    if (pid == 0) {
        usleep(20000);
        _exit(0);
    }
    double took;
    long r = call("nanosleep", &took);
    printf("nanosleep while a child exits: %ld, slept it all: %s\n", r, yn(took >= 0.399));
    waitpid(pid, NULL, 0);
    pid = fork();
    if (pid == 0) {
        usleep(20000);
        _exit(0);
    }
    r = call("poll", &took);
    printf("poll while a child exits: %ld, waited it all: %s\n", r, yn(took >= 0.399));
    waitpid(pid, NULL, 0);

    const char *calls[] = {"nanosleep", "clock_nanosleep", "poll", "futex", "select", "ppoll", "pselect"};
    for (unsigned i = 0; i < sizeof calls / sizeof *calls; i++)
        stopped_call(calls[i], i < 4);
    stopped_wait("pause");
    stopped_wait("sigsuspend");
    stopped_wait("sigtimedwait");

    /* A handler (even with SA_RESTART) ends nanosleep with EINTR and the time left. */
    handle(SIGALRM, on_alrm, SA_RESTART);
    alarm_in_ms(100);
    struct timespec ts = {0, 500000000}, rem = {0, 0};
    r = nanosleep(&ts, &rem);
    int e = errno;
    double left = rem.tv_sec + rem.tv_nsec / 1e9;
    printf("nanosleep with a handler: %ld %s, handler ran %d, rem about 400 ms: %s\n", r,
           e == EINTR ? "EINTR" : strerror(e), got_alrm, yn(left > 0.25 && left < 0.41));
    alarm_in_ms(100);
    r = poll(NULL, 0, 500);
    e = errno;
    printf("poll with an SA_RESTART handler: %ld %s\n", r, e == EINTR ? "EINTR" : strerror(e));
}

/* faults ----------------------------------------------------------------- */

static sigjmp_buf jb;
static volatile int code, on_alt;
static volatile uintptr_t addr, rip;
static char *alt;
static size_t altsz = 65536;

extern char after_int3[], at_ud2[], at_div[];

static void on_fault(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    got_sig = sig;
    code = si->si_code;
    addr = (uintptr_t)si->si_addr;
    rip = uc->uc_mcontext.gregs[REG_RIP];
    char here;
    on_alt = &here >= alt && &here < alt + altsz;
    if (sig == SIGILL) {
        uc->uc_mcontext.gregs[REG_RIP] += 2;  /* over the ud2 */
        return;
    }
    if (sig == SIGTRAP)
        return;  /* int3 is a trap: RIP is already past it */
    siglongjmp(jb, 1);
}

static int depth(int n) {
    volatile char pad[512];
    pad[0] = n;
    return depth(n + 1) + pad[0];
}

static void catch(int sig, int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | flags;
    sigaction(sig, &sa, NULL);
}

static void faults(void) {
    alt = malloc(altsz);
    stack_t ss = {.ss_sp = alt, .ss_size = altsz, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    catch(SIGSEGV, SA_ONSTACK);
    if (!sigsetjmp(jb, 1))
        depth(0);
    printf("stack overflow: signal %d code %d (SEGV_MAPERR), handler on the alternate stack: %s\n", got_sig, code,
           yn(on_alt));
    if (!sigsetjmp(jb, 1))
        depth(0);
    printf("a second overflow after siglongjmp: signal %d, on the alternate stack: %s\n", got_sig, yn(on_alt));

    catch(SIGTRAP, 0);
    __asm__ volatile("int3\n.globl after_int3\nafter_int3:");
    printf("int3: signal %d code %d (SI_KERNEL), rip after the int3: %s\n", got_sig, code,
           yn(rip == (uintptr_t)after_int3));

    catch(SIGILL, 0);
    __asm__ volatile(".globl at_ud2\nat_ud2: ud2");
    printf("ud2: signal %d code %d (ILL_ILLOPN), si_addr at the ud2: %s, rip there: %s\n", got_sig, code,
           yn(addr == (uintptr_t)at_ud2), yn(rip == (uintptr_t)at_ud2));

    catch(SIGFPE, 0);
    if (!sigsetjmp(jb, 1)) {
        int a = 7, b = 0, c;
        __asm__ volatile("movl %1, %%eax\ncltd\n.globl at_div\nat_div: idivl %2\nmovl %%eax, %0"
                         : "=r"(c) : "r"(a), "r"(b) : "eax", "edx");
        printf("no fault: %d\n", c);
    }
    printf("idiv by zero: signal %d code %d (FPE_INTDIV), si_addr at the idiv: %s, rip there: %s\n", got_sig, code,
           yn(addr == (uintptr_t)at_div), yn(rip == (uintptr_t)at_div));

    /* A shared file mapping read a page past the file's end. */
    char path[] = "/tmp/violet-sig-more-XXXXXX";
    int fd = mkstemp(path);
    write(fd, "x", 1);
    char *m = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
    unlink(path);
    catch(SIGBUS, 0);
    got_sig = code = 0;
    if (!sigsetjmp(jb, 1)) {
        volatile char c = m[4096];
        (void)c;
    }
    printf("read past the end of a mapped file: signal %d code %d (BUS_ADRERR), si_addr the byte read: %s\n",
           got_sig, code, yn(addr == (uintptr_t)(m + 4096)));
    close(fd);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "masks"))
        masks();
    else if (!strcmp(what, "restart"))
        restart();
    else if (!strcmp(what, "faults"))
        faults();
    else
        return 2;
    return 0;
}
