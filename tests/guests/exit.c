/* exit: ends with the status and the way the arguments say.
 *
 *   exit return N     return N from main
 *   exit exit N       exit(N), after printing "bye" without a newline (stdio must flush it)
 *   exit _exit N      _exit(N): the exit_group syscall, no stdio flush
 *   exit thread N     the main thread's own exit syscall (SYS_exit), not exit_group
 *   exit atexit N     exit(N) with an atexit handler that prints
 *   exit signal N     raise(N): death by signal N
 *   exit abort 0      abort(): death by SIGABRT
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void handler(void) { printf("atexit handler ran\n"); }

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: exit return|exit|_exit|thread|atexit|signal|abort N\n");
        return 2;
    }
    const char *how = argv[1];
    int code = atoi(argv[2]);
    if (!strcmp(how, "return")) return code;
    if (!strcmp(how, "exit")) {
        printf("bye");
        exit(code);
    }
    if (!strcmp(how, "_exit")) {
        printf("lost in the stdio buffer");
        _exit(code);
    }
    if (!strcmp(how, "thread")) {
        syscall(SYS_exit, code);
        return 99;
    }
    if (!strcmp(how, "atexit")) {
        atexit(handler);
        exit(code);
    }
    if (!strcmp(how, "signal")) {
        raise(code);
        return 99;
    }
    if (!strcmp(how, "abort")) abort();
    fprintf(stderr, "unknown way %s\n", how);
    return 2;
}
