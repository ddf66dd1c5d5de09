/* The arithmetic of the ops abi10 computes, in F32, as the precision contract at the top of
 * plinth/compute.h asks (the current one: a 1.0 plugin is held to it too). Nodes arrive checked
 * (abi10_node_check.h), so the kernels trust shapes and bounds; index values, which are data, they
 * check themselves before writing anything. */
#ifndef ABI10_OPS_H
#define ABI10_OPS_H

#include "abi10_node_check.h"

/* Runs one checked node. */
plinth_status abi10_run_node(const abi10_node* n, plinth_message* err);

#endif /* ABI10_OPS_H */
