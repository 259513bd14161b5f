/* many_mappings: mappings cost the kernel host memory, and fork copies
 * them, so they are bounded as Linux bounds them.
 *
 *   split N:  mprotect every other page of a 2N-page area, making about 2N
 *             mappings, until ENOMEM (Linux's vm.max_map_count is 65530);
 *             then unmap it all and map again;
 *   forks N:  make about 2N mappings, then fork children that wait, until
 *             fork fails; then end them.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL

static long split(long n, char **area) {
    char *base = mmap(NULL, 2 * n * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED)
        return -1;
    *area = base;
    long i;
    for (i = 0; i < n; i++)
        if (mprotect(base + 2 * i * PAGE, PAGE, PROT_READ | PROT_WRITE))
            break;
    return i;
}

int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    long n = atol(argv[2]);
    char *area;
    long made = split(n, &area);
    if (!strcmp(argv[1], "split")) {
        int enomem = made < n && errno == ENOMEM;
        printf("splits stopped with %s after about %s mappings\n", enomem ? "ENOMEM" : "no error",
               made > 32000 && made < 32766 ? "65530" : "another number of");
        printf("unmap: %d\n", munmap(area, 2 * n * PAGE));
        char *again = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("map again: %s\n", again == MAP_FAILED ? "failed" : "ok");
        return 0;
    }
    if (made < n)
        return 3;
    pid_t kids[64];
    int forks = 0;
    while (forks < 64) {
        pid_t pid = fork();
        if (pid < 0)
            break;
        if (pid == 0) {
            pause();
            _exit(0);
        }
        kids[forks++] = pid;
    }
    printf("%d forks, then %s\n", forks, forks < 64 && errno == ENOMEM ? "ENOMEM" : "no error");
    for (int i = 0; i < forks; i++) {
        kill(kids[i], SIGKILL);
        waitpid(kids[i], NULL, 0);
    }
    return 0;
}
