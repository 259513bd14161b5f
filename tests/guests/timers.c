/* timers: POSIX timers (timer_create and the rest) and the CPU-time
 * interval timers, as Linux gives them.
 *
 *   timers signal      SIGEV_SIGNAL: si_code SI_TIMER, si_value, si_timerid;
 *                      one-shot and periodic, timer_gettime, TIMER_ABSTIME
 *                      on CLOCK_REALTIME, overruns while the signal is
 *                      blocked, re-arming and disarming, errors
 *   timers none        SIGEV_NONE: timer_gettime counts down, no signal
 *   timers thread_id   SIGEV_THREAD_ID: the signal goes to the thread named
 *   timers thread      SIGEV_THREAD (musl builds it on SIGEV_THREAD_ID): the
 *                      function runs in a thread of its own
 *   timers inherit     fork does not inherit timers; exec deletes them
 *   timers cpu         CLOCK_PROCESS_CPUTIME_ID and CLOCK_THREAD_CPUTIME_ID
 *                      timers, ITIMER_VIRTUAL and ITIMER_PROF: they count
 *                      CPU time, not sleep
 *
 * Every line is yes/no or a fixed value, so the output is the same on
 * every run and on Linux.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *yn(int c) { return c ? "yes" : "no"; }

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct itimerspec spec(double value, double interval) {
    struct itimerspec it;
    it.it_value.tv_sec = (time_t)value;
    it.it_value.tv_nsec = (long)((value - (time_t)value) * 1e9 + 0.5);
    it.it_interval.tv_sec = (time_t)interval;
    it.it_interval.tv_nsec = (long)((interval - (time_t)interval) * 1e9 + 0.5);
    return it;
}

static double secs(struct timespec ts) { return ts.tv_sec + ts.tv_nsec / 1e9; }

static const char *err(int r) {
    return r == 0 ? "ok" : errno == EINVAL ? "EINVAL" : errno == EFAULT ? "EFAULT" : strerror(errno);
}

/* The kernel's struct sigevent, for SIGEV_THREAD_ID by the raw call. */
struct ksigevent {
    union sigval value;
    int signo;
    int notify;
    int tid;
    int pad[11];
};

static volatile sig_atomic_t fired, code, value, timerid, overrun;

static void on_timer(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    fired++;
    code = si->si_code;
    value = si->si_value.sival_int;
    timerid = si->si_timerid;
    overrun = si->si_overrun;
}

static void handle(int sig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(sig, &sa, NULL);
}

static void signal_timers(void) {
    handle(SIGUSR1);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 42;
    timer_t t;
    printf("timer_create: %s\n", err(timer_create(CLOCK_MONOTONIC, &ev, &t)));

    /* One-shot, 30 ms. */
    struct itimerspec it = spec(0.03, 0), cur;
    double t0 = mono();
    timer_settime(t, 0, &it, NULL);
    timer_gettime(t, &cur);
    printf("armed: left in (0, 30 ms]: %s, interval 0: %s\n",
           yn(secs(cur.it_value) > 0 && secs(cur.it_value) <= 0.03), yn(secs(cur.it_interval) == 0));
    while (!fired)
        pause();
    printf("one-shot: fired %d after 30 ms: %s, si_code SI_TIMER: %s, si_value %d, si_timerid is the timer: %s, "
           "overrun %d\n", fired, yn(mono() - t0 >= 0.0299), yn(code == SI_TIMER), value,
           yn(timerid == (int)(intptr_t)t), overrun);
    timer_gettime(t, &cur);
    printf("after it fired: left %g\n", secs(cur.it_value));

    /* Periodic, 10 ms, five signals taken by sigwaitinfo. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    it = spec(0.01, 0.01);
    timer_settime(t, 0, &it, NULL);
    timer_gettime(t, &cur);
    printf("periodic: interval 10 ms: %s\n", yn(cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 10000000));
    int good = 0;
    t0 = mono();
    for (int i = 0; i < 5; i++) {
        siginfo_t si;
        if (sigwaitinfo(&set, &si) == SIGUSR1 && si.si_code == SI_TIMER && si.si_value.sival_int == 42)
            good++;
    }
    printf("periodic: 5 signals by sigwaitinfo with SI_TIMER and the value: %d, in 50 ms or more: %s\n", good,
           yn(mono() - t0 >= 0.0399));

    /* Overruns: 2 ms interval, signal blocked for 200 ms. */
    it = spec(0.002, 0.002);
    timer_settime(t, 0, &it, NULL);
    struct timespec nap = {0, 200000000};
    nanosleep(&nap, NULL);
    siginfo_t si;
    sigwaitinfo(&set, &si);
    int ov = timer_getoverrun(t);
    printf("overrun after 200 ms blocked: many (>= 60): %s, timer_getoverrun agrees with si_overrun: %s\n",
           yn(si.si_overrun >= 60), yn(ov == si.si_overrun));
    sigwaitinfo(&set, &si);
    /* (a loaded host delays each delivery by some intervals, natively too) */
    printf("next signal: overrun small (< 30): %s\n", yn(si.si_overrun < 30));

    /* Disarm: the old value comes back, nothing more arrives. */
    struct itimerspec off = spec(0, 0), old;
    timer_settime(t, 0, &off, &old);
    printf("disarm: old interval 2 ms: %s\n", yn(old.it_interval.tv_nsec == 2000000));
    timer_gettime(t, &cur);
    printf("disarmed: left %g, interval %g\n", secs(cur.it_value), secs(cur.it_interval));
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    /* TIMER_ABSTIME on CLOCK_REALTIME, with the default sigevent (SIGALRM, value = id). */
    handle(SIGALRM);
    timer_t rt;
    timer_create(CLOCK_REALTIME, NULL, &rt);
    struct timespec nowrt;
    clock_gettime(CLOCK_REALTIME, &nowrt);
    double target = secs(nowrt) + 0.04;
    it.it_value.tv_sec = (time_t)target;
    it.it_value.tv_nsec = (long)((target - (time_t)target) * 1e9);
    it.it_interval.tv_sec = it.it_interval.tv_nsec = 0;
    fired = 0;
    timer_settime(rt, TIMER_ABSTIME, &it, NULL);
    while (!fired)
        pause();
    clock_gettime(CLOCK_REALTIME, &nowrt);
    printf("CLOCK_REALTIME absolute: fired at the time: %s, default signal SIGALRM with value = timer id: %s\n",
           yn(secs(nowrt) >= target - 0.0005), yn(value == (int)(intptr_t)rt && timerid == (int)(intptr_t)rt));
    /* An absolute time already past fires at once. */
    fired = 0;
    it.it_value.tv_sec = 1;
    it.it_value.tv_nsec = 0;
    timer_settime(rt, TIMER_ABSTIME, &it, NULL);
    t0 = mono();
    while (!fired)
        pause();
    printf("absolute time in the past: fires at once: %s\n", yn(mono() - t0 < 0.5));

    /* Errors. */
    timer_t bad;
    errno = 0;
    printf("timer_create on clock 99: %s\n", err(timer_create(99, &ev, &bad)));
    ev.sigev_signo = 65;
    printf("timer_create with signal 65: %s\n", err(timer_create(CLOCK_MONOTONIC, &ev, &bad)));
    ev.sigev_signo = SIGUSR1;
    ev.sigev_notify = 77;
    printf("timer_create with notify 77: %s\n", err(timer_create(CLOCK_MONOTONIC, &ev, &bad)));
    it = spec(0.01, 0);
    it.it_value.tv_nsec = 1000000000;
    printf("timer_settime with tv_nsec 1e9: %s\n", err(timer_settime(t, 0, &it, NULL)));
    printf("timer_delete: %s\n", err(timer_delete(t)));
    printf("timer_gettime on a deleted timer: %s\n", err(syscall(SYS_timer_gettime, (int)(intptr_t)t, &cur)));
    printf("timer_delete again: %s\n", err(syscall(SYS_timer_delete, (int)(intptr_t)t)));
    printf("timer_getoverrun on a deleted timer: %s\n", err(syscall(SYS_timer_getoverrun, (int)(intptr_t)t)));
    printf("timer_create to a bad address: %s\n",
           err(syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, (void *)16)));
    timer_delete(rt);

    /* Clocks that take no timers, and ids counting up. */
    printf("timer_create on CLOCK_MONOTONIC_RAW: %s\n",
           timer_create(CLOCK_MONOTONIC_RAW, NULL, &bad) == 0 ? "ok" : errno == EOPNOTSUPP ? "EOPNOTSUPP" : strerror(errno));
    printf("timer_create on CLOCK_BOOTTIME: %s\n", err(timer_create(CLOCK_BOOTTIME, NULL, &bad)));
    timer_t a, b;
    timer_create(CLOCK_MONOTONIC, NULL, &a);
    timer_delete(a);
    timer_create(CLOCK_MONOTONIC, NULL, &b);
    printf("a new timer gets a new id: %s\n", yn(a != b));
}

static void none_timers(void) {
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_NONE;
    timer_t t;
    timer_create(CLOCK_MONOTONIC, &ev, &t);
    struct itimerspec it = spec(0.05, 0), cur;
    timer_settime(t, 0, &it, NULL);
    struct timespec nap = {0, 20000000};
    nanosleep(&nap, NULL);
    timer_gettime(t, &cur);
    printf("SIGEV_NONE: after 20 ms of 50, left in (0, 31 ms]: %s\n",
           yn(secs(cur.it_value) > 0 && secs(cur.it_value) <= 0.031));
    nap.tv_nsec = 40000000;
    nanosleep(&nap, NULL);
    timer_gettime(t, &cur);
    printf("SIGEV_NONE: expired: left %g, no signal (the process is still here)\n", secs(cur.it_value));
    it = spec(0.01, 0.01);
    timer_settime(t, 0, &it, NULL);
    nap.tv_nsec = 35000000;
    nanosleep(&nap, NULL);
    timer_gettime(t, &cur);
    printf("SIGEV_NONE periodic: left in (0, 10 ms]: %s, overrun counted: %s\n",
           yn(secs(cur.it_value) > 0 && secs(cur.it_value) <= 0.01), yn(timer_getoverrun(t) >= 0));
    timer_delete(t);
}

static volatile int waiter_tid;
static volatile int waiter_ready;

static void *waiter(void *arg) {
    (void)arg;
    waiter_tid = syscall(SYS_gettid);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    waiter_ready = 1;
    siginfo_t si;
    int got = 0, right = 0;
    for (int i = 0; i < 3; i++) {
        if (sigwaitinfo(&set, &si) == SIGUSR2) {
            got++;
            right += si.si_code == SI_TIMER && si.si_value.sival_int == 7;
        }
    }
    printf("SIGEV_THREAD_ID: the named thread took %d signals, %d with SI_TIMER and the value\n", got, right);
    return NULL;
}

static void thread_id_timers(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);  /* both threads block it: only the named one takes it */
    pthread_t th;
    pthread_create(&th, NULL, waiter, NULL);
    while (!waiter_ready)
        sched_yield();
    struct ksigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.notify = SIGEV_THREAD_ID;
    ev.signo = SIGUSR2;
    ev.value.sival_int = 7;
    ev.tid = waiter_tid;
    int id = -1;
    long r = syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id);
    printf("timer_create SIGEV_THREAD_ID: %s\n", err(r));
    struct itimerspec it = spec(0.01, 0.01);
    syscall(SYS_timer_settime, id, 0, &it, NULL);
    pthread_join(th, NULL);
    syscall(SYS_timer_delete, id);
    ev.tid = 999999;
    printf("SIGEV_THREAD_ID to no such thread: %s\n", err(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id)));
    sigset_t pend;
    sigpending(&pend);
    printf("main thread has nothing pending: %s\n", yn(!sigismember(&pend, SIGUSR2)));
}

static volatile int notified;
static volatile int notify_tid, notify_value;

static void on_notify(union sigval v) {
    notify_value = v.sival_int;
    notify_tid = syscall(SYS_gettid);
    __atomic_add_fetch(&notified, 1, __ATOMIC_SEQ_CST);
}

static void thread_timers(void) {
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = on_notify;
    ev.sigev_value.sival_int = 99;
    timer_t t;
    printf("timer_create SIGEV_THREAD: %s\n", err(timer_create(CLOCK_MONOTONIC, &ev, &t)));
    struct itimerspec it = spec(0.01, 0.01), cur;
    timer_settime(t, 0, &it, NULL);
    double t0 = mono();
    while (__atomic_load_n(&notified, __ATOMIC_SEQ_CST) < 3 && mono() - t0 < 10) {
        struct timespec nap = {0, 5000000};
        nanosleep(&nap, NULL);
    }
    timer_gettime(t, &cur);
    printf("SIGEV_THREAD: ran 3 times or more: %s, in another thread: %s, with the value: %d, interval 10 ms: %s\n",
           yn(notified >= 3), yn(notify_tid != syscall(SYS_gettid)), notify_value,
           yn(cur.it_interval.tv_nsec == 10000000));
    printf("timer_delete SIGEV_THREAD: %s\n", err(timer_delete(t)));
    struct timespec nap = {0, 50000000};
    nanosleep(&nap, NULL);
    int n = notified;
    nanosleep(&nap, NULL);
    printf("after timer_delete: no more calls: %s\n", yn(notified == n));
}

static void inherit(const char *self) {
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_NONE;
    timer_t t;
    timer_create(CLOCK_MONOTONIC, &ev, &t);
    struct itimerspec it = spec(5, 0), cur;
    timer_settime(t, 0, &it, NULL);
    printf("parent: timer_gettime: %s\n", err(timer_gettime(t, &cur)));
    pid_t pid = fork();
    if (pid == 0) {
        printf("fork child: timer_gettime on the parent's timer: %s\n",
               err(syscall(SYS_timer_gettime, (int)(intptr_t)t, &cur)));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    pid = fork();
    if (pid == 0) {
        timer_t own;  /* a timer of this process's own, then exec */
        timer_create(CLOCK_MONOTONIC, &ev, &own);
        timer_settime(own, 0, &it, NULL);
        printf("exec child: its own timer before exec: %s\n", err(timer_gettime(own, &cur)));
        fflush(stdout);
        char id[16];
        snprintf(id, sizeof id, "%d", (int)(intptr_t)own);
        execl(self, self, "after_exec", id, (char *)NULL);
        _exit(127);
    }
    waitpid(pid, NULL, 0);
    printf("parent: still has it: %s\n", err(timer_gettime(t, &cur)));
}

static void after_exec(int id) {
    struct itimerspec cur;
    printf("after exec: timer_gettime on the timer made before exec: %s\n",
           err(syscall(SYS_timer_gettime, id, &cur)));
}

static volatile sig_atomic_t vt, prof, cpufired;
static void on_vt(int s) { (void)s; vt++; }
static void on_prof(int s) { (void)s; prof++; }
static void on_cpu(int s) { (void)s; cpufired++; }

static void spin_until(volatile sig_atomic_t *flag, double limit) {
    double t0 = mono();
    while (!*flag && mono() - t0 < limit) {
        for (volatile int i = 0; i < 10000; i++) {
        }
    }
}

static volatile int thread_cpu_done;
static double thread_cpu_at;

static void *spinner(void *arg) {
    (void)arg;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_NONE;
    timer_t t;
    timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &t);
    struct itimerspec it = spec(0.05, 0), cur;
    timer_settime(t, 0, &it, NULL);
    double t0 = mono();
    for (;;) {
        for (volatile int i = 0; i < 10000; i++) {
        }
        timer_gettime(t, &cur);
        if (secs(cur.it_value) == 0 || mono() - t0 > 20)
            break;
    }
    thread_cpu_at = cpu(CLOCK_THREAD_CPUTIME_ID);
    thread_cpu_done = 1;
    timer_delete(t);
    return NULL;
}

static void cpu_timers(void) {
    /* ITIMER_VIRTUAL: 200 ms of CPU time, not of sleep.  (Long enough that
     * a pause of the host process, which Violet counts as the guest's CPU
     * time, does not end it during the sleep.) */
    signal(SIGVTALRM, on_vt);
    struct itimerval v = {{0, 0}, {0, 200000}}, cur;
    setitimer(ITIMER_VIRTUAL, &v, NULL);
    struct timespec nap = {0, 100000000};
    nanosleep(&nap, NULL);
    getitimer(ITIMER_VIRTUAL, &cur);
    printf("ITIMER_VIRTUAL: not fired while asleep: %s, still armed: %s\n", yn(vt == 0),
           yn(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 100000));
    double c0 = cpu(CLOCK_PROCESS_CPUTIME_ID);
    spin_until(&vt, 20);
    printf("ITIMER_VIRTUAL: fired after spinning %s, about 200 ms of CPU: %s\n", yn(vt == 1),
           yn(cpu(CLOCK_PROCESS_CPUTIME_ID) - c0 >= 0.1));
    getitimer(ITIMER_VIRTUAL, &cur);
    printf("ITIMER_VIRTUAL: one-shot, now disarmed: %s\n", yn(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0));

    /* ITIMER_PROF, periodic: three rings. */
    signal(SIGPROF, on_prof);
    struct itimerval p = {{0, 10000}, {0, 10000}}, old;
    setitimer(ITIMER_PROF, &p, NULL);
    double t0 = mono();
    while (prof < 3 && mono() - t0 < 20) {
        for (volatile int i = 0; i < 10000; i++) {
        }
    }
    setitimer(ITIMER_PROF, &(struct itimerval){{0, 0}, {0, 0}}, &old);
    printf("ITIMER_PROF: rang 3 times: %s, old interval 10 ms: %s\n", yn(prof >= 3),
           yn(old.it_interval.tv_usec == 10000));

    /* A CLOCK_PROCESS_CPUTIME_ID timer with a signal. */
    signal(SIGUSR1, on_cpu);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    timer_t t;
    timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &t);
    struct itimerspec it = spec(0.2, 0), left;
    timer_settime(t, 0, &it, NULL);
    nanosleep(&nap, NULL);
    timer_gettime(t, &left);
    printf("CLOCK_PROCESS_CPUTIME_ID timer: not fired while asleep: %s, left more than 100 ms: %s\n",
           yn(cpufired == 0), yn(secs(left.it_value) > 0.1));
    c0 = cpu(CLOCK_PROCESS_CPUTIME_ID);
    spin_until(&cpufired, 20);
    printf("CLOCK_PROCESS_CPUTIME_ID timer: fired after spinning: %s\n", yn(cpufired == 1));
    timer_delete(t);

    /* A CLOCK_THREAD_CPUTIME_ID timer counts its own thread's time. */
    pthread_t th;
    pthread_create(&th, NULL, spinner, NULL);
    pthread_join(th, NULL);
    printf("CLOCK_THREAD_CPUTIME_ID: expired when the thread had used 50 ms: %s\n", yn(thread_cpu_at >= 0.0499));

    printf("setitimer(3): %s\n", setitimer(3, &v, NULL) == 0 ? "ok" : errno == EINVAL ? "EINVAL" : "?");
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "signal"))
        signal_timers();
    else if (!strcmp(what, "none"))
        none_timers();
    else if (!strcmp(what, "thread_id"))
        thread_id_timers();
    else if (!strcmp(what, "thread"))
        thread_timers();
    else if (!strcmp(what, "inherit"))
        inherit(argv[0]);
    else if (!strcmp(what, "after_exec") && argc > 2)
        after_exec(atoi(argv[2]));
    else if (!strcmp(what, "cpu"))
        cpu_timers();
    else if (!strcmp(what, "leave")) {
        /* exit with timers armed: an hour-long periodic one and a CPU one */
        timer_t a, b;
        struct itimerspec hour = spec(3600, 3600);
        timer_create(CLOCK_MONOTONIC, NULL, &a);
        timer_settime(a, 0, &hour, NULL);
        timer_create(CLOCK_PROCESS_CPUTIME_ID, NULL, &b);
        timer_settime(b, 0, &hour, NULL);
        printf("armed\n");
    }
    else
        return 2;
    return 0;
}
