/* The backend entries that take graphs: supports_node and graph_compute. */
#ifndef ABI10_GRAPH_H
#define ABI10_GRAPH_H

#include <plinth/plugin_api.h>

int32_t abi10_supports_node(uint32_t device, const plinth_graph* graph, uint32_t node);
/* Checks every node first (nothing runs when one is malformed or not abi10's), then runs them in order. */
plinth_status abi10_graph_compute(uint32_t device, const plinth_graph* graph, plinth_message* err);

#endif /* ABI10_GRAPH_H */
