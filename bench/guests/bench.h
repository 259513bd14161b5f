/* bench.h: what every benchmark guest shares.
 *
 * A guest times its own inner section with CLOCK_MONOTONIC and prints one
 * line per figure, "metric NAME VALUE UNIT", which bench/run.py parses.
 * Start-up of whatever runs the guest (a Python kernel, qemu's translator)
 * therefore stays out of these figures; the harness reports whole-run wall
 * time separately.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void metric(const char *name, double value, const char *unit) {
    printf("metric %s %.6g %s\n", name, value, unit);
    fflush(stdout);
}

/* argv[i] as a positive count, or `dflt` when absent. */
static inline long arg_count(int argc, char **argv, int i, long dflt) {
    if (argc <= i)
        return dflt;
    long n = strtol(argv[i], NULL, 0);
    if (n <= 0) {
        fprintf(stderr, "bad count %s\n", argv[i]);
        exit(2);
    }
    return n;
}

static inline void die(const char *what) {
    perror(what);
    exit(1);
}

#endif
