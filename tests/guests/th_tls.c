/* __thread variables: each thread has its own copy, initialised from the
 * TLS image, and a thread's writes never reach another's. */
#include <pthread.h>
#include <stdio.h>

#define N 6

static __thread long tdata = 1000;   /* .tdata */
static __thread long tbss;           /* .tbss */
static __thread char tbuf[64];       /* .tbss, larger */
static pthread_barrier_t bar;
static long seen[N][3];
static void *addr[N];

static void *work(void *arg) {
    long me = (long)arg;
    long start_data = tdata, start_bss = tbss;
    tdata += me;
    tbss = me * 7;
    tbuf[0] = (char)('a' + me);
    addr[me] = &tdata;
    pthread_barrier_wait(&bar); /* everyone has written before anyone reads */
    seen[me][0] = (start_data == 1000 && start_bss == 0);
    seen[me][1] = (tdata == 1000 + me && tbss == me * 7);
    seen[me][2] = (tbuf[0] == 'a' + me);
    return NULL;
}

int main(void) {
    pthread_t th[N];
    pthread_barrier_init(&bar, NULL, N);
    tdata = -1; /* the main thread's copy only */
    for (long i = 0; i < N; i++)
        pthread_create(&th[i], NULL, work, (void *)i);
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < i; j++)
            if (addr[i] == addr[j])
                bad++;
        printf("thread %d: initial %s, own %s, array %s\n", i, seen[i][0] ? "ok" : "WRONG",
               seen[i][1] ? "ok" : "WRONG", seen[i][2] ? "ok" : "WRONG");
        bad += !seen[i][0] + !seen[i][1] + !seen[i][2];
    }
    printf("main copy %ld, distinct addresses %s\n", tdata, bad ? "WRONG" : "ok");
    return bad || tdata != -1;
}
