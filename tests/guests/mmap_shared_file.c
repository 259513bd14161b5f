/* mmap_shared_file MODE DIR: MAP_SHARED mappings of files, coherent with
 * read/write on the file and shared across fork; msync; SIGBUS past the end
 * of the file; shm_open.  Each mode prints what it saw; the test compares
 * the output with a native run and looks for "BAD". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static char path[4096];

static void bad(const char *what) {
    printf("BAD: %s (errno %d)\n", what, errno);
    fflush(stdout);
    exit(1);
}

static int make_file(const char *name, off_t size) {
    snprintf(path, sizeof path, "%s/%s", getenv("DIR") ? getenv("DIR") : ".", name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) bad("open");
    if (ftruncate(fd, size) != 0) bad("ftruncate");
    return fd;
}

static char *map(int fd, size_t len, int prot, off_t off) {
    char *p = mmap(NULL, len, prot, MAP_SHARED, fd, off);
    if (p == MAP_FAILED) bad("mmap");
    return p;
}

/* A store through the mapping shows in read(), pread() and after munmap. */
static void write_then_read(void) {
    int fd = make_file("wr", 2 * PG);
    char *p = map(fd, 2 * PG, PROT_READ | PROT_WRITE, 0);
    strcpy(p + 10, "stored via the mapping");
    strcpy(p + PG + 100, "second page");
    char buf[64] = {0};
    if (pread(fd, buf, 22, 10) != 22) bad("pread");
    printf("pread: %s\n", buf);
    memset(buf, 0, sizeof buf);
    lseek(fd, PG + 100, SEEK_SET);
    if (read(fd, buf, 11) != 11) bad("read");
    printf("read: %s\n", buf);
    int fd2 = open(path, O_RDONLY);  /* another open file description */
    memset(buf, 0, sizeof buf);
    if (pread(fd2, buf, 22, 10) != 22) bad("pread fd2");
    printf("pread, another open: %s\n", buf);
    struct iovec iov[2] = {{buf, 6}, {buf + 32, 3}};
    memset(buf, 0, sizeof buf);
    lseek(fd2, 10, SEEK_SET);
    if (readv(fd2, iov, 2) != 9) bad("readv");
    printf("readv: %s|%s\n", buf, buf + 32);
    p[0] = 'X';
    if (munmap(p, 2 * PG) != 0) bad("munmap");
    memset(buf, 0, sizeof buf);
    if (pread(fd2, buf, 1, 0) != 1) bad("pread after munmap");
    printf("after munmap: %c\n", buf[0]);
    close(fd);
    close(fd2);
    unlink(path);
}

/* write()/pwrite()/ftruncate on the file show in the mapping at once. */
static void write_then_map(void) {
    int fd = make_file("wm", PG);
    char *p = map(fd, 4 * PG, PROT_READ | PROT_WRITE, 0);
    p[5] = 'm';  /* the page is cached and dirty before the write */
    if (pwrite(fd, "pwritten", 8, 100) != 8) bad("pwrite");
    printf("mapping after pwrite: %.8s, own store kept: %c\n", p + 100, p[5]);
    lseek(fd, 200, SEEK_SET);
    if (write(fd, "written", 7) != 7) bad("write");
    printf("mapping after write: %.7s\n", p + 200);
    struct iovec iov[2] = {{"wri", 3}, {"tev", 3}};
    lseek(fd, 300, SEEK_SET);
    if (writev(fd, iov, 2) != 6) bad("writev");
    printf("mapping after writev: %.6s\n", p + 300);
    if (ftruncate(fd, 3 * PG) != 0) bad("ftruncate grow");
    if (pwrite(fd, "grown", 5, 2 * PG + 7) != 5) bad("pwrite grown");
    printf("grown page: %.5s\n", p + 2 * PG + 7);
    int a = open(path, O_WRONLY | O_APPEND);
    if (write(a, "appended", 8) != 8) bad("append");
    printf("appended at the end: %.8s\n", p + 3 * PG);
    close(a);
    struct stat st;
    fstat(fd, &st);
    printf("size %lld\n", (long long)st.st_size);
    munmap(p, 4 * PG);
    close(fd);
    unlink(path);
}

/* A parent and its child share a mapping made before fork, both ways. */
static void fork_share(void) {
    int fd = make_file("fork", PG);
    volatile char *p = map(fd, PG, PROT_READ | PROT_WRITE, 0);
    close(fd);  /* the mapping keeps the file */
    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent)) bad("pipe");
    pid_t pid = fork();
    if (pid < 0) bad("fork");
    char c;
    if (pid == 0) {
        strcpy((char *)p, "from the child");
        write(to_parent[1], "x", 1);
        read(to_child[0], &c, 1);
        printf("child sees: %s\n", (char *)p + 100);
        fflush(stdout);
        _exit(0);
    }
    read(to_parent[0], &c, 1);
    printf("parent sees: %s\n", (char *)p);
    fflush(stdout);
    strcpy((char *)p + 100, "from the parent");
    write(to_child[1], "x", 1);
    int status;
    waitpid(pid, &status, 0);
    munmap((void *)p, PG);
    fd = open(path, O_RDONLY);
    char buf[16] = {0};
    pread(fd, buf, 15, 100);
    printf("file holds: %s\n", buf);
    close(fd);
    unlink(path);
}

/* A child maps the file itself after fork; the parent's older mapping sees its stores. */
static void child_maps(void) {
    int fd = make_file("childmap", 2 * PG);
    volatile char *p = map(fd, 2 * PG, PROT_READ, 0);
    printf("before: %d\n", p[PG + 1]);
    pid_t pid = fork();
    if (pid == 0) {
        int cfd = open(path, O_RDWR);
        char *q = map(cfd, PG, PROT_READ | PROT_WRITE, PG);
        strcpy(q + 1, "child's own mapping");
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("parent sees: %s\n", (char *)p + PG + 1);
    munmap((void *)p, 2 * PG);
    close(fd);
    unlink(path);
}

/* msync, then another program (the test) reads the file. */
static void do_msync(void) {
    int fd = make_file("synced", 2 * PG);
    char *p = map(fd, 2 * PG, PROT_READ | PROT_WRITE, 0);
    strcpy(p + PG + 16, "written back by msync");
    if (msync(p, 2 * PG, MS_SYNC) != 0) bad("msync");
    printf("msync: 0\n");
    fflush(stdout);
    strcpy(p + 16, "by munmap");
    if (msync(p, PG, MS_ASYNC | MS_SYNC) == 0 || errno != EINVAL) bad("msync both flags");
    if (msync(p + 1, PG, MS_SYNC) == 0 || errno != EINVAL) bad("msync unaligned");
    printf("msync errors: ok\n");
    munmap(p, 2 * PG);
    close(fd);  /* the file stays for the test */
}

static sigjmp_buf jb;
static volatile int got_sig;
static void on_sig(int sig, siginfo_t *si, void *uc) {
    (void)si; (void)uc;
    got_sig = sig;
    siglongjmp(jb, 1);
}

static int touch(volatile char *a) {
    got_sig = 0;
    if (sigsetjmp(jb, 1) == 0) {
        (void)*a;
        return 0;
    }
    return got_sig;
}

static int poke(volatile char *a) {
    got_sig = 0;
    if (sigsetjmp(jb, 1) == 0) {
        *a = 1;
        return 0;
    }
    return got_sig;
}

/* Pages past the end of the file: SIGBUS; truncation takes pages away, growth gives them back. */
static void sigbus(int fatal) {
    int fd = make_file("bus", PG + 100);
    volatile char *p = map(fd, 4 * PG, PROT_READ | PROT_WRITE, 0);
    if (fatal) {
        printf("touching the page past the end\n");
        fflush(stdout);
        (void)p[2 * PG];
        printf("BAD: no signal\n");
        exit(1);
    }
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    p[PG + 50] = 'a';
    printf("last page, past the last byte: %d\n", touch(p + PG + 200));
    printf("page past the end, read: %d\n", touch(p + 2 * PG));
    printf("page past the end, write: %d\n", poke(p + 3 * PG + 5));
    if (ftruncate(fd, 100) != 0) bad("shrink");
    printf("after shrink, page 1: %d\n", touch(p + PG + 50));
    printf("after shrink, page 0 past the end reads %d\n", p[200]);
    char buf[8] = {0};
    write(STDOUT_FILENO, "", 0);
    if (ftruncate(fd, 3 * PG) != 0) bad("grow");
    printf("after growth, page 1: %d, holds %d\n", touch(p + PG + 50), p[PG + 50]);
    p[2 * PG + 1] = 'z';
    pread(fd, buf, 1, 2 * PG + 1);
    printf("grown page written: %c\n", buf[0]);
    /* A kernel copy from past the end is EFAULT. */
    ftruncate(fd, PG);
    int n = write(STDOUT_FILENO, (char *)p + PG, 10);
    printf("write from past the end: %d errno %s\n", n, n < 0 && errno == EFAULT ? "EFAULT" : "other");
    munmap((void *)p, 4 * PG);
    close(fd);
    unlink(path);
}

/* mremap of a shared file mapping: it grows and moves with the file's
 * pages; old_len 0 makes a second view of the same pages. */
static void remap(void) {
    int fd = make_file("remap", 3 * PG);
    pwrite(fd, "third page", 10, 2 * PG);
    char *p = map(fd, PG, PROT_READ | PROT_WRITE, 0);
    strcpy(p, "first page");
    char *q = mremap(p, PG, 3 * PG, MREMAP_MAYMOVE);
    if (q == MAP_FAILED) bad("mremap grow");
    printf("grown: %s / %s\n", q, q + 2 * PG);
    char *alias = mremap(q, 0, PG, MREMAP_MAYMOVE);
    if (alias == MAP_FAILED) bad("mremap alias");
    strcpy(alias + 20, "via the alias");
    printf("alias store seen: %s\n", q + 20);
    q = mremap(q, 3 * PG, PG, 0);
    if (q == MAP_FAILED) bad("mremap shrink");
    char buf[16] = {0};
    munmap(q, PG);
    pread(fd, buf, 13, 20);
    printf("file: %s\n", buf);
    printf("alias still: %s\n", alias);
    munmap(alias, PG);
    close(fd);
    unlink(path);
}

/* An open with O_TRUNC empties a mapped file: its pages go. */
static void otrunc(void) {
    int fd = make_file("otrunc", 2 * PG);
    volatile char *p = map(fd, 2 * PG, PROT_READ | PROT_WRITE, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    p[10] = 'q';
    int t = open(path, O_RDWR | O_TRUNC);
    if (t < 0) bad("open O_TRUNC");
    printf("after O_TRUNC, page 0: %d\n", touch(p + 10));
    ftruncate(t, PG);
    printf("after growth, page 0: %d, holds %d\n", touch(p + 10), p[10]);
    close(t);
    munmap((void *)p, 2 * PG);
    struct stat st;
    fstat(fd, &st);
    printf("size %lld\n", (long long)st.st_size);
    close(fd);
    unlink(path);
}

/* shm_open, ftruncate, mmap, fork, shm_unlink. */
static void shm(void) {
    char name[64];
    snprintf(name, sizeof name, "/violet-shm-test-%d", (int)getpid());
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) bad("shm_open");
    if (ftruncate(fd, 2 * PG) != 0) bad("ftruncate shm");
    int *p = (int *)map(fd, 2 * PG, PROT_READ | PROT_WRITE, 0);
    close(fd);
    pid_t pid = fork();
    if (pid == 0) {
        int cfd = shm_open(name, O_RDWR, 0);
        if (cfd < 0) bad("child shm_open");
        int *q = (int *)map(cfd, 2 * PG, PROT_READ | PROT_WRITE, 0);
        for (int i = 0; i < 2 * PG / 4; i++) q[i] += i;
        p[0] = 4242;
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    long sum = 0;
    for (int i = 1; i < 2 * PG / 4; i++) sum += p[i];
    printf("parent sees p[0]=%d sum=%ld\n", p[0], sum);
    if (shm_unlink(name) != 0) bad("shm_unlink");
    printf("mapping after unlink: %d\n", p[0]);
    errno = 0;
    int again = shm_open(name, O_RDWR, 0);
    printf("shm_open after unlink: %d %s\n", again, errno == ENOENT ? "ENOENT" : "other");
    munmap(p, 2 * PG);
}

/* Protection checks, as Linux. */
static void prot(void) {
    int fd = make_file("prot", PG);
    close(fd);
    int ro = open(path, O_RDONLY);
    errno = 0;
    void *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    printf("shared PROT_WRITE on O_RDONLY: %s\n", p == MAP_FAILED && errno == EACCES ? "EACCES" : "other");
    p = mmap(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
    printf("shared PROT_READ on O_RDONLY: %s\n", p != MAP_FAILED ? "ok" : "failed");
    errno = 0;
    int r = mprotect(p, PG, PROT_READ | PROT_WRITE);
    printf("mprotect to PROT_WRITE: %d %s\n", r, errno == EACCES ? "EACCES" : "other");
    munmap(p, PG);
    p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    printf("private PROT_WRITE on O_RDONLY: %s\n", p != MAP_FAILED ? "ok" : "failed");
    munmap(p, PG);
    int wo = open(path, O_WRONLY);
    errno = 0;
    p = mmap(NULL, PG, PROT_READ, MAP_SHARED, wo, 0);
    printf("shared on O_WRONLY: %s\n", p == MAP_FAILED && errno == EACCES ? "EACCES" : "other");
    int dfd = open(getenv("DIR"), O_RDONLY | O_DIRECTORY);
    errno = 0;
    p = mmap(NULL, PG, PROT_READ, MAP_SHARED, dfd, 0);
    printf("shared directory: %s\n", p == MAP_FAILED && errno == ENODEV ? "ENODEV" : "other");
    close(ro);
    close(wo);
    close(dfd);
    unlink(path);
}

/* munmap of part of a mapping; offsets; two views of one page. */
static void partial(void) {
    int fd = make_file("partial", 4 * PG);
    char *p = map(fd, 4 * PG, PROT_READ | PROT_WRITE, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    if (munmap(p + PG, PG) != 0) bad("munmap middle");
    strcpy(p + 1, "first");
    strcpy(p + 2 * PG + 1, "third");
    printf("unmapped page: %d\n", touch(p + PG));
    char *view = map(fd, 2 * PG, PROT_READ | PROT_WRITE, 2 * PG);  /* offset 8192 */
    printf("view at offset: %s\n", view + 1);
    strcpy(view + PG + 9, "fourth");
    printf("original sees the view's store: %s\n", p + 3 * PG + 9);
    if (munmap(p, 4 * PG) != 0) bad("munmap all");
    char buf[8] = {0};
    pread(fd, buf, 5, 1);
    printf("file: %s", buf);
    pread(fd, buf, 5, 2 * PG + 1);
    printf(" %s", buf);
    pread(fd, buf, 6, 3 * PG + 9);
    printf(" %s\n", buf);
    printf("view still: %s\n", view + PG + 9);
    munmap(view, 2 * PG);
    close(fd);
    unlink(path);
}

/* MAP_PRIVATE of a file with dirty shared pages sees them (read at map time). */
static void private_sees_shared(void) {
    int fd = make_file("priv", 2 * PG);
    char *s = map(fd, 2 * PG, PROT_READ | PROT_WRITE, 0);
    strcpy(s + PG + 3, "shared store");
    char *q = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (q == MAP_FAILED) bad("private mmap");
    printf("private copy: %s\n", q + PG + 3);
    q[PG + 3] = 'S';
    printf("private store stays private: %c\n", s[PG + 3]);
    munmap(q, 2 * PG);
    munmap(s, 2 * PG);
    close(fd);
    unlink(path);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *m = argv[1];
    if (!strcmp(m, "write_then_read")) write_then_read();
    else if (!strcmp(m, "write_then_map")) write_then_map();
    else if (!strcmp(m, "fork_share")) fork_share();
    else if (!strcmp(m, "child_maps")) child_maps();
    else if (!strcmp(m, "msync")) do_msync();
    else if (!strcmp(m, "sigbus")) sigbus(0);
    else if (!strcmp(m, "sigbus_fatal")) sigbus(1);
    else if (!strcmp(m, "shm")) shm();
    else if (!strcmp(m, "otrunc")) otrunc();
    else if (!strcmp(m, "remap")) remap();
    else if (!strcmp(m, "prot")) prot();
    else if (!strcmp(m, "partial")) partial();
    else if (!strcmp(m, "private")) private_sees_shared();
    else return 2;
    return 0;
}
