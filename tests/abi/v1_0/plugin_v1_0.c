/* abi10: a backend plugin built against the frozen ABI 1.0 headers (tests/abi/v1_0/include) in
 * plain C11, to show that the compatibility promise holds for a plugin that knows nothing newer:
 * today's host loads it, negotiates minor 0 with it, and runs nodes on it.
 *
 * One device (PLINTH_DEVICE_OTHER, its buffers neither host-visible nor wrapping host memory, so
 * it is never taken for the host-memory reference device) computing RMS_NORM, ADD, MUL and SWIGLU in
 * F32, and KV_STORE and ATTENTION over an F32 or F16 cache: a device that holds a model's layers
 * holds their KV cache, and the host cannot move those two elsewhere. Every other node it refuses,
 * and the host runs it on the CPU. This file: the entry symbol, the descriptor and the device;
 * abi10_buffer.c the buffers; abi10_graph.c the graphs; abi10_node_check.c the checks;
 * abi10_ops.c and abi10_attention.c the arithmetic. */
#define _DEFAULT_SOURCE /* sysconf's _SC_PHYS_PAGES under -std=c11 */

#include <plinth/plugin_api.h>

#include "abi10_buffer.h"
#include "abi10_graph.h"
#include "abi10_message.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The whole point: this file must see ABI 1.0's headers, never today's. */
#if PLINTH_ABI_MAJOR != 1 || PLINTH_ABI_MINOR != 0
#error "abi10 must be built against the frozen ABI 1.0 headers (tests/abi/v1_0/include)"
#endif
#if !defined(__STDC_VERSION__) || __STDC_VERSION__ != 201112L
#error "abi10 is built as C11"
#endif

#define ABI10_NAME "abi10"

static void (*host_log)(void* user, plinth_log_level level, const char* plugin_name, const char* message) = NULL;
static void* host_log_user = NULL;

static void probe(plinth_probe_result* out) {
    if (out == NULL) return;
    plinth_probe_result result;
    memset(&result, 0, sizeof(result));
    result.usable = 1; /* plain host memory: runs anywhere */
    result.score = 1;
    snprintf(result.features, sizeof(result.features), "c11 abi-1.0");
    /* Writes only what the caller's struct holds (its struct_size), keeping that size. */
    const uint32_t room = out->struct_size < sizeof(result) ? out->struct_size : (uint32_t)sizeof(result);
    const uint32_t caller_size = out->struct_size;
    memcpy(out, &result, room);
    out->struct_size = caller_size;
}

static plinth_status init(const plinth_host_info* host, plinth_message* err) {
    (void)err;
    if (PLINTH_HAS_MEMBER(host, plinth_host_info, log_user) && host->log != NULL) {
        host_log = host->log;
        host_log_user = host->log_user;
        char line[160];
        snprintf(line, sizeof(line), "ABI 1.0 plugin initialised by host %s (which speaks up to 1.%u)",
                 host->host_version ? host->host_version : "(unnamed)", host->abi_minor_max);
        host_log(host_log_user, PLINTH_LOG_DEBUG, ABI10_NAME, line);
    }
    return PLINTH_OK;
}

static void shutdown_plugin(void) {
    abi10_buffer_free_all();
    host_log = NULL;
    host_log_user = NULL;
}

static uint32_t device_count(void) { return 1; }

static plinth_status device_info(uint32_t device, plinth_device_info* out, plinth_message* err) {
    if (device != 0) return abi10_fail(err, PLINTH_ERR_INVALID_ARGUMENT, "abi10 has no device %u", device);
    if (out == NULL) return abi10_fail(err, PLINTH_ERR_INVALID_ARGUMENT, "device_info: no place for the answer");
    plinth_device_info info;
    memset(&info, 0, sizeof(info));
    info.struct_size = sizeof(info);
    info.type = PLINTH_DEVICE_OTHER;
    snprintf(info.name, sizeof(info.name), "abi10 test device");
    snprintf(info.description, sizeof(info.description),
             "host memory behind upload/download, built against the frozen ABI 1.0 headers");
    const long pages = sysconf(_SC_PHYS_PAGES), free_pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    info.memory_total = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
    info.memory_free = free_pages > 0 && page > 0 ? (uint64_t)free_pages * (uint64_t)page : 0;
    info.compute_units = 1;
    info.buffer_caps = 0; /* neither PLINTH_BUFFER_HOST_VISIBLE nor PLINTH_BUFFER_CAN_WRAP_HOST */
    info.buffer_alignment = ABI10_BUFFER_ALIGNMENT;
    const uint32_t room = out->struct_size < sizeof(info) ? out->struct_size : (uint32_t)sizeof(info);
    const uint32_t caller_size = out->struct_size;
    memcpy(out, &info, room);
    out->struct_size = caller_size;
    return PLINTH_OK;
}

static plinth_status set_option(const char* key, const char* value, plinth_message* err) {
    (void)value;
    return abi10_fail(err, PLINTH_ERR_INVALID_ARGUMENT, "abi10 takes no options (got '%s')", key ? key : "(null)");
}

/* Members a later minor added in `reserved` stay zero (NULL): the host must not call them. */
static const plinth_backend_api backend_api = {
    .struct_size = sizeof(plinth_backend_api),
    .device_count = device_count,
    .device_info = device_info,
    .buffer_alloc = abi10_buffer_alloc,
    .buffer_wrap_host = NULL,
    .buffer_free = abi10_buffer_free,
    .buffer_size = abi10_buffer_size,
    .buffer_host_ptr = abi10_buffer_host_ptr,
    .buffer_upload = abi10_buffer_upload,
    .buffer_download = abi10_buffer_download,
    .set_option = set_option,
    .supports_node = abi10_supports_node,
    .graph_compute = abi10_graph_compute,
};

/* Static, as the ABI asks; abi_minor is filled in by the negotiation. */
static plinth_plugin_descriptor descriptor = {
    .struct_size = sizeof(plinth_plugin_descriptor),
    .abi_major = PLINTH_ABI_MAJOR,
    .abi_minor = PLINTH_ABI_MINOR,
    .kind = PLINTH_PLUGIN_BACKEND,
    .name = ABI10_NAME,
    .version = "1.0.0",
    .description = "test backend built against the frozen ABI 1.0 headers, in C11",
    .probe = probe,
    .init = init,
    .shutdown = shutdown_plugin,
    .backend = &backend_api,
    .format = NULL,
};

PLINTH_EXPORT const plinth_plugin_descriptor* plinth_plugin_entry(const plinth_host_info* host, plinth_message* refusal);

PLINTH_EXPORT const plinth_plugin_descriptor* plinth_plugin_entry(const plinth_host_info* host, plinth_message* refusal) {
    if (!PLINTH_HAS_MEMBER(host, plinth_host_info, abi_minor_max)) {
        abi10_fail(refusal, PLINTH_ERR_INVALID_ARGUMENT, "abi10: the host passed no usable host info");
        return NULL;
    }
    if (host->abi_major != PLINTH_ABI_MAJOR) {
        abi10_fail(refusal, PLINTH_ERR_UNSUPPORTED, "abi10 speaks ABI %u.%u; the host speaks ABI major %u",
                   PLINTH_ABI_MAJOR, PLINTH_ABI_MINOR, host->abi_major);
        return NULL;
    }
    /* The version both speak: the lower of the host's highest minor and this plugin's (a variable,
     * since comparing an unsigned value with the literal 0 draws -Wtype-limits). */
    const uint32_t own_minor = PLINTH_ABI_MINOR;
    descriptor.abi_minor = host->abi_minor_max < own_minor ? host->abi_minor_max : own_minor;
    return &descriptor;
}
