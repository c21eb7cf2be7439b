/* prism's network models: the one public header of noc/. For now a
 * packet-level traffic generator, an output-queued switch and a sink, used by
 * the demo and the engine tests; the cycle-level virtual-channel router
 * comes next (see README "Roadmap"). */
#ifndef PRISM_NOC_H
#define PRISM_NOC_H

#include "sim/sim.h"

/* Message kind of a packet on a noc link; payload u64: [0] destination
 * output index, [1] creation time ps, [2] packet id, [3] source component, [4] packet bytes. */
enum { NOC_MSG_PACKET = 1 };

void noc_register_all(void);

#endif
