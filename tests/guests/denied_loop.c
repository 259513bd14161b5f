/* denied_loop: the same denied call made N times (argv[1]): opening a file
 * without the right to read files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10, denied = 0;
    for (long i = 0; i < n; i++)
        if (open("/etc/passwd", O_RDONLY) < 0 && errno == EACCES)
            denied++;
    printf("%ld opens denied\n", denied);
    return 0;
}
