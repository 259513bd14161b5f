/* Violet's preemption point: a Unicorn block hook in native code.
 *
 * Unicorn 2.1 stopped from outside (emu_start's timeout, or emu_stop from
 * another thread) can stop inside a memory helper, after a store, with RIP
 * still at the storing instruction: resuming runs that instruction twice.
 * A stop requested from a block hook takes effect at a block boundary,
 * where the state is consistent.  The watchdog thread sets `request`; the
 * next translation block to start calls `stop` (uc_emu_stop) and clears it.
 * Being native, the hook costs a call per block instead of a trip into
 * Python.  No libc: built with -nostdlib, it needs nothing to load.
 */
#include <stdint.h>

struct violet_preempt {
    volatile int32_t request;   /* set by the watchdog, cleared here */
    int32_t unused;
    int (*stop)(void *uc);      /* uc_emu_stop */
};

void violet_block_hook(void *uc, uint64_t address, uint32_t size, struct violet_preempt *p)
{
    (void)address;
    (void)size;
    if (p->request) {
        p->request = 0;
        p->stop(uc);
    }
}
