/* Preemption must not change what a program computes.  Two threads run
 * loops of read-modify-write instructions on memory, never entering the
 * kernel, so only the scheduler's time slice interrupts them: a private
 * `incq` counter each and a shared `lock incq` counter.  Every total must
 * be exact, as natively. */
#include <pthread.h>
#include <stdio.h>

#define THREADS 2
#define ROUNDS 40000000L

static long shared_counter;
static volatile long own[THREADS];

static void *work(void *arg) {
    long me = (long)arg;
    for (long i = 0; i < ROUNDS; i++) {
        __asm__ volatile("incq %0" : "+m"(own[me]));
        __asm__ volatile("lock incq %0" : "+m"(shared_counter));
    }
    return NULL;
}

int main(void) {
    pthread_t th[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, work, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++)
        printf("own %d %ld\n", i, own[i]);
    printf("shared %ld\n", shared_counter);
    return 0;
}
