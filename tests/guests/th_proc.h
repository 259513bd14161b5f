/* th_proc.h: what the thread guests read from /proc.
 *
 * threads_of_self(): the "Threads:" count of this process (-1 if unreadable);
 * wait_until_sleeping(tid): return once thread `tid` is asleep in the kernel.
 */
#ifndef TH_PROC_H
#define TH_PROC_H

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((unused))
static int threads_of_self(void) {
    char buf[2048];
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strstr(buf, "Threads:");
    return p ? atoi(p + 8) : -1;
}

__attribute__((unused))
static void wait_until_sleeping(int tid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
    for (;;) {
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = 0;
            if (strstr(buf, "State:\tS"))
                return;
        }
        sched_yield();
    }
}

#endif
