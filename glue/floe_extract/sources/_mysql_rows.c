/*
 * A MySQL result read into Arrow's binary layout in C. mysql-connector's C extension hands each row
 * over as a Python tuple of bytes objects; for a table of two integers that costs more than the
 * server spends sending the row (BENCHMARKS.md). Here the rows never become Python objects: each
 * column's values are appended to one data buffer with Arrow's int32 offsets and validity bitmap,
 * copied once into a bytes object per buffer, which pyarrow wraps as they are (pa.Array.from_buffers)
 * and casts to the column's type.
 *
 * It runs on the connection mysql-connector opened (login, TLS and session settings stay the
 * driver's), through the libmysqlclient built into the driver's _mysql_connector module, which
 * exports the C API (https://dev.mysql.com/doc/c-api/8.0/en/c-api-function-reference.html).
 * Its MySQL object holds the MYSQL session first after the object header (src/include/mysql_capi.h
 * in mysql-connector-python); the caller passes the session's thread id as the connector reports
 * it, and open() refuses a session that reports another, so an unexpected layout is never read.
 *
 * open(library_path, connector, thread_id, query) -> Rows
 *   sends `query` (mysql_real_query) and starts an unbuffered result (mysql_use_result);
 *   Rows.columns is its number of columns.
 * Rows.fetch(max_rows, max_bytes) -> (rows, [(nulls, validity or None, offsets, data), ...])
 *   up to max_rows rows, ending once their values hold max_bytes; rows == 0 at the end.
 * Rows.close()
 *   frees the result. A read stopped before its end must close the connection first: freeing an
 *   unfinished unbuffered result on an open connection reads every row left. A Rows is used by
 *   one thread at a time; fetch and close refuse a Rows another thread is fetching from.
 * Errors raise Error(errno, message, sqlstate), the server's or client library's own.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef char **mysql_row;
typedef int (*real_query_fn)(void *mysql, const char *query, unsigned long length);
typedef void *(*use_result_fn)(void *mysql);
typedef mysql_row (*fetch_row_fn)(void *result);
typedef unsigned long *(*fetch_lengths_fn)(void *result);
typedef unsigned int (*num_fields_fn)(void *result);
typedef void (*free_result_fn)(void *result);
typedef unsigned int (*errno_fn)(void *mysql);
typedef const char *(*text_fn)(void *mysql);
typedef unsigned long (*thread_id_fn)(void *mysql);

static struct {
    real_query_fn real_query;
    use_result_fn use_result;
    fetch_row_fn fetch_row;
    fetch_lengths_fn fetch_lengths;
    num_fields_fn num_fields;
    free_result_fn free_result;
    errno_fn error_number;
    text_fn error_text;
    text_fn sqlstate;
    thread_id_fn thread_id;
} api;

static PyObject *Error;

static int load_api(const char *path) {
    if (api.fetch_row != NULL) return 0;
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        PyErr_Format(PyExc_ImportError, "cannot load %s: %s", path, dlerror());
        return -1;
    }
    struct { const char *name; void **slot; } wanted[] = {
        {"mysql_real_query", (void **)&api.real_query},
        {"mysql_use_result", (void **)&api.use_result},
        {"mysql_fetch_lengths", (void **)&api.fetch_lengths},
        {"mysql_num_fields", (void **)&api.num_fields},
        {"mysql_free_result", (void **)&api.free_result},
        {"mysql_errno", (void **)&api.error_number},
        {"mysql_error", (void **)&api.error_text},
        {"mysql_sqlstate", (void **)&api.sqlstate},
        {"mysql_thread_id", (void **)&api.thread_id},
        {"mysql_fetch_row", (void **)&api.fetch_row},  /* last: set means every one is */
    };
    void *found[sizeof wanted / sizeof wanted[0]];
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        found[i] = dlsym(handle, wanted[i].name);
        if (found[i] == NULL) {
            PyErr_Format(PyExc_ImportError, "%s does not export %s", path, wanted[i].name);
            return -1;
        }
    }
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) *wanted[i].slot = found[i];
    return 0;
}

static PyObject *raise_mysql_error(void *mysql) {
    /* The client library cuts its messages at a byte count, so one may end inside a character. */
    const char *text = api.error_text(mysql);
    PyObject *message = PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "replace");
    if (message == NULL) return NULL;
    PyObject *value = Py_BuildValue("(INs)", api.error_number(mysql), message, api.sqlstate(mysql));
    if (value != NULL) {
        PyErr_SetObject(Error, value);
        Py_DECREF(value);
    }
    return NULL;
}

typedef struct {
    PyObject_HEAD
    PyObject *connector;  /* kept alive: its session is the one read */
    void *mysql;
    void *result;
    unsigned int columns;
    int ended;
    int busy;  /* a fetch runs without the GIL: another thread must not free the result meanwhile */
} Rows;

typedef struct {
    char *data;
    size_t used, capacity;
    int32_t *offsets;
    uint8_t *validity;
    Py_ssize_t nulls;
} Column;

static int reserve(Column *column, size_t more) {
    size_t needed = column->used + more;
    if (needed <= column->capacity) return 0;
    size_t capacity = column->capacity ? column->capacity : 65536;
    while (capacity < needed) capacity *= 2;
    char *data = realloc(column->data, capacity);
    if (data == NULL) return -1;
    column->data = data;
    column->capacity = capacity;
    return 0;
}

static void free_columns(Column *columns, unsigned int count) {
    for (unsigned int c = 0; c < count; c++) {
        free(columns[c].data);
        free(columns[c].offsets);
        free(columns[c].validity);
    }
    free(columns);
}

static PyObject *Rows_fetch(Rows *self, PyObject *args) {
    Py_ssize_t max_rows, max_bytes;
    if (!PyArg_ParseTuple(args, "nn", &max_rows, &max_bytes)) return NULL;
    if (self->result == NULL) {
        PyErr_SetString(PyExc_ValueError, "the result is closed");
        return NULL;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "another thread is fetching from this result");
        return NULL;
    }
    if (max_rows < 1 || max_rows > INT32_MAX / 2) {
        PyErr_SetString(PyExc_ValueError, "max_rows out of range");
        return NULL;
    }
    /* A value is at most max_allowed_packet, at most 1 GB, so max_bytes of 1 GB keeps offsets in int32. */
    if (max_bytes < 1 || max_bytes > (1 << 30)) {
        PyErr_SetString(PyExc_ValueError, "max_bytes out of range");
        return NULL;
    }
    unsigned int count = self->columns;
    Column *columns = calloc(count, sizeof(Column));
    if (columns == NULL) return PyErr_NoMemory();
    size_t validity_bytes = ((size_t)max_rows + 7) / 8;
    for (unsigned int c = 0; c < count; c++) {
        columns[c].offsets = malloc(((size_t)max_rows + 1) * sizeof(int32_t));
        columns[c].validity = malloc(validity_bytes);
        if (columns[c].offsets == NULL || columns[c].validity == NULL) {
            free_columns(columns, count);
            return PyErr_NoMemory();
        }
        columns[c].offsets[0] = 0;
        memset(columns[c].validity, 0xff, validity_bytes);
    }

    Py_ssize_t rows = 0;
    size_t bytes = 0;
    int failed = 0, out_of_memory = 0, too_long = 0;
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    while (rows < max_rows && bytes < (size_t)max_bytes) {
        mysql_row row = api.fetch_row(self->result);
        if (row == NULL) {
            if (api.error_number(self->mysql) != 0) failed = 1;
            else self->ended = 1;
            break;
        }
        unsigned long *lengths = api.fetch_lengths(self->result);
        for (unsigned int c = 0; c < count; c++) {
            Column *column = &columns[c];
            if (row[c] == NULL) {
                column->validity[rows >> 3] &= (uint8_t)~(1u << (rows & 7));
                column->nulls++;
            } else {
                size_t length = lengths[c];
                if (column->used + length > INT32_MAX) { too_long = 1; break; }
                if (reserve(column, length) < 0) { out_of_memory = 1; break; }
                memcpy(column->data + column->used, row[c], length);
                column->used += length;
                bytes += length;
            }
            column->offsets[rows + 1] = (int32_t)column->used;
        }
        if (out_of_memory || too_long) break;
        rows++;
        bytes += 4 * (size_t)count;
    }
    Py_END_ALLOW_THREADS
    self->busy = 0;

    if (failed || out_of_memory || too_long) {
        free_columns(columns, count);
        if (out_of_memory) return PyErr_NoMemory();
        if (too_long) {
            /* Unreachable while max_bytes <= 1 GB (see above); raised as the server's errors are, so the
               reader names the table. */
            PyObject *value = Py_BuildValue("(Iss)", 0u, "a column's values in one batch passed 2 GB", "HY000");
            if (value != NULL) {
                PyErr_SetObject(Error, value);
                Py_DECREF(value);
            }
            return NULL;
        }
        return raise_mysql_error(self->mysql);
    }
    PyObject *list = PyList_New(count);
    for (unsigned int c = 0; list != NULL && c < count; c++) {
        Column *column = &columns[c];
        PyObject *validity = column->nulls
            ? PyBytes_FromStringAndSize((const char *)column->validity, (rows + 7) / 8)
            : (Py_INCREF(Py_None), Py_None);
        PyObject *offsets = PyBytes_FromStringAndSize((const char *)column->offsets, (rows + 1) * sizeof(int32_t));
        PyObject *data = PyBytes_FromStringAndSize(column->data ? column->data : "", (Py_ssize_t)column->used);
        PyObject *entry = (validity && offsets && data) ? Py_BuildValue("(nOOO)", column->nulls, validity, offsets, data) : NULL;
        Py_XDECREF(validity);
        Py_XDECREF(offsets);
        Py_XDECREF(data);
        if (entry == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, c, entry);
    }
    free_columns(columns, count);
    if (list == NULL) return NULL;
    return Py_BuildValue("(nN)", rows, list);
}

static void close_result(Rows *self) {
    if (self->result != NULL) {
        void *result = self->result;
        self->result = NULL;
        Py_BEGIN_ALLOW_THREADS
        api.free_result(result);
        Py_END_ALLOW_THREADS
    }
}

static PyObject *Rows_close(Rows *self, PyObject *unused) {
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "another thread is fetching from this result");
        return NULL;
    }
    close_result(self);
    Py_RETURN_NONE;
}

static PyObject *Rows_ended(Rows *self, void *unused) { return PyBool_FromLong(self->ended); }

static PyObject *Rows_columns(Rows *self, void *unused) { return PyLong_FromUnsignedLong(self->columns); }

static void Rows_dealloc(Rows *self) {
    close_result(self);
    Py_XDECREF(self->connector);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Rows_methods[] = {
    {"fetch", (PyCFunction)Rows_fetch, METH_VARARGS, "The next rows as Arrow binary buffers per column."},
    {"close", (PyCFunction)Rows_close, METH_NOARGS, "Free the result."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Rows_getset[] = {
    {"ended", (getter)Rows_ended, NULL, "Every row was fetched.", NULL},
    {"columns", (getter)Rows_columns, NULL, "The result's number of columns.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject RowsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "floe_extract.sources._mysql_rows.Rows",
    .tp_basicsize = sizeof(Rows),
    .tp_dealloc = (destructor)Rows_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_methods = Rows_methods,
    .tp_getset = Rows_getset,
};

static PyObject *open_rows(PyObject *module, PyObject *args) {
    const char *path;
    PyObject *connector;
    unsigned long thread_id;
    const char *query;
    Py_ssize_t query_length;
    if (!PyArg_ParseTuple(args, "sOky#", &path, &connector, &thread_id, &query, &query_length)) return NULL;
    if (strcmp(Py_TYPE(connector)->tp_name, "_mysql_connector.MySQL") != 0) {
        PyErr_Format(PyExc_ImportError, "expected mysql-connector's _mysql_connector.MySQL, not %s", Py_TYPE(connector)->tp_name);
        return NULL;
    }
    if (load_api(path) < 0) return NULL;
    void *mysql = (char *)connector + sizeof(PyObject);
    if (api.thread_id(mysql) != thread_id) {
        PyErr_Format(PyExc_ImportError, "the connector's session is not where this module expects it (thread %lu, found %lu)",
                     thread_id, api.thread_id(mysql));
        return NULL;
    }
    /* Made before the query is sent: past that point nothing may fail but the server. */
    Rows *rows = PyObject_New(Rows, &RowsType);
    if (rows == NULL) return NULL;
    Py_INCREF(connector);
    rows->connector = connector;
    rows->mysql = mysql;
    rows->result = NULL;
    rows->columns = 0;
    rows->ended = 0;
    rows->busy = 0;
    int status;
    void *result = NULL;
    Py_BEGIN_ALLOW_THREADS
    status = api.real_query(mysql, query, (unsigned long)query_length);
    if (status == 0) result = api.use_result(mysql);
    Py_END_ALLOW_THREADS
    if (result == NULL) {
        if (status != 0 || api.error_number(mysql) != 0) raise_mysql_error(mysql);
        else PyErr_SetString(PyExc_ValueError, "the statement returned no rows to read");
        Py_DECREF(rows);
        return NULL;
    }
    rows->result = result;
    rows->columns = api.num_fields(result);
    return (PyObject *)rows;
}

static PyMethodDef methods[] = {
    {"open", open_rows, METH_VARARGS, "Send a query on the connector's session and read its rows (see the module's source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_mysql_rows", NULL, -1, methods};

PyMODINIT_FUNC PyInit__mysql_rows(void) {
    if (PyType_Ready(&RowsType) < 0) return NULL;
    PyObject *created = PyModule_Create(&module);
    if (created == NULL) return NULL;
    Error = PyErr_NewException("floe_extract.sources._mysql_rows.Error", NULL, NULL);
    if (Error == NULL || PyModule_AddObject(created, "Error", Error) < 0) {
        Py_XDECREF(Error);
        Py_DECREF(created);
        return NULL;
    }
    Py_INCREF(Error);
    return created;
}
