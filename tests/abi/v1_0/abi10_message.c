#include "abi10_message.h"

#include <stdarg.h>
#include <stdio.h>

plinth_status abi10_fail(plinth_message* err, plinth_status status, const char* format, ...) {
    if (err != NULL) {
        va_list args;
        va_start(args, format);
        vsnprintf(err->text, sizeof(err->text), format, args);
        va_end(args);
    }
    return status;
}
