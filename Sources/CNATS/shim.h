#ifndef FABRIC_CNATS_SHIM_H
#define FABRIC_CNATS_SHIM_H
// nats.c from Debian's libnats-dev; installed by scripts/bootstrap.
#include <nats/nats.h>
#endif
