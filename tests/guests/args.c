/* args: prints what the program received at start-up: argc, argv, envp
 * (both main's third argument and environ) and the auxiliary-vector entries
 * whose values do not depend on the kernel's address-space layout.
 * Entries whose values vary are checked here and printed as "ok" or "BAD".
 *
 *   args ARGS...    all of the above
 *   args random     only the 16 AT_RANDOM bytes, in hex
 */
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;

static const char *ok(int cond) { return cond ? "ok" : "BAD"; }

/* The bytes of s with anything unprintable escaped, so output is exact. */
static void show(const char *label, int i, const char *s) {
    printf("%s[%d]=\"", label, i);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '\\' && *p != '"')
            putchar(*p);
        else
            printf("\\x%02x", *p);
    }
    printf("\"\n");
}

int main(int argc, char **argv, char **envp) {
    if (argc == 2 && !strcmp(argv[1], "random")) {
        const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
        printf("AT_RANDOM=");
        for (int i = 0; i < 16; i++) printf("%02x", r[i]);
        printf("\n");
        return 0;
    }
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) show("argv", i, argv[i]);
    printf("argv[argc]=%s\n", argv[argc] == NULL ? "NULL" : "BAD");
    int n = 0;
    for (; envp[n]; n++) show("envp", n, envp[n]);
    printf("envc=%d\n", n);
    printf("environ is envp: %s\n", ok(environ == envp));

    /* The stack layout of the ABI: envp follows argv's NULL. */
    printf("envp after argv: %s\n", ok(envp == argv + argc + 1));

    printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
    printf("AT_PHENT=%lu\n", getauxval(AT_PHENT));
    printf("AT_CLKTCK=%lu\n", getauxval(AT_CLKTCK));
    printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
    printf("AT_UID is getuid: %s\n", ok(getauxval(AT_UID) == getuid()));
    printf("AT_EUID is geteuid: %s\n", ok(getauxval(AT_EUID) == geteuid()));
    printf("AT_GID is getgid: %s\n", ok(getauxval(AT_GID) == getgid()));
    printf("AT_EGID is getegid: %s\n", ok(getauxval(AT_EGID) == getegid()));
    const char *platform = (const char *)getauxval(AT_PLATFORM);
    printf("AT_PLATFORM=%s\n", platform ? platform : "NULL");

    const unsigned char *random = (const unsigned char *)getauxval(AT_RANDOM);
    int nonzero = 0;
    if (random)
        for (int i = 0; i < 16; i++) nonzero |= random[i];
    printf("AT_RANDOM non-null: %s\n", ok(random != NULL));
    printf("AT_RANDOM bytes not all zero: %s\n", ok(nonzero != 0));

    const char *execfn = (const char *)getauxval(AT_EXECFN);
    show("AT_EXECFN", 0, execfn ? execfn : "(null)");

    /* AT_PHDR: the program headers in memory.  The load bias comes from
     * PT_PHDR (0 for a non-PIE executable without it); the entry point and
     * main must lie in an executable PT_LOAD segment. */
    const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
    unsigned long phnum = getauxval(AT_PHNUM);
    uintptr_t bias = 0;
    int loads = 0, entry_in_x = 0, main_in_x = 0;
    if (ph) {
        for (unsigned long i = 0; i < phnum; i++)
            if (ph[i].p_type == PT_PHDR) bias = (uintptr_t)ph - ph[i].p_vaddr;
        uintptr_t entry = getauxval(AT_ENTRY) - bias, m = (uintptr_t)&main - bias;
        for (unsigned long i = 0; i < phnum; i++) {
            if (ph[i].p_type != PT_LOAD) continue;
            loads++;
            int x = ph[i].p_flags & PF_X;
            uintptr_t lo = ph[i].p_vaddr, hi = ph[i].p_vaddr + ph[i].p_memsz;
            if (x && lo <= entry && entry < hi) entry_in_x = 1;
            if (x && lo <= m && m < hi) main_in_x = 1;
        }
    }
    printf("AT_PHDR non-null: %s\n", ok(ph != NULL));
    printf("AT_PHDR has PT_LOAD: %s\n", ok(loads > 0));
    printf("AT_ENTRY in an executable segment: %s\n", ok(entry_in_x));
    printf("main in an executable segment: %s\n", ok(main_in_x));
    printf("AT_NOSUCH=%lu\n", getauxval(999));
    return 0;
}
