/* ATTENTION over the paged KV cache (F32 or F16), as the precision contract describes it. */
#ifndef ABI10_ATTENTION_H
#define ABI10_ATTENTION_H

#include "abi10_node_check.h"

/* A checked node; its index tensors (positions, sequence rows, block table) are checked here,
 * before dst is written, and any entry out of range is PLINTH_ERR_INVALID_ARGUMENT. */
plinth_status abi10_attention(const abi10_node* n, plinth_message* err);

#endif /* ABI10_ATTENTION_H */
