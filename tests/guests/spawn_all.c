/* spawn_all PROG ARGS... [-- PROG ARGS...]...
 *
 * Starts every command at once (fork + execv, PROG is a path), waits for
 * all of them, then prints one line per command, in order: "COMMAND_INDEX
 * exit CODE" or "COMMAND_INDEX signal N".  Exits 0 when every command
 * exited 0, 1 otherwise.  For running real programs side by side on one
 * file (two sqlite3 shells writing to one database).
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_COMMANDS 16

int main(int argc, char **argv) {
    pid_t pids[MAX_COMMANDS];
    int n = 0;
    int i = 1;
    while (i < argc && n < MAX_COMMANDS) {
        int start = i;
        while (i < argc && strcmp(argv[i], "--") != 0) i++;
        argv[i < argc ? i : argc] = NULL;  /* ends this command's argv */
        if (i > start) {
            pid_t pid = fork();
            if (pid < 0) { perror("fork"); return 2; }
            if (pid == 0) {
                execv(argv[start], &argv[start]);
                perror(argv[start]);
                _exit(127);
            }
            pids[n++] = pid;
        }
        i++;
    }
    int failed = 0;
    for (int k = 0; k < n; k++) {
        int st;
        if (waitpid(pids[k], &st, 0) < 0) { perror("waitpid"); return 2; }
        if (WIFEXITED(st)) printf("%d exit %d\n", k, WEXITSTATUS(st));
        else printf("%d signal %d\n", k, WTERMSIG(st));
        failed |= !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    return failed;
}
