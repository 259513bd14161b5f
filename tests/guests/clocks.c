/* clocks: clock_gettime, gettimeofday, time and nanosleep.
 *
 *   clocks          the checks below, one line each
 *   clocks now      prints CLOCK_REALTIME as "realtime SECONDS.NANOSECONDS"
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static const char *ok(int c) { return c ? "ok" : "BAD"; }

static double secs(struct timespec ts) { return ts.tv_sec + ts.tv_nsec / 1e9; }

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return secs(ts);
}

static int later_or_same(struct timespec a, struct timespec b) {
    return b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec);
}

int main(int argc, char **argv) {
    struct timespec ts;
    if (argc > 1 && !strcmp(argv[1], "now")) {
        clock_gettime(CLOCK_REALTIME, &ts);
        printf("realtime %lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
        return 0;
    }

    /* CLOCK_MONOTONIC never goes backwards, over many readings. */
    struct timespec prev, cur;
    clock_gettime(CLOCK_MONOTONIC, &prev);
    int backwards = 0, valid = 1;
    for (int i = 0; i < 2000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &cur);
        backwards += !later_or_same(prev, cur);
        valid &= cur.tv_nsec >= 0 && cur.tv_nsec < 1000000000;
        prev = cur;
    }
    printf("monotonic never goes backwards: %s\n", ok(backwards == 0));
    printf("tv_nsec in range: %s\n", ok(valid));

    /* nanosleep sleeps at least the time asked. */
    static const long asks_ms[] = {1, 20, 60};
    for (int i = 0; i < 3; i++) {
        struct timespec req = {0, asks_ms[i] * 1000000L};
        double t0 = mono();
        int rc = nanosleep(&req, NULL);
        double slept = mono() - t0;
        printf("nanosleep %ld ms: rc %d, slept at least that: %s\n", asks_ms[i], rc, ok(slept >= asks_ms[i] / 1e3));
    }
    struct timespec zero = {0, 0};
    printf("nanosleep 0: %d\n", nanosleep(&zero, NULL));

    /* clock_nanosleep, relative and absolute. */
    struct timespec rel = {0, 30 * 1000000L};
    double t0 = mono();
    int rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &rel, NULL);
    printf("clock_nanosleep relative: rc %d, long enough: %s\n", rc, ok(mono() - t0 >= 0.03));
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    double target = secs(until) + 0.03;
    until.tv_nsec += 30 * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    printf("clock_nanosleep absolute: rc %d, reached the deadline: %s\n", rc, ok(mono() >= target - 1e-9));

    /* Bad arguments. */
    struct timespec bad = {0, 1000000000L};
    errno = 0;
    printf("nanosleep tv_nsec 1e9: rc %d, EINVAL: %s\n", nanosleep(&bad, NULL), ok(errno == EINVAL));
    struct timespec neg = {-1, 0};
    errno = 0;
    printf("nanosleep negative: rc %d, EINVAL: %s\n", nanosleep(&neg, NULL), ok(errno == EINVAL));
    errno = 0;
    printf("clock_gettime bad clock: rc %d, EINVAL: %s\n", clock_gettime(12345, &ts), ok(errno == EINVAL));

    /* The wall clocks agree with each other. */
    struct timeval tv;
    clock_gettime(CLOCK_REALTIME, &ts);
    gettimeofday(&tv, NULL);
    time_t now = time(NULL);
    double a = secs(ts), b = tv.tv_sec + tv.tv_usec / 1e6;
    printf("gettimeofday agrees with CLOCK_REALTIME: %s\n", ok(b >= a - 1e-6 && b - a < 1.0));
    printf("time() agrees with CLOCK_REALTIME: %s\n", ok(now >= ts.tv_sec && now - ts.tv_sec <= 1));

    /* Resolutions. */
    struct timespec res;
    rc = clock_getres(CLOCK_MONOTONIC, &res);
    printf("clock_getres monotonic: rc %d, positive and at most 1 ms: %s\n", rc,
           ok(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000));

    /* CPU time is small but moves forward while we compute. */
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 300000; i++) x += i;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    printf("process CPU time does not go backwards: %s\n", ok(later_or_same(c0, c1)));
    return 0;
}
