/* Mutexes, condition variables, semaphores, barriers and rwlocks under
 * contention: every total must come out exact.  Prints one line per
 * primitive; exits 1 on any wrong total. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

#define THREADS 4
#define ROUNDS 20000

static int failures;

static void check(const char *what, long got, long want) {
    printf("%s %ld %s\n", what, got, got == want ? "ok" : "WRONG");
    if (got != want)
        failures++;
}

static void start_all(void *(*fn)(void *)) {
    pthread_t th[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, fn, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
}

/* Mutex: a read-modify-write with a yield in the middle of it. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter;

static void *mutex_worker(void *arg) {
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&mu);
        long v = counter;
        if (i % 1000 == 0)
            sched_yield();
        counter = v + 1;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

/* Condition variable: a bounded queue, producers and consumers. */
#define QCAP 4
#define ITEMS 2000
static pthread_mutex_t qmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;
static long queue[QCAP];
static int qhead, qlen;
static long consumed_sum, consumed_count;

static void *producer(void *arg) {
    long base = (long)arg * ITEMS;
    for (long i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&qmu);
        while (qlen == QCAP)
            pthread_cond_wait(&not_full, &qmu);
        queue[(qhead + qlen++) % QCAP] = base + i;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&qmu);
    }
    return NULL;
}

static void *consumer(void *arg) {
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&qmu);
        while (qlen == 0)
            pthread_cond_wait(&not_empty, &qmu);
        long v = queue[qhead];
        qhead = (qhead + 1) % QCAP;
        qlen--;
        pthread_cond_signal(&not_full);
        if (v < 0) {
            pthread_mutex_unlock(&qmu);
            return NULL;
        }
        consumed_sum += v;
        consumed_count++;
        pthread_mutex_unlock(&qmu);
    }
}

static void cond_test(void) {
    pthread_t prod[2], cons[2];
    for (long i = 0; i < 2; i++) {
        pthread_create(&prod[i], NULL, producer, (void *)i);
        pthread_create(&cons[i], NULL, consumer, NULL);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(prod[i], NULL);
    for (int i = 0; i < 2; i++) {
        pthread_mutex_lock(&qmu);
        while (qlen == QCAP)
            pthread_cond_wait(&not_full, &qmu);
        queue[(qhead + qlen++) % QCAP] = -1;
        pthread_cond_broadcast(&not_empty);
        pthread_mutex_unlock(&qmu);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(cons[i], NULL);
    long n = 2L * ITEMS;
    check("cond-count", consumed_count, n);
    check("cond-sum", consumed_sum, n * (n + 1) / 2);
}

/* Semaphore: a counting semaphore of 2 guards a slot count that must
 * never exceed 2; a binary one guards a counter. */
static sem_t slots, binary;
static volatile int inside, max_inside;
static volatile long sem_counter;

static void *sem_worker(void *arg) {
    (void)arg;
    for (int i = 0; i < ROUNDS / 4; i++) {
        sem_wait(&slots);
        sem_wait(&binary);
        int n = ++inside;
        if (n > max_inside)
            max_inside = n;
        sem_counter++;
        sem_post(&binary);
        if (i % 500 == 0)
            sched_yield();
        sem_wait(&binary);
        inside--;
        sem_post(&binary);
        sem_post(&slots);
    }
    return NULL;
}

/* Barrier: every thread writes its slot for round r, waits, then checks
 * that every slot holds r. */
#define BROUNDS 200
static pthread_barrier_t bar;
static volatile int slot[THREADS];
static volatile long barrier_errors, serial_count;

static void *barrier_worker(void *arg) {
    long me = (long)arg;
    for (int r = 1; r <= BROUNDS; r++) {
        slot[me] = r;
        if (pthread_barrier_wait(&bar) == PTHREAD_BARRIER_SERIAL_THREAD)
            __atomic_fetch_add(&serial_count, 1, __ATOMIC_SEQ_CST);
        for (int j = 0; j < THREADS; j++)
            if (slot[j] != r)
                __atomic_fetch_add(&barrier_errors, 1, __ATOMIC_SEQ_CST);
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

/* Rwlock: writers keep two words equal; readers must never see them differ. */
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static volatile long rw_a, rw_b, rw_torn, rw_reads;

static void *rw_worker(void *arg) {
    long me = (long)arg;
    for (int i = 0; i < ROUNDS / 4; i++) {
        if (me % 2 == 0) {
            pthread_rwlock_wrlock(&rw);
            long v = rw_a;
            if (i % 250 == 0)
                sched_yield();
            rw_a = v + 1;
            rw_b = v + 1;
            pthread_rwlock_unlock(&rw);
        } else {
            pthread_rwlock_rdlock(&rw);
            long a = rw_a;
            if (i % 250 == 0)
                sched_yield();
            if (rw_b != a)
                __atomic_fetch_add(&rw_torn, 1, __ATOMIC_SEQ_CST);
            __atomic_fetch_add(&rw_reads, 1, __ATOMIC_SEQ_CST);
            pthread_rwlock_unlock(&rw);
        }
    }
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);

    start_all(mutex_worker);
    check("mutex", counter, (long)THREADS * ROUNDS);

    cond_test();

    sem_init(&slots, 0, 2);
    sem_init(&binary, 0, 1);
    start_all(sem_worker);
    check("sem-count", sem_counter, (long)THREADS * (ROUNDS / 4));
    check("sem-max-inside", max_inside <= 2, 1);

    pthread_barrier_init(&bar, NULL, THREADS);
    start_all(barrier_worker);
    check("barrier-errors", barrier_errors, 0);
    check("barrier-serial", serial_count, BROUNDS);

    start_all(rw_worker);
    check("rwlock-writes", rw_a, (long)(THREADS / 2) * (ROUNDS / 4));
    check("rwlock-torn", rw_torn, 0);
    check("rwlock-reads", rw_reads, (long)(THREADS / 2) * (ROUNDS / 4));

    return failures ? 1 : 0;
}
