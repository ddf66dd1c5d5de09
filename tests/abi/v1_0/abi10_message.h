/* printf-style writing into the host's plinth_message, which may be NULL. */
#ifndef ABI10_MESSAGE_H
#define ABI10_MESSAGE_H

#include <plinth/plugin_api.h>

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
/* Writes the message (when `err` is non-NULL) and returns `status`. */
plinth_status abi10_fail(plinth_message* err, plinth_status status, const char* format, ...);

#endif /* ABI10_MESSAGE_H */
