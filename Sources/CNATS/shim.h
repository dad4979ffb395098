#ifndef FABRIC_CNATS_SHIM_H
#define FABRIC_CNATS_SHIM_H
// nats.c from Debian's libnats-dev; installed by scripts/bootstrap.
#include <nats/nats.h>

// nats.c's internal constructor of a message from a wire buffer whose first hdrLen
// bytes are the header block ("NATS/1.0\r\n...\r\n\r\n"). Exported by libnats 3.4 but not
// declared in nats.h; publishing such a message sends the header bytes as they are
// instead of building and re-encoding a hash map (2.5x the rate with 12 headers).
// FabricNATS uses it only when the linked library is 3.4.x (the signature it verified)
// and falls back to the public header API otherwise.
natsStatus natsMsg_create(natsMsg **newMsg, const char *subject, int subjLen, const char *reply, int replyLen,
                          const char *buf, int bufLen, int hdrLen);

// nats.c's internal publish, exported by libnats 3.4 but not declared in nats.h: the public
// calls pass directFlush=false, which writes at once only with SendAsap. With SendAsap off it
// lets each publish choose: write now (directFlush) or leave the bytes in the buffer for the
// next writing publish, a full buffer or nats.c's flusher (1 ms). The router batches a flood
// this way and still writes a lone message at once. Same 3.4.x guard as natsMsg_create.
natsStatus natsConn_publish(natsConnection *nc, natsMsg *msg, const char *reply, bool directFlush);

// nats.c's write buffer, exported by libnats 3.4 but not declared in nats.h; same 3.4.x guard.
// FabricNATS writes protocol frames it built (HPUB/PUB) into the buffer under the
// connection's lock and flushes once at the end of a batch. natsConn_publish with
// directFlush=false would instead wake nats.c's flusher thread, which then sleeps 1 ms and
// finds the buffer already written: two context switches per batch for nothing.
void natsConn_lockAndRetain(natsConnection *nc);
void natsConn_unlockAndRelease(natsConnection *nc);
bool natsConn_isClosed(natsConnection *nc);
bool natsConn_isReconnecting(natsConnection *nc);
bool natsConn_isDrainingPubs(natsConnection *nc);
natsStatus natsConn_bufferWrite(natsConnection *nc, const char *buffer, int len);
natsStatus natsConn_bufferFlush(natsConnection *nc);
#endif
