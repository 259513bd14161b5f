/* proc_list: /proc's directories list what is there, as Linux's do.
 *
 *   proc_list          facts that hold natively and under Violet
 *   proc_list violet   Violet's own choices (core_pattern, writes refused)
 *   proc_list wait     pause until killed
 *   proc_list peek PID what another process's entries give: another
 *                      user's fd/, exe, smaps_rollup are EACCES, its
 *                      status and stat are public
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Whether directory PATH lists NAME with type TYPE (DT_UNKNOWN: any). */
static int lists(const char *path, const char *name, int type) {
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        if (!strcmp(e->d_name, name) && (type == DT_UNKNOWN || e->d_type == type))
            found = 1;
    closedir(d);
    return found;
}

static int count(const char *path) {
    DIR *d = opendir(path);
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    rewinddir(d);
    int again = 0;
    while (readdir(d))
        again++;
    closedir(d);
    return again == n ? n : -2;
}

static char text[65536];

static const char *slurp(const char *path) {
    int fd = open(path, O_RDONLY);
    ssize_t n, total = 0;
    while (fd >= 0 && (n = read(fd, text + total, sizeof text - 1 - total)) > 0)
        total += n;
    if (fd >= 0)
        close(fd);
    text[total] = 0;
    return text;
}

int main(int argc, char **argv) {
    char me[32], path[128];
    snprintf(me, sizeof me, "%d", getpid());
    if (argc == 2 && !strcmp(argv[1], "wait")) {
        pause();
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "peek")) {
        const char *what[] = {"fd", "exe", "smaps_rollup", "status", "stat"};
        for (int i = 0; i < 5; i++) {
            snprintf(path, sizeof path, "/proc/%s/%s", argv[2], what[i]);
            char l[256];
            int ok;
            if (i == 0) {
                DIR *d = opendir(path);
                ok = d != NULL;
                if (d)
                    closedir(d);
            } else if (i == 1) {
                ok = readlink(path, l, sizeof l) > 0;
            } else {
                int fd = open(path, O_RDONLY);
                ok = fd >= 0;
                if (fd >= 0)
                    close(fd);
            }
            printf("%s: %s\n", what[i], ok ? "read" : errno == EACCES ? "EACCES" : strerror(errno));
        }
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "violet")) {
        printf("core_pattern: %s", slurp("/proc/sys/kernel/core_pattern"));
        int fd = open("/proc/sys/kernel/core_pattern", O_WRONLY);
        printf("core_pattern for writing: %s\n", fd < 0 && errno == EACCES ? "EACCES" : "opened");
        fd = open("/proc/self/status", O_RDWR);
        printf("status for writing: %s\n", fd < 0 && errno == EACCES ? "EACCES" : "opened");
        return 0;
    }
    printf("/proc lists: me %d, self %d, thread-self %d, meminfo %d, sys %d, stat %d, uptime %d\n",
           lists("/proc", me, DT_DIR), lists("/proc", "self", DT_LNK), lists("/proc", "thread-self", DT_LNK),
           lists("/proc", "meminfo", DT_REG), lists("/proc", "sys", DT_DIR), lists("/proc", "stat", DT_REG),
           lists("/proc", "uptime", DT_REG));
    printf("/proc/self lists: status %d, stat %d, fd %d, task %d, exe %d, smaps_rollup %d\n",
           lists("/proc/self", "status", DT_REG), lists("/proc/self", "stat", DT_REG), lists("/proc/self", "fd", DT_DIR),
           lists("/proc/self", "task", DT_DIR), lists("/proc/self", "exe", DT_LNK),
           lists("/proc/self", "smaps_rollup", DT_REG));
    printf("/proc/self/task lists me: %d; /proc/sys/kernel lists pid_max %d, core_pattern %d\n",
           lists("/proc/self/task", me, DT_DIR), lists("/proc/sys/kernel", "pid_max", DT_UNKNOWN),
           lists("/proc/sys/kernel", "core_pattern", DT_UNKNOWN));
    printf("rewound listing is the same: %d\n", count("/proc/self") > 10);

    int p[2];
    if (pipe(p))
        return 2;
    pid_t c = fork();
    if (c == 0) {
        char x;
        if (read(p[0], &x, 1) < 0)
            _exit(1);
        _exit(0);
    }
    char child[32];
    snprintf(child, sizeof child, "%d", c);
    printf("child listed: %d\n", lists("/proc", child, DT_DIR));
    snprintf(path, sizeof path, "/proc/%d", c);
    struct stat s;
    printf("child's directory is its user's: %d\n", stat(path, &s) == 0 && S_ISDIR(s.st_mode) && s.st_uid == getuid());
    snprintf(path, sizeof path, "/proc/%d/cmdline", c);
    int fd = open(path, O_RDONLY);
    char cmd[256] = {0};
    printf("child's cmdline is ours: %d\n", fd >= 0 && read(fd, cmd, sizeof cmd) > 0 && !strcmp(cmd, argv[0]));
    close(fd);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    printf("reaped child listed: %d\n", lists("/proc", child, DT_DIR));

    char want[64], got[64] = {0};
    snprintf(want, sizeof want, "%d/task/%ld", getpid(), (long)syscall(SYS_gettid));
    printf("thread-self: %d\n", readlink("/proc/thread-self", got, sizeof got - 1) > 0 && !strcmp(got, want));

    double up, idle;
    printf("uptime: %d\n", sscanf(slurp("/proc/uptime"), "%lf %lf", &up, &idle) == 2 && up > 0);
    double l1, l5, l15;
    int running, total, last;
    printf("loadavg: %d\n", sscanf(slurp("/proc/loadavg"), "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &running, &total,
                                   &last) == 6 && running >= 1 && total >= running);
    const char *bt = strstr(slurp("/proc/stat"), "\nbtime ");
    long btime = bt ? atol(bt + 7) : 0;
    printf("btime: %d\n", btime > 0 && btime <= time(NULL));
    printf("cpuinfo: %d\n", strstr(slurp("/proc/cpuinfo"), "processor") != NULL);
    printf("meminfo: %d\n", strncmp(slurp("/proc/meminfo"), "MemTotal:", 9) == 0);
    printf("mounts: %d\n", strstr(slurp("/proc/mounts"), " /proc proc ") != NULL);
    long v[7];
    printf("statm: %d\n", sscanf(slurp("/proc/self/statm"), "%ld %ld %ld %ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3],
                                 &v[4], &v[5], &v[6]) == 7 && v[1] > 0 && v[0] >= v[1]);
    printf("pid_max: %d\n", atol(slurp("/proc/sys/kernel/pid_max")) > 0);
    printf("core_pattern readable: %d\n", slurp("/proc/sys/kernel/core_pattern")[0] != 0);
    snprintf(want, sizeof want, "\nPid:\t%d\n", getpid());
    printf("status: %d\n", strstr(slurp("/proc/self/status"), want) != NULL);
    struct rlimit nofile = {100, 200};
    setrlimit(RLIMIT_NOFILE, &nofile);
    const char *lim = strstr(slurp("/proc/self/limits"), "\nMax open files ");
    printf("limits: %.*s\n", lim ? (int)(strchr(lim + 1, '\n') - lim - 1) : 0, lim ? lim + 1 : "");
    printf("limits header: %.*s|\n", (int)(strchr(text, '\n') - text), text);
    printf("no such entry: %s\n", open("/proc/self/nonesuch", O_RDONLY) < 0 && errno == ENOENT ? "ENOENT" : "?");
    printf("a file as a directory: %s\n", open("/proc/self/status/x", O_RDONLY) < 0 && errno == ENOTDIR ? "ENOTDIR" : "?");
    printf("a directory for writing: %s\n", open("/proc/self", O_WRONLY) < 0 && errno == EISDIR ? "EISDIR" : "?");
    return 0;
}
