/* Checks one node of a graph before abi10 touches it: indices, types, shapes, the op's rules
 * (compute.h as of ABI 1.0), and in full mode every tensor's bytes inside a live abi10 buffer and no
 * destination overlapping a source except the very same tensor. A malformed node is
 * PLINTH_ERR_INVALID_ARGUMENT; a valid one abi10 does not compute is PLINTH_ERR_UNSUPPORTED. */
#ifndef ABI10_NODE_CHECK_H
#define ABI10_NODE_CHECK_H

#include <plinth/plugin_api.h>

#include <stdint.h>

/* A checked tensor: its sizes, and in full mode where its bytes are. */
typedef struct abi10_tensor {
    uint32_t index;
    uint32_t type;
    uint64_t shape[4];
    uint64_t ne0;      /* elements per row */
    uint64_t rows;     /* shape[1] * shape[2] * shape[3] */
    uint64_t elements;
    uint64_t bytes;
    plinth_buffer buffer; /* full mode */
    unsigned char* data;  /* full mode: the first byte */
} abi10_tensor;

typedef struct abi10_node {
    uint32_t index;
    const plinth_node* node;
    abi10_tensor dst;
    abi10_tensor src[PLINTH_NODE_MAX_SRC]; /* the op's sources, in order */
} abi10_node;

typedef enum abi10_check_mode {
    ABI10_CHECK_SHAPES = 0, /* supports_node: types and shapes only (the host may pass no buffers) */
    ABI10_CHECK_FULL = 1    /* graph_compute: also buffers, bounds, alignment and overlaps */
} abi10_check_mode;

/* The graph's own fields (sizes and arrays present). */
plinth_status abi10_check_graph(const plinth_graph* graph, plinth_message* err);

/* Node `index` (< graph->n_nodes) of a graph that abi10_check_graph accepted. */
plinth_status abi10_check_node(const plinth_graph* graph, uint32_t index, abi10_check_mode mode, abi10_node* out,
                               plinth_message* err);

/* How many sources `op` reads (0 for an op abi10 does not compute). */
int abi10_op_sources(uint32_t op);

#endif /* ABI10_NODE_CHECK_H */
