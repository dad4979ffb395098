// Raw nats.c publish->subscribe throughput, the baseline for `fabric bench nats`.
// Build: cc -O2 natspubsub.c -o natspubsub -lpthread $(pkg-config --cflags --libs libnats)
// Run:   natspubsub [-n messages] [-a 0|1 SendAsap] URL
#include <nats/nats.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile int64_t received = 0;
static int64_t total = 1000000;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;

static double now_s(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void onMsg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *c) {
    natsMsg_Destroy(msg);
    if (__sync_add_and_fetch(&received, 1) == total) {
        pthread_mutex_lock(&lock); pthread_cond_signal(&done); pthread_mutex_unlock(&lock);
    }
}

int main(int argc, char **argv) {
    int asap = 1, o;
    while ((o = getopt(argc, argv, "n:a:")) != -1) {
        if (o == 'n') total = atoll(optarg); else if (o == 'a') asap = atoi(optarg);
        else { fprintf(stderr, "usage: natspubsub [-n N] [-a 0|1] URL\n"); return 2; }
    }
    const char *url = optind < argc ? argv[optind] : "nats://127.0.0.1:4222";
    natsOptions *opts; natsOptions_Create(&opts); natsOptions_SetURL(opts, url); natsOptions_SetSendAsap(opts, asap ? true : false);
    natsOptions_SetMaxPendingMsgs(opts, 65536);
    natsConnection *pub, *subc; natsSubscription *sub;
    if (natsConnection_Connect(&pub, opts) != NATS_OK || natsConnection_Connect(&subc, opts) != NATS_OK) { fprintf(stderr, "connect failed\n"); return 1; }
    natsConnection_Subscribe(&sub, subc, "bench.flood", onMsg, NULL);
    natsSubscription_SetPendingLimits(sub, -1, -1);
    natsConnection_Flush(subc);
    char payload[64]; memset(payload, 'x', sizeof payload);
    double start = now_s();
    for (int64_t i = 0; i < total; i++) natsConnection_Publish(pub, "bench.flood", payload, 64);
    double published = now_s() - start;
    natsConnection_FlushTimeout(pub, 60000);
    pthread_mutex_lock(&lock);
    while (received < total) pthread_cond_wait(&done, &lock);
    pthread_mutex_unlock(&lock);
    double elapsed = now_s() - start;
    printf("raw nats.c pub/sub 64 B         n=%-7lld publish=%.0f msg/s  delivered=%.0f msg/s\n", (long long)total, total / published, total / elapsed);
    return 0;
}
