/* Pipe semantics (pipe(7)), one case per argument; each prints what it
 * saw, and the test compares with the same program run natively.
 *
 *   eof        data, then EOF once the only writer closes; a short read
 *              returns what is there; EBADF on the wrong end
 *   nonblock   O_NONBLOCK: EAGAIN on an empty pipe, the 64 KiB capacity,
 *              an atomic write (<= PIPE_BUF) that does not fit is EAGAIN,
 *              a larger one is partial, EOF instead of EAGAIN without writers
 *   bigwrite   a blocking write larger than the pipe returns all of it
 *              once a reader has taken it
 *   atomic     four writers, 4096-byte records (PIPE_BUF) written
 *              concurrently: no record is interleaved with another
 *   epipe      no reader: SIGPIPE kills by default; ignored, EPIPE; a
 *              handler runs, then EPIPE; a zero-byte write succeeds
 *   wakeups    a blocked reader gets EOF when the last writer closes; a
 *              blocked writer gets EPIPE when the last reader closes
 *   ioctl      FIONREAD on either end counts the bytes in the pipe; a
 *              terminal request is ENOTTY
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
    printf("FAILED: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void nap_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *err_name(int e) {
    switch (e) {
    case EAGAIN: return "EAGAIN";
    case EPIPE: return "EPIPE";
    case EBADF: return "EBADF";
    case EINTR: return "EINTR";
    case ENOTTY: return "ENOTTY";
    default: return "other";
    }
}

static void show(const char *what, ssize_t r) {
    if (r < 0)
        printf("%s: -1 %s\n", what, err_name(errno));
    else
        printf("%s: %zd\n", what, r);
    fflush(stdout);
}

static int case_eof(void) {
    int p[2];
    char buf[100];
    if (pipe(p) < 0)
        die("pipe");
    show("write 5", write(p[1], "hello", 5));
    show("read 100 gets what is there", read(p[0], buf, sizeof buf));
    show("write to the read end", write(p[0], "x", 1));
    show("read from the write end", read(p[1], buf, 1));
    show("write 3", write(p[1], "abc", 3));
    close(p[1]);
    show("read after writer closed", read(p[0], buf, sizeof buf));
    show("read at EOF", read(p[0], buf, sizeof buf));
    show("read at EOF again", read(p[0], buf, sizeof buf));
    return 0;
}

static int case_nonblock(void) {
    int p[2];
    static char buf[100000];
    if (pipe2(p, O_NONBLOCK) < 0)
        die("pipe2");
    show("read empty", read(p[0], buf, 10));
    long total = 0;
    for (;;) {
        ssize_t n = write(p[1], buf, 1000);
        if (n < 0) {
            printf("fill stops with %s\n", err_name(errno));
            break;
        }
        total += n;
    }
    printf("capacity: %ld\n", total);
    /* Drain, then leave 100 bytes of room. */
    while (read(p[0], buf, sizeof buf) > 0)
        ;
    show("write 65436", write(p[1], buf, 65436));
    show("atomic write of PIPE_BUF with 100 bytes of room", write(p[1], buf, PIPE_BUF));
    show("write 100 into 100 bytes of room", write(p[1], buf, 100));
    show("write 1 into a full pipe", write(p[1], buf, 1));
    while (read(p[0], buf, sizeof buf) > 0)
        ;
    show("write 100000 into an empty pipe (partial)", write(p[1], buf, 100000));
    while (read(p[0], buf, sizeof buf) > 0)
        ;
    close(p[1]);
    show("read empty without writers (EOF, not EAGAIN)", read(p[0], buf, 10));
    return 0;
}

static int case_bigwrite(void) {
    int p[2];
    enum { SIZE = 300000 };
    static char buf[SIZE];
    if (pipe(p) < 0)
        die("pipe");
    for (int i = 0; i < SIZE; i++)
        buf[i] = (char)(i % 251);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(p[1]);
        static char in[SIZE];
        long got = 0;
        ssize_t n;
        nap_ms(50); /* let the writer fill the pipe and block */
        while ((n = read(p[0], in + got, SIZE - got)) > 0)
            got += n;
        _exit(got != SIZE ? 1 : memcmp(in, buf, SIZE) != 0 ? 2 : 0);
    }
    close(p[0]);
    show("one blocking write of 300000", write(p[1], buf, SIZE));
    close(p[1]);
    int st;
    waitpid(pid, &st, 0);
    printf("reader: %s\n", !WIFEXITED(st) ? "killed" : WEXITSTATUS(st) == 0 ? "got all 300000 bytes in order"
                           : WEXITSTATUS(st) == 1 ? "short" : "corrupted");
    return 0;
}

static int case_atomic(void) {
    enum { WRITERS = 4, RECORDS = 64 };
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    for (int w = 0; w < WRITERS; w++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            close(p[0]);
            char rec[PIPE_BUF];
            memset(rec, 'A' + w, sizeof rec);
            for (int r = 0; r < RECORDS; r++)
                if (write(p[1], rec, sizeof rec) != sizeof rec)
                    _exit(1);
            _exit(0);
        }
    }
    close(p[1]);
    long records = 0, mixed = 0, counts[WRITERS] = {0};
    char rec[PIPE_BUF];
    for (;;) {
        size_t got = 0;
        ssize_t n = 1;
        while (got < sizeof rec && (n = read(p[0], rec + got, sizeof rec - got)) > 0)
            got += (size_t)n;
        if (got == 0)
            break;
        if (got != sizeof rec) {
            printf("a partial record of %zu bytes at the end\n", got);
            break;
        }
        records++;
        int w = rec[0] - 'A';
        for (size_t i = 1; i < sizeof rec; i++)
            if (rec[i] != rec[0]) {
                mixed++;
                break;
            }
        if (w >= 0 && w < WRITERS)
            counts[w]++;
    }
    for (int w = 0; w < WRITERS; w++) {
        int st;
        wait(&st);
    }
    printf("records: %ld, interleaved: %ld, per writer: %ld %ld %ld %ld\n", records, mixed, counts[0], counts[1],
           counts[2], counts[3]);
    return 0;
}

static volatile sig_atomic_t handled;
static void on_pipe(int sig) { handled = sig; }

static int case_epipe(void) {
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    close(p[0]);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        write(p[1], "x", 1);
        _exit(0); /* not reached: SIGPIPE */
    }
    int st;
    waitpid(pid, &st, 0);
    printf("default action: %s %d\n", WIFSIGNALED(st) ? "killed by signal" : "exited", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));

    signal(SIGPIPE, SIG_IGN);
    show("ignored: write", write(p[1], "x", 1));
    show("ignored: write of 0 bytes", write(p[1], "x", 0));

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_pipe;
    sigaction(SIGPIPE, &sa, NULL);
    show("handled: write", write(p[1], "x", 1));
    printf("handler saw signal %d\n", (int)handled);
    return 0;
}

static int case_wakeups(void) {
    int p[2];
    char buf[8];
    if (pipe(p) < 0)
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(p[1]);
        ssize_t n = read(p[0], buf, sizeof buf); /* blocks until the parent closes */
        _exit(n == 0 ? 0 : 1);
    }
    close(p[0]);
    nap_ms(50);
    close(p[1]);
    int st;
    waitpid(pid, &st, 0);
    printf("blocked reader, last writer closes: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "EOF" : "no EOF");

    if (pipe(p) < 0)
        die("pipe");
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(p[0]);
        signal(SIGPIPE, SIG_IGN);
        static char big[65536];
        if (write(p[1], big, sizeof big) != sizeof big) /* fills the pipe */
            _exit(2);
        ssize_t n = write(p[1], big, 1); /* blocks until the parent closes */
        _exit(n < 0 && errno == EPIPE ? 0 : 1);
    }
    close(p[1]);
    nap_ms(50);
    close(p[0]);
    waitpid(pid, &st, 0);
    printf("blocked writer, last reader closes: %s\n",
           WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "EPIPE" : "not EPIPE");
    return 0;
}

static int case_ioctl(void) {
    int p[2], n = -1;
    char buf[16];
    struct termios tio;
    if (pipe(p) < 0)
        die("pipe");
    show("FIONREAD empty", ioctl(p[0], FIONREAD, &n) == 0 ? n : -1);
    write(p[1], "hello", 5);
    write(p[1], "abc", 3);
    show("FIONREAD read end after 8 bytes", ioctl(p[0], FIONREAD, &n) == 0 ? n : -1);
    show("FIONREAD write end", ioctl(p[1], FIONREAD, &n) == 0 ? n : -1);
    read(p[0], buf, 2);
    show("FIONREAD after reading 2", ioctl(p[0], FIONREAD, &n) == 0 ? n : -1);
    show("TCGETS on a pipe", tcgetattr(p[0], &tio));
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: pipes CASE\n");
        return 2;
    }
    const char *c = argv[1];
    if (!strcmp(c, "eof")) return case_eof();
    if (!strcmp(c, "nonblock")) return case_nonblock();
    if (!strcmp(c, "bigwrite")) return case_bigwrite();
    if (!strcmp(c, "atomic")) return case_atomic();
    if (!strcmp(c, "epipe")) return case_epipe();
    if (!strcmp(c, "wakeups")) return case_wakeups();
    if (!strcmp(c, "ioctl")) return case_ioctl();
    fprintf(stderr, "unknown case %s\n", c);
    return 2;
}
