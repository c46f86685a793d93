/* The library's C API as the tests use it: the generated header, nothing more. */
#ifndef DEV_BIND_DECLS_H
#define DEV_BIND_DECLS_H

#include "iot_dev_bind.h"

#endif /* DEV_BIND_DECLS_H */
