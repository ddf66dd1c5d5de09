/* plinth plugin ABI: the only contract between the host and every plugin.
 *
 * Plain C on purpose: no C++ types, exceptions or allocator ownership cross this boundary, so a
 * plugin built by another compiler or standard library (or years later) still loads.
 *
 * Versioning is negotiated, not stamped:
 *   - The host calls the one exported entry symbol, PLINTH_PLUGIN_ENTRY_SYMBOL, passing its ABI major
 *     and the highest minor it speaks.
 *   - The plugin answers with a descriptor carrying the version both speak (same major,
 *     min(host minor, plugin minor)), or NULL plus a refusal reason.
 *   - Minor versions are append-only. Every struct starts with `struct_size`; a member added in a
 *     later minor is used only when `struct_size` covers it and the pointer is non-NULL.
 *
 * Errors cross as a plinth_status plus a message written into a caller-owned plinth_message.
 * Memory is freed by whichever side allocated it.
 */
#ifndef PLINTH_PLUGIN_API_H
#define PLINTH_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#include "compute.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PLINTH_ABI_MAJOR 1
#define PLINTH_ABI_MINOR 3

#define PLINTH_PLUGIN_ENTRY_SYMBOL "plinth_plugin_entry"

#if defined(_WIN32)
#define PLINTH_EXPORT __declspec(dllexport)
#else
#define PLINTH_EXPORT __attribute__((visibility("default")))
#endif

/* True when struct `s` (whose first member is struct_size) is large enough to hold `member`. */
#define PLINTH_HAS_MEMBER(s, type, member) \
    ((s) != NULL && (s)->struct_size >= offsetof(type, member) + sizeof(((type*)0)->member))

typedef enum plinth_status {
    PLINTH_OK = 0,
    PLINTH_ERR_INVALID_ARGUMENT = 1,
    PLINTH_ERR_UNSUPPORTED = 2,
    PLINTH_ERR_OUT_OF_MEMORY = 3,
    PLINTH_ERR_IO = 4,
    PLINTH_ERR_MALFORMED = 5, /* input file or data is not what it claims to be */
    PLINTH_ERR_INTERNAL = 6
} plinth_status;

/* Caller-owned buffer a plugin writes a NUL-terminated, human-readable message into. */
#define PLINTH_MESSAGE_CAPACITY 512
typedef struct plinth_message {
    char text[PLINTH_MESSAGE_CAPACITY];
} plinth_message;

typedef enum plinth_log_level {
    PLINTH_LOG_TRACE = 0,
    PLINTH_LOG_DEBUG = 1,
    PLINTH_LOG_INFO = 2,
    PLINTH_LOG_WARN = 3,
    PLINTH_LOG_ERROR = 4
} plinth_log_level;

/* What the host tells a plugin about itself. Owned by the host; valid until the plugin is shut down. */
typedef struct plinth_host_info {
    uint32_t struct_size;
    uint32_t abi_major;     /* the host's ABI major */
    uint32_t abi_minor_max; /* the highest minor the host speaks */
    uint32_t reserved0;
    const char* host_version;
    /* Plugins log through the host so every line ends up in one place (stderr via spdlog). */
    void (*log)(void* user, plinth_log_level level, const char* plugin_name, const char* message);
    void* log_user;
    void* reserved[4];
} plinth_host_info;

/* ---- probe: a cheap check, before init, of whether the plugin can run here ---- */

typedef struct plinth_probe_result {
    uint32_t struct_size;
    int32_t usable;  /* 1: can run here; 0: cannot, `reason` says why */
    int32_t score;   /* higher wins among variants of one plugin name (e.g. generic vs AVX-512) */
    uint32_t reserved0;
    char reason[256];   /* when unusable: why ("no Vulkan device"); when usable: may be empty */
    char features[256]; /* what was found, e.g. "avx2 avx512f avx512vnni" */
} plinth_probe_result;

/* ---- backend interface ---- */

typedef enum plinth_device_type {
    PLINTH_DEVICE_CPU = 0,
    PLINTH_DEVICE_GPU = 1,  /* discrete GPU */
    PLINTH_DEVICE_IGPU = 2, /* integrated GPU, shares host memory */
    PLINTH_DEVICE_ACCEL = 3,
    PLINTH_DEVICE_OTHER = 4
} plinth_device_type;

/* The device type's word ("gpu"), for listings; "other" for any number that is not a type. */
static inline const char* plinth_device_type_name(uint32_t type) {
    switch (type) {
    case PLINTH_DEVICE_CPU: return "cpu";
    case PLINTH_DEVICE_GPU: return "gpu";
    case PLINTH_DEVICE_IGPU: return "igpu";
    case PLINTH_DEVICE_ACCEL: return "accel";
    default: return "other";
    }
}

/* Capability bits of a device's buffers. */
#define PLINTH_BUFFER_HOST_VISIBLE 0x1u  /* buffer_host_ptr returns a usable pointer */
#define PLINTH_BUFFER_CAN_WRAP_HOST 0x2u /* buffer_wrap_host can use host memory (e.g. an mmap) in place */

typedef struct plinth_device_info {
    uint32_t struct_size;
    uint32_t type; /* plinth_device_type */
    char name[128];
    char description[256];
    uint64_t memory_total; /* bytes */
    uint64_t memory_free;  /* bytes, at the time of the call */
    uint32_t compute_units; /* cores, SMs, ... */
    uint32_t buffer_caps;   /* PLINTH_BUFFER_* bits */
    uint64_t buffer_alignment; /* bytes; allocations are aligned at least this much */
} plinth_device_info;

/* plinth_buffer (compute.h): opaque, owned by the backend. */

/* ---- backend options (ABI 1.2) ----
 * A backend describes the settings set_option takes, so that the host can check a deployment
 * file's `backends.<plugin>:` section, list them (`plinth plugins --options`) and take them on the
 * command line without knowing any backend by name. */
typedef enum plinth_option_type {
    PLINTH_OPTION_INTEGER = 0, /* a decimal integer within [min, max] */
    PLINTH_OPTION_CHOICE = 1   /* one of `choices` */
} plinth_option_type;

typedef struct plinth_option_info {
    uint32_t struct_size;
    uint32_t type;                 /* plinth_option_type */
    const char* name;              /* [a-z][a-z0-9_]*, as set_option takes it */
    const char* help;              /* one line: what it changes */
    const char* default_text;      /* what applies when it is not set, in words ("auto", "physical cores") */
    int64_t min, max;              /* INTEGER */
    const char* const* choices;    /* CHOICE: NULL-terminated list */
} plinth_option_info;

typedef struct plinth_backend_api {
    uint32_t struct_size;
    uint32_t reserved0;

    uint32_t (*device_count)(void);
    plinth_status (*device_info)(uint32_t device, plinth_device_info* out, plinth_message* err);

    plinth_status (*buffer_alloc)(uint32_t device, uint64_t size, plinth_buffer* out, plinth_message* err);
    /* Optional (NULL when the device lacks PLINTH_BUFFER_CAN_WRAP_HOST). The buffer refers to `host`
     * without copying; the caller keeps `host` alive until buffer_free. */
    plinth_status (*buffer_wrap_host)(uint32_t device, void* host, uint64_t size, plinth_buffer* out,
                                      plinth_message* err);
    void (*buffer_free)(plinth_buffer buffer);
    uint64_t (*buffer_size)(plinth_buffer buffer);
    /* NULL unless the buffer is host-visible. */
    void* (*buffer_host_ptr)(plinth_buffer buffer);
    plinth_status (*buffer_upload)(plinth_buffer buffer, uint64_t offset, const void* src, uint64_t size,
                                   plinth_message* err);
    plinth_status (*buffer_download)(plinth_buffer buffer, uint64_t offset, void* dst, uint64_t size,
                                     plinth_message* err);

    /* Backend-specific settings, e.g. ("threads", "4") for the CPU. Unknown keys are an error. */
    plinth_status (*set_option)(const char* key, const char* value, plinth_message* err);
    /* 1 when `device` can run graph->nodes[node] with those tensors' types and shapes, else 0. */
    int32_t (*supports_node)(uint32_t device, const plinth_graph* graph, uint32_t node);
    /* Runs every node of the graph in order on `device`; all its tensors live in that device's
     * buffers. Returns when the results are visible to buffer_download. */
    plinth_status (*graph_compute)(uint32_t device, const plinth_graph* graph, plinth_message* err);

    /* ABI 1.2, optional: the options set_option takes, `*count` of them, in static storage. */
    const plinth_option_info* (*options)(uint32_t* count);
    /* ABI 1.3, optional (host-memory devices): as buffer_wrap_host, for a model's weights: `host` is a
     * read-only mapping of a file whose bytes do not change while the buffer lives. The backend may
     * keep copies of tensors in a layout of its own and release the pages of the mapping it no
     * longer reads (they read back from the file when touched again). */
    plinth_status (*buffer_wrap_weights)(uint32_t device, const void* host, uint64_t size, plinth_buffer* out,
                                         plinth_message* err);
    void* reserved[6];
} plinth_backend_api;

/* ---- model-format interface ---- */

/* Metadata value types; the numbering follows GGUF's, which other formats map onto. */
typedef enum plinth_value_type {
    PLINTH_VALUE_U8 = 0,
    PLINTH_VALUE_I8 = 1,
    PLINTH_VALUE_U16 = 2,
    PLINTH_VALUE_I16 = 3,
    PLINTH_VALUE_U32 = 4,
    PLINTH_VALUE_I32 = 5,
    PLINTH_VALUE_F32 = 6,
    PLINTH_VALUE_BOOL = 7,
    PLINTH_VALUE_STRING = 8,
    PLINTH_VALUE_ARRAY = 9,
    PLINTH_VALUE_U64 = 10,
    PLINTH_VALUE_I64 = 11,
    PLINTH_VALUE_F64 = 12
} plinth_value_type;

/* A string that is not NUL-terminated; points into the plugin's memory (usually the mmap). */
typedef struct plinth_string_view {
    const char* data;
    uint64_t size;
} plinth_string_view;

typedef struct plinth_metadata_entry {
    uint32_t struct_size;
    uint32_t type; /* plinth_value_type */
    plinth_string_view key;
    union {
        uint64_t u64; /* U8, U16, U32, U64, BOOL (0/1) */
        int64_t i64;  /* I8, I16, I32, I64 */
        double f64;   /* F32, F64 */
        plinth_string_view str;
    } value;
    /* For ARRAY: element type and count. Numeric elements are packed little-endian at
     * `array_data` (element size from the type); strings are read with metadata_array_string. */
    uint32_t array_type;
    uint32_t reserved0;
    uint64_t array_count;
    const void* array_data;
} plinth_metadata_entry;

#define PLINTH_MAX_DIMS 4

typedef struct plinth_tensor_info {
    uint32_t struct_size;
    uint32_t type; /* weight type, numbered as ggml_type (F32=0, F16=1, Q4_0=2, ..., BF16=30) */
    plinth_string_view name;
    uint32_t n_dims;
    uint32_t reserved0;
    uint64_t shape[PLINTH_MAX_DIMS]; /* shape[0] is the contiguous (row) dimension; unused dims are 1 */
    const void* data;  /* the tensor's bytes, in place in the mapped file */
    uint64_t size;     /* bytes */
    uint64_t file_offset;
} plinth_tensor_info;

typedef struct plinth_model_file_s* plinth_model_file; /* opaque, owned by the format plugin */

typedef struct plinth_file_mapping {
    uint32_t struct_size;
    uint32_t reserved0;
    const void* base; /* start of the mapped file */
    uint64_t size;    /* bytes */
} plinth_file_mapping;

/* A model file being written; opaque, owned by the format plugin (from writer_create until
 * writer_finish or writer_discard). */
typedef struct plinth_model_writer_s* plinth_model_writer;

typedef struct plinth_format_api {
    uint32_t struct_size;
    uint32_t reserved0;

    /* Does `head` (the first `size` bytes of a file) look like this format? 1 yes, 0 no. */
    int32_t (*probe_file)(const void* head, uint64_t size);
    plinth_status (*open)(const char* path, plinth_model_file* out, plinth_message* err);
    void (*close)(plinth_model_file file);

    uint64_t (*metadata_count)(plinth_model_file file);
    plinth_status (*metadata_get)(plinth_model_file file, uint64_t index, plinth_metadata_entry* out,
                                  plinth_message* err);
    plinth_status (*metadata_array_string)(plinth_model_file file, uint64_t index, uint64_t element,
                                           plinth_string_view* out, plinth_message* err);

    uint64_t (*tensor_count)(plinth_model_file file);
    plinth_status (*tensor_get)(plinth_model_file file, uint64_t index, plinth_tensor_info* out,
                                plinth_message* err);

    /* The whole mapped file, so a host-memory backend can wrap it without copying. */
    plinth_status (*mapping)(plinth_model_file file, plinth_file_mapping* out, plinth_message* err);

    /* ---- Writing (optional) ----
     * A format plugin that can write files sets all five members below; one that cannot leaves them
     * NULL. The host uses them only when `struct_size` covers them (PLINTH_HAS_MEMBER) and
     * writer_create is non-NULL.
     *
     * Order of calls: writer_create; then writer_set_metadata and writer_add_tensor in any order
     * (metadata is written in first-set order; a key set again keeps its place and takes the new
     * value); then the tensors' bytes, in the order the tensors were added; then writer_finish, or
     * writer_discard at any point to give up. The file appears at `path` only when writer_finish
     * succeeds (it is written beside it under a temporary name, then renamed), so a failed or
     * abandoned write never leaves a half-written model behind.
     *
     * Tensor bytes are streamed, never gathered in memory. A tensor added with `data` non-NULL lends
     * that pointer: the plugin reads its `size` bytes when the tensor's turn comes in the file, at the
     * latest during writer_finish, so it must stay valid until then. A tensor added with `data` NULL
     * receives its bytes through writer_write_data. The first writer_write_data (or writer_finish)
     * fixes the header: no metadata or tensor can be added after it. */

    /* Starts a new file at `path` (existing files are replaced when writer_finish succeeds). */
    plinth_status (*writer_create)(const char* path, plinth_model_writer* out, plinth_message* err);
    /* Sets one metadata entry: `entry->key`, `entry->type` and the value as plinth_metadata_entry
     * describes it. For ARRAY, `array_type` and `array_count` give the elements; numeric and bool
     * elements are read packed little-endian from `array_data` (bool: one byte, 0 or 1); string
     * elements are read from `string_array` (array_count views), which is NULL otherwise. Nested
     * arrays are not supported (PLINTH_ERR_UNSUPPORTED). Everything is copied before the call
     * returns. */
    plinth_status (*writer_set_metadata)(plinth_model_writer writer, const plinth_metadata_entry* entry,
                                         const plinth_string_view* string_array, plinth_message* err);
    /* Declares the next tensor: `name`, `type` (plinth_weight_type), `n_dims` (1..4) and `shape`
     * (shape[0] a multiple of the type's block size). `size` is 0 or the tensor's byte size (checked
     * when nonzero). `data` as described above; `file_offset` is ignored. */
    plinth_status (*writer_add_tensor)(plinth_model_writer writer, const plinth_tensor_info* tensor,
                                       plinth_message* err);
    /* Appends `size` bytes of tensor data: the bytes continue the first tensor whose data is not yet
     * complete (tensors that lent `data` are written from it as their turn comes). Any split into
     * calls is allowed; padding between tensors is the plugin's business. */
    plinth_status (*writer_write_data)(plinth_model_writer writer, const void* data, uint64_t size,
                                       plinth_message* err);
    /* Writes what remains, checks that every tensor got all its bytes, and moves the file into
     * place. The writer is freed whatever the result: do not use it again. */
    plinth_status (*writer_finish)(plinth_model_writer writer, plinth_message* err);
    /* Abandons the file (the temporary file is removed) and frees the writer. NULL is ignored. */
    void (*writer_discard)(plinth_model_writer writer);

    void* reserved[8];
} plinth_format_api;

/* ---- the descriptor a plugin returns from its entry symbol ---- */

typedef enum plinth_plugin_kind {
    PLINTH_PLUGIN_BACKEND = 1,
    PLINTH_PLUGIN_FORMAT = 2
} plinth_plugin_kind;

typedef struct plinth_plugin_descriptor {
    uint32_t struct_size;
    uint32_t abi_major; /* must equal the host's */
    uint32_t abi_minor; /* negotiated: min(host's highest, plugin's) */
    uint32_t kind;      /* plinth_plugin_kind */
    const char* name;   /* short, unique per kind: "cpu", "vulkan", "gguf" */
    const char* version;
    const char* description;

    void (*probe)(plinth_probe_result* out);
    /* Called once, after a successful probe, before any other member is used. */
    plinth_status (*init)(const plinth_host_info* host, plinth_message* err);
    /* Called once at exit; the plugin frees everything it still owns. */
    void (*shutdown)(void);

    const plinth_backend_api* backend; /* kind == BACKEND */
    const plinth_format_api* format;   /* kind == FORMAT */

    void* reserved[8];
} plinth_plugin_descriptor;

/* The one symbol every plugin exports. Returns NULL and fills `refusal` when the plugin cannot speak
 * the host's ABI. The descriptor is static: valid for as long as the library stays loaded. */
typedef const plinth_plugin_descriptor* (*plinth_plugin_entry_fn)(const plinth_host_info* host,
                                                                  plinth_message* refusal);

#ifdef __cplusplus
}
#endif

#endif /* PLINTH_PLUGIN_API_H */
