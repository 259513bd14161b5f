/* violet.h: Violet's extension system calls for guest programs.
 *
 * Under Violet these return what the kernel knows; under Linux they fail
 * with ENOSYS, so a program can tell where it runs: violet_present().
 */
#ifndef VIOLET_H
#define VIOLET_H

#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>

#define VIOLET_BASE 0x7600
#define VIOLET_SYS_KIND (VIOLET_BASE + 0)
#define VIOLET_SYS_RIGHTS (VIOLET_BASE + 1)
#define VIOLET_SYS_DROP (VIOLET_BASE + 2)
#define VIOLET_SYS_MEMSTATS (VIOLET_BASE + 3)
#define VIOLET_SYS_CREATOR (VIOLET_BASE + 4)
#define VIOLET_SYS_LAUNCH (VIOLET_BASE + 5)
#define VIOLET_SYS_RESTRICT_PATHS (VIOLET_BASE + 6)

/* Process kinds. */
#define VIOLET_SYSTEM 0
#define VIOLET_APPLICATION 1
#define VIOLET_WORKER 2

/* Rights (see README, "Permissions"). */
#define VIOLET_RIGHT_SPAWN 1
#define VIOLET_RIGHT_THREAD 2
#define VIOLET_RIGHT_LAUNCH 4
#define VIOLET_RIGHT_SIGNAL 8
#define VIOLET_RIGHT_FS_READ 16
#define VIOLET_RIGHT_FS_WRITE 32
#define VIOLET_RIGHT_EXEC 64

/* violet_restrict_paths flags: keep the file rights only under the given
 * prefixes, or take the given subtrees away from where they apply. */
#define VIOLET_PATHS_ONLY 0
#define VIOLET_PATHS_EXCEPT 1

struct violet_memstats {
    uint64_t resident;   /* pages with a frame */
    uint64_t shared;     /* of those, shared with another process */
    uint64_t private_;   /* of those, this process's alone */
    uint64_t cow_copies; /* pages copied on write */
    uint64_t zero_fills; /* pages given a frame on first write */
    uint64_t leaf_copies;/* page-table leaves copied on write */
};

static inline long violet_kind(int pid) { return syscall(VIOLET_SYS_KIND, pid); }
static inline long violet_rights(void) { return syscall(VIOLET_SYS_RIGHTS); }
static inline long violet_drop(long mask) { return syscall(VIOLET_SYS_DROP, mask); }
static inline long violet_memstats(struct violet_memstats *m) { return syscall(VIOLET_SYS_MEMSTATS, m); }
static inline long violet_creator(int tid) { return syscall(VIOLET_SYS_CREATOR, tid); }
static inline long violet_launch(const char *path, char *const argv[]) { return syscall(VIOLET_SYS_LAUNCH, path, argv); }
/* Narrow fs.read and/or fs.write (rights: VIOLET_RIGHT_FS_READ|_FS_WRITE) to
 * path prefixes, for good and for future children: paths is a NULL-terminated
 * array (relative paths start at the cwd; each is resolved now, inside the
 * root).  VIOLET_PATHS_ONLY with an empty array drops the rights.  Never
 * widens.  violet_drop(mask) still drops whole rights. */
static inline long violet_restrict_paths(long rights, const char *const paths[], int flags) {
    return syscall(VIOLET_SYS_RESTRICT_PATHS, rights, paths, flags);
}
static inline int violet_present(void) { return violet_kind(0) >= 0; }

#endif
