/* mremap_edges: mremap's refusals and the duplicate of a shared mapping,
 * as on Linux.  Each line names a request and what it returned.
 *
 *   - a MREMAP_FIXED destination overlapping the source: EINVAL;
 *   - a destination that ends past the top of user space: EINVAL;
 *   - old_len 0 of a private mapping: EINVAL;
 *   - old_len 0 of a shared mapping: a second mapping of the same pages;
 *   - growing in place past the top of user space: ENOMEM;
 *   - after all that, fresh memory mapped where the first area was is zero.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096

static const char *name(long r) {
    if (r != -1)
        return "ok";
    return errno == EINVAL ? "EINVAL" : errno == ENOMEM ? "ENOMEM" : errno == EFAULT ? "EFAULT" : errno == EPERM ? "EPERM" : strerror(errno);
}

static long remap(void *old, size_t old_len, size_t new_len, int flags, unsigned long to) {
    return syscall(SYS_mremap, old, old_len, new_len, flags, to);
}

int main(void) {
    char *a = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED)
        return 2;
    memset(a, 'S', 16 * PAGE);
    printf("fixed over its own source: %s\n",
           name(remap(a + 4 * PAGE, 4 * PAGE, 8 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, (unsigned long)a)));
    printf("fixed past the top: %s\n",
           name(remap(a, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, 0x7ffffffff000UL)));
    printf("old_len 0, private: %s\n", name(remap(a, 0, PAGE, MREMAP_MAYMOVE, 0)));
    printf("grow in place past the top: %s\n", name(remap(a, 16 * PAGE, 1UL << 47, 0, 0)));
    printf("source intact: %s\n", a[0] == 'S' && a[16 * PAGE - 1] == 'S' ? "yes" : "no");

    char *s = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    strcpy(s + PAGE, "shared bytes");
    long d = remap(s + PAGE, 0, PAGE, MREMAP_MAYMOVE, 0);
    printf("old_len 0, shared: %s", name(d));
    if (d != -1) {
        char *dup = (char *)d;
        strcpy(dup + 7, "pages");
        printf(", the copy reads \"%s\", the original \"%s\"", dup, s + PAGE);
    }
    printf("\n");

    munmap(a, 16 * PAGE);
    char *b = mmap(a, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    int nonzero = 0;
    for (int i = 0; i < 16 * PAGE; i++)
        nonzero += b[i] != 0;
    printf("fresh memory at the old place: %d nonzero bytes\n", nonzero);
    return 0;
}
