/*
 * The COPY pump's inner loop, in C: libpq hands COPY data over one row per PQgetCopyData call,
 * and a Python loop over 2 million rows costs about a second (BENCHMARKS.md). This loop takes the
 * rows, joins them into large writes to a pipe whose other end pyarrow's CSV reader parses, and
 * holds no GIL while it does.
 *
 * It calls the libpq that psycopg already loaded (its path and psycopg's PGconn pointer are passed
 * in), so it needs no libpq headers or library to build: only the two prototypes below, which are
 * libpq's stable API (https://www.postgresql.org/docs/current/libpq-copy.html).
 *
 * pump(libpq_path, pgconn_ptr, fd, block_bytes, write_bytes) -> (status, rows, row)
 *   fd >= 0: rows are written to fd until one of:
 *     DONE   (0) the COPY ended (PQgetCopyData returned -1): fetch its result next;
 *     ERROR  (1) libpq failed (-2): the connection's error message says why;
 *     LARGE  (2) a row longer than block_bytes arrived: it is returned, after every row before it was written;
 *     BROKEN (3) the pipe's reader went away (EPIPE).
 *   fd < 0: the first row is returned on its own (status ROW (4), or LARGE), so the caller opens a
 *   pipe only for a segment that has a row.
 * `rows` counts the rows taken from libpq in this call, the returned one included.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*get_copy_data_fn)(void *conn, char **buffer, int async);
typedef void (*freemem_fn)(void *ptr);

enum { DONE = 0, ERROR = 1, LARGE = 2, BROKEN = 3, ROW = 4 };

static get_copy_data_fn get_copy_data = NULL;
static freemem_fn freemem = NULL;

static int load_libpq(const char *path) {
    if (get_copy_data != NULL) return 0;
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        PyErr_Format(PyExc_ImportError, "cannot load libpq from %s: %s", path, dlerror());
        return -1;
    }
    get_copy_data = (get_copy_data_fn)dlsym(handle, "PQgetCopyData");
    freemem = (freemem_fn)dlsym(handle, "PQfreemem");
    if (get_copy_data == NULL || freemem == NULL) {
        get_copy_data = NULL;
        PyErr_Format(PyExc_ImportError, "%s has no PQgetCopyData or PQfreemem", path);
        return -1;
    }
    return 0;
}

/* Write all of buf to fd; 0, or -1 with errno set. */
static int write_all(int fd, const char *buf, size_t size) {
    while (size > 0) {
        ssize_t written = write(fd, buf, size);
        if (written < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += written;
        size -= (size_t)written;
    }
    return 0;
}

static PyObject *pump(PyObject *self, PyObject *args) {
    const char *path;
    unsigned long long pointer;
    int fd;
    Py_ssize_t block_bytes, write_bytes;
    if (!PyArg_ParseTuple(args, "sKinn", &path, &pointer, &fd, &block_bytes, &write_bytes)) return NULL;
    if (load_libpq(path) < 0) return NULL;
    void *conn = (void *)(uintptr_t)pointer;

    int status = DONE, write_errno = 0;
    long long rows = 0;
    char *row = NULL;
    int row_size = 0;
    char *pending = NULL;
    size_t used = 0, capacity = (size_t)write_bytes + (size_t)block_bytes;
    if (fd >= 0 && (pending = malloc(capacity)) == NULL) return PyErr_NoMemory();

    Py_BEGIN_ALLOW_THREADS
    for (;;) {
        char *buffer = NULL;
        int size = get_copy_data(conn, &buffer, 0);
        if (size == -1) { status = DONE; break; }
        if (size < 0) { status = ERROR; break; }
        rows++;
        if (fd < 0 || size > block_bytes) {
            row = buffer;
            row_size = size;
            status = size > block_bytes ? LARGE : ROW;
            break;
        }
        memcpy(pending + used, buffer, (size_t)size);
        used += (size_t)size;
        freemem(buffer);
        if (used >= (size_t)write_bytes) {
            if (write_all(fd, pending, used) < 0) { write_errno = errno; status = BROKEN; used = 0; break; }
            used = 0;
        }
    }
    if (used > 0 && status != ERROR && write_all(fd, pending, used) < 0) {
        write_errno = errno;
        status = BROKEN;
    }
    Py_END_ALLOW_THREADS

    free(pending);
    if (status == BROKEN && write_errno != EPIPE) {
        if (row != NULL) freemem(row);
        errno = write_errno;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    PyObject *returned = Py_None;
    Py_INCREF(Py_None);
    if (row != NULL) {
        Py_DECREF(Py_None);
        returned = PyBytes_FromStringAndSize(row, row_size);
        freemem(row);
        if (returned == NULL) return NULL;
    }
    return Py_BuildValue("(iLN)", status, rows, returned);
}

static PyMethodDef methods[] = {
    {"pump", pump, METH_VARARGS, "Move COPY rows from libpq to a pipe without the GIL (see the module's source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_copy_pump", NULL, -1, methods};

PyMODINIT_FUNC PyInit__copy_pump(void) { return PyModule_Create(&module); }
