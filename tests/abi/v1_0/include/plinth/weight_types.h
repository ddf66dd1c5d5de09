/* Weight (tensor element) types, numbered as GGUF/ggml number them, with their block layouts.
 *
 * A tensor of type T stores its rows as blocks of `block_size` elements taking `block_bytes` bytes.
 * Both sides of the plugin boundary use this table: format plugins to validate tensor sizes,
 * backends to know what they are given. Numbers that ggml retired are simply absent.
 */
#ifndef PLINTH_WEIGHT_TYPES_H
#define PLINTH_WEIGHT_TYPES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum plinth_weight_type {
    PLINTH_TYPE_F32 = 0,
    PLINTH_TYPE_F16 = 1,
    PLINTH_TYPE_Q4_0 = 2,
    PLINTH_TYPE_Q4_1 = 3,
    PLINTH_TYPE_Q5_0 = 6,
    PLINTH_TYPE_Q5_1 = 7,
    PLINTH_TYPE_Q8_0 = 8,
    PLINTH_TYPE_Q8_1 = 9,
    PLINTH_TYPE_Q2_K = 10,
    PLINTH_TYPE_Q3_K = 11,
    PLINTH_TYPE_Q4_K = 12,
    PLINTH_TYPE_Q5_K = 13,
    PLINTH_TYPE_Q6_K = 14,
    PLINTH_TYPE_Q8_K = 15,
    PLINTH_TYPE_IQ2_XXS = 16,
    PLINTH_TYPE_IQ2_XS = 17,
    PLINTH_TYPE_IQ3_XXS = 18,
    PLINTH_TYPE_IQ1_S = 19,
    PLINTH_TYPE_IQ4_NL = 20,
    PLINTH_TYPE_IQ3_S = 21,
    PLINTH_TYPE_IQ2_S = 22,
    PLINTH_TYPE_IQ4_XS = 23,
    PLINTH_TYPE_I8 = 24,
    PLINTH_TYPE_I16 = 25,
    PLINTH_TYPE_I32 = 26,
    PLINTH_TYPE_I64 = 27,
    PLINTH_TYPE_F64 = 28,
    PLINTH_TYPE_IQ1_M = 29,
    PLINTH_TYPE_BF16 = 30,
    PLINTH_TYPE_TQ1_0 = 34,
    PLINTH_TYPE_TQ2_0 = 35,
    PLINTH_TYPE_MXFP4 = 39,
    PLINTH_TYPE_COUNT_ = 40 /* one past the highest number; not a type */
} plinth_weight_type;

typedef struct plinth_weight_type_traits {
    const char* name;     /* NULL for numbers that are not a type */
    uint32_t block_size;  /* elements per block */
    uint32_t block_bytes; /* bytes per block */
} plinth_weight_type_traits;

/* Traits of `type`; name is NULL when `type` is not a known type. */
#define PLINTH_TYPE_ROW_(n, b, s) t.name = n; t.block_size = b; t.block_bytes = s; break
static inline plinth_weight_type_traits plinth_weight_type_info(uint32_t type) {
    plinth_weight_type_traits t = {0, 0, 0};
    switch (type) {
    case PLINTH_TYPE_F32: PLINTH_TYPE_ROW_("F32", 1, 4);
    case PLINTH_TYPE_F16: PLINTH_TYPE_ROW_("F16", 1, 2);
    case PLINTH_TYPE_Q4_0: PLINTH_TYPE_ROW_("Q4_0", 32, 18);
    case PLINTH_TYPE_Q4_1: PLINTH_TYPE_ROW_("Q4_1", 32, 20);
    case PLINTH_TYPE_Q5_0: PLINTH_TYPE_ROW_("Q5_0", 32, 22);
    case PLINTH_TYPE_Q5_1: PLINTH_TYPE_ROW_("Q5_1", 32, 24);
    case PLINTH_TYPE_Q8_0: PLINTH_TYPE_ROW_("Q8_0", 32, 34);
    case PLINTH_TYPE_Q8_1: PLINTH_TYPE_ROW_("Q8_1", 32, 36);
    case PLINTH_TYPE_Q2_K: PLINTH_TYPE_ROW_("Q2_K", 256, 84);
    case PLINTH_TYPE_Q3_K: PLINTH_TYPE_ROW_("Q3_K", 256, 110);
    case PLINTH_TYPE_Q4_K: PLINTH_TYPE_ROW_("Q4_K", 256, 144);
    case PLINTH_TYPE_Q5_K: PLINTH_TYPE_ROW_("Q5_K", 256, 176);
    case PLINTH_TYPE_Q6_K: PLINTH_TYPE_ROW_("Q6_K", 256, 210);
    case PLINTH_TYPE_Q8_K: PLINTH_TYPE_ROW_("Q8_K", 256, 292);
    case PLINTH_TYPE_IQ2_XXS: PLINTH_TYPE_ROW_("IQ2_XXS", 256, 66);
    case PLINTH_TYPE_IQ2_XS: PLINTH_TYPE_ROW_("IQ2_XS", 256, 74);
    case PLINTH_TYPE_IQ3_XXS: PLINTH_TYPE_ROW_("IQ3_XXS", 256, 98);
    case PLINTH_TYPE_IQ1_S: PLINTH_TYPE_ROW_("IQ1_S", 256, 50);
    case PLINTH_TYPE_IQ4_NL: PLINTH_TYPE_ROW_("IQ4_NL", 32, 18);
    case PLINTH_TYPE_IQ3_S: PLINTH_TYPE_ROW_("IQ3_S", 256, 110);
    case PLINTH_TYPE_IQ2_S: PLINTH_TYPE_ROW_("IQ2_S", 256, 82);
    case PLINTH_TYPE_IQ4_XS: PLINTH_TYPE_ROW_("IQ4_XS", 256, 136);
    case PLINTH_TYPE_I8: PLINTH_TYPE_ROW_("I8", 1, 1);
    case PLINTH_TYPE_I16: PLINTH_TYPE_ROW_("I16", 1, 2);
    case PLINTH_TYPE_I32: PLINTH_TYPE_ROW_("I32", 1, 4);
    case PLINTH_TYPE_I64: PLINTH_TYPE_ROW_("I64", 1, 8);
    case PLINTH_TYPE_F64: PLINTH_TYPE_ROW_("F64", 1, 8);
    case PLINTH_TYPE_IQ1_M: PLINTH_TYPE_ROW_("IQ1_M", 256, 56);
    case PLINTH_TYPE_BF16: PLINTH_TYPE_ROW_("BF16", 1, 2);
    case PLINTH_TYPE_TQ1_0: PLINTH_TYPE_ROW_("TQ1_0", 256, 54);
    case PLINTH_TYPE_TQ2_0: PLINTH_TYPE_ROW_("TQ2_0", 256, 66);
    case PLINTH_TYPE_MXFP4: PLINTH_TYPE_ROW_("MXFP4", 32, 17);
    default: break;
    }
    return t;
}
#undef PLINTH_TYPE_ROW_

#ifdef __cplusplus
}
#endif

#endif /* PLINTH_WEIGHT_TYPES_H */
