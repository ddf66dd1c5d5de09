/* The float operations the precision contract names beyond + - * / and sqrt: exp, and rounding to
 * F16 (nearest, ties to even, overflow to inf) for the F16 KV cache. */
#ifndef ABI10_FLOAT_H
#define ABI10_FLOAT_H

#include <stdint.h>

/* exp(x) in double, rounded once to float: the nearest float but for rare double roundings, well
 * within the contract's ~1 ulp, and nearly always the CPU backend's bits too. */
float abi10_exp(float x);

uint16_t abi10_f32_to_f16(float x);
float abi10_f16_to_f32(uint16_t h);
/* F16(x), as a float. */
float abi10_round_f16(float x);

#endif /* ABI10_FLOAT_H */
