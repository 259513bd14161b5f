/* hello: the smallest guest.  Prints one line to stdout and one to stderr. */
#include <stdio.h>

int main(void) {
    printf("hello, world\n");
    fprintf(stderr, "to stderr\n");
    return 0;
}
