/* exec_e2big: an execve whose arguments and environment together pass the
 * limit fails with E2BIG, and the caller carries on in its own image.
 *
 * Each string is 100 KiB (below the 128 KiB a string may have); twelve of
 * them in argv and twelve in envp make 2.4 MB, past the 2 MiB limit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LEN (100 * 1024)
#define N 12

int main(int argc, char **argv) {
    if (argc > 1) {
        printf("BAD: the new image ran\n");
        return 1;
    }
    char *s = malloc(LEN + 1), *e = malloc(LEN + 3);
    memset(s, 'a', LEN);
    s[LEN] = 0;
    memcpy(e, "X=", 2);
    memset(e + 2, 'b', LEN);
    e[LEN + 2] = 0;
    char *args[N + 2], *env[N + 1];
    args[0] = argv[0];
    for (int i = 0; i < N; i++) {
        args[i + 1] = s;
        env[i] = e;
    }
    args[N + 1] = env[N] = NULL;
    execve(argv[0], args, env);
    printf("execve: %s, still running\n", errno == E2BIG ? "E2BIG" : strerror(errno));
    return 0;
}
