#include "abi10_graph.h"

#include "abi10_message.h"
#include "abi10_node_check.h"
#include "abi10_ops.h"

#include <pthread.h>

/* One graph at a time: two graphs may write the same buffers. */
static pthread_mutex_t compute_lock = PTHREAD_MUTEX_INITIALIZER;

int32_t abi10_supports_node(uint32_t device, const plinth_graph* graph, uint32_t node) {
    if (device != 0 || abi10_check_graph(graph, NULL) != PLINTH_OK || node >= graph->n_nodes) return 0;
    abi10_node checked;
    return abi10_check_node(graph, node, ABI10_CHECK_SHAPES, &checked, NULL) == PLINTH_OK;
}

static plinth_status compute_locked(const plinth_graph* graph, plinth_message* err) {
    abi10_node checked;
    plinth_status st = PLINTH_OK;
    for (uint32_t i = 0; i < graph->n_nodes; ++i)
        if ((st = abi10_check_node(graph, i, ABI10_CHECK_FULL, &checked, err)) != PLINTH_OK) return st;
    /* Checked again one by one as they run: cheaper than keeping every node's view. */
    for (uint32_t i = 0; i < graph->n_nodes; ++i) {
        if ((st = abi10_check_node(graph, i, ABI10_CHECK_FULL, &checked, err)) != PLINTH_OK) return st;
        if ((st = abi10_run_node(&checked, err)) != PLINTH_OK) return st;
    }
    return PLINTH_OK;
}

plinth_status abi10_graph_compute(uint32_t device, const plinth_graph* graph, plinth_message* err) {
    if (device != 0) return abi10_fail(err, PLINTH_ERR_INVALID_ARGUMENT, "abi10 has no device %u", device);
    plinth_status st = abi10_check_graph(graph, err);
    if (st != PLINTH_OK) return st;
    pthread_mutex_lock(&compute_lock);
    st = compute_locked(graph, err);
    pthread_mutex_unlock(&compute_lock);
    return st;
}
