/* code_kernel_written: code that reaches a page through the kernel (read()
 * from a pipe, as a loader or a JIT reading a file would) runs as written.
 *
 * The engine does not see the kernel's writes into guest memory, so a
 * translation of what a frame held before must never run again:
 *
 *   reused:  a page of code is first touched by a data read, run, unmapped;
 *            new code read() into a fresh page at the same address runs;
 *   inplace: code read() over a page that has already run, runs;
 *   cross:   a child runs code in a page, frees it and stays alive; the
 *            parent then read()s its own code into a fresh page at the same
 *            address and runs it: it must get its own code, not the child's.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define AT ((void *)0x500000000000)

typedef int (*fn_t)(void);

static void code(unsigned char out[6], int value) {
    unsigned char c[] = {0xb8, 0, 0, 0, 0, 0xc3}; /* mov eax, imm32; ret */
    memcpy(c + 1, &value, 4);
    memcpy(out, c, sizeof c);
}

/* Put "return value" at p through the kernel: write it to a pipe, read() it back. */
static void kernel_put(unsigned char *p, int value) {
    unsigned char c[6];
    int fds[2];
    code(c, value);
    if (pipe(fds) || write(fds[1], c, 6) != 6 || read(fds[0], p, 6) != 6) {
        perror("pipe");
        _exit(2);
    }
    close(fds[0]);
    close(fds[1]);
}

static unsigned char *fresh(int prot) {
    unsigned char *p = mmap(AT, PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        _exit(2);
    }
    return p;
}

/* Run "return old" from a page first touched by a data read, then free it. */
static void run_and_free(int old) {
    unsigned char *p = fresh(PROT_READ | PROT_WRITE);
    code(p, old);
    mprotect(p, PAGE, PROT_READ | PROT_EXEC);
    volatile unsigned char first = p[0];
    (void)first;
    if (((fn_t)p)() != old)
        printf("BAD: first code did not run\n");
    munmap(p, PAGE);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "reused";
    if (!strcmp(mode, "reused")) {
        run_and_free(1);
        unsigned char *p = fresh(PROT_READ | PROT_WRITE);
        kernel_put(p, 2);
        mprotect(p, PAGE, PROT_READ | PROT_EXEC);
        printf("reused page runs: %d\n", ((fn_t)p)());
    } else if (!strcmp(mode, "inplace")) {
        unsigned char *p = fresh(PROT_READ | PROT_WRITE | PROT_EXEC);
        code(p, 1);
        if (((fn_t)p)() != 1)
            printf("BAD: first code did not run\n");
        kernel_put(p, 2);
        printf("rewritten page runs: %d\n", ((fn_t)p)());
    } else {
        int sync[2];
        char c;
        if (pipe(sync))
            return 2;
        pid_t pid = fork();
        if (pid == 0) {
            run_and_free(0x666);
            write(sync[1], "x", 1);
            pause();
            _exit(0);
        }
        read(sync[0], &c, 1);
        unsigned char *p = fresh(PROT_READ | PROT_WRITE);
        kernel_put(p, 2);
        mprotect(p, PAGE, PROT_READ | PROT_EXEC);
        printf("parent's page runs: %#x\n", ((fn_t)p)());
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return 0;
}
