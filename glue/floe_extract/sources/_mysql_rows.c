/*
 * A MySQL result's rows, read from the wire into Arrow's binary layout in C. The driver's own row
 * reading builds a Python object per value; here the rows never become Python objects: each
 * column's values are appended to one data buffer with Arrow's int32 offsets and validity bitmap,
 * copied once into a bytes object per buffer, which pyarrow wraps as they are (pa.Array.from_buffers)
 * and casts to the column's type.
 *
 * It parses the text protocol's packets (https://dev.mysql.com/doc/dev/mysql-server/latest/
 * page_protocol_com_query_response_text_resultset.html): the driver, mysql-connector's pure-Python
 * protocol, sends the query and reads the column definitions; the caller then reads the socket
 * (plain or TLS) in large chunks and feeds them here, so this module needs no client library and
 * runs wherever Python does.
 *
 * Rows(columns) -> a parser of one result's rows.
 * Rows.feed(buffer, start, end, max_rows, max_bytes) -> (status, position, needed)
 *   parses the packets in buffer[start:end] into the batch; returns at `position`, where parsing
 *   stopped, with status
 *     MORE (0) the rest of the buffer holds no whole packet: read more (needed: the bytes from
 *              `position` that the next payload needs, 0 if its header is not there yet);
 *     FULL (1) the batch holds max_rows rows or max_bytes of values: take() it, then feed again;
 *     END  (2) the result's last packet (EOF or OK) was read: take() the last rows.
 *   A value of 16 MB or more arrives in several packets (each of 0xffffff bytes but the last): its
 *   row is parsed once every one of them is in the buffer.
 *   An ERR packet raises Error(errno, message, sqlstate), the server's own; a packet that breaks the
 *   protocol raises ValueError.
 * Rows.take() -> (rows, [(nulls, validity or None, offsets, data), ...]) and starts a new batch.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MORE = 0, FULL = 1, END = 2 };

#define MAX_PACKET 0xffffff
/* max_allowed_packet's largest value: https://dev.mysql.com/doc/refman/8.0/en/server-system-variables.html#sysvar_max_allowed_packet */
#define MAX_ROW ((size_t)1 << 30)

static PyObject *Error;

typedef struct {
    char *data;
    size_t used, capacity;
    int32_t *offsets;
    size_t offsets_capacity;  /* in rows */
    uint8_t *validity;
    Py_ssize_t nulls;
} Column;

typedef struct {
    PyObject_HEAD
    Py_ssize_t count;
    Column *columns;
    Py_ssize_t rows;
    size_t bytes;
    char *joined;  /* a payload of several packets, made contiguous */
    size_t joined_capacity;
    int busy;  /* a feed runs without the GIL: another thread must not feed or take meanwhile */
} Rows;

static int reserve_data(Column *column, size_t more) {
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

static int reserve_row(Column *column, Py_ssize_t rows) {
    if ((size_t)rows + 2 <= column->offsets_capacity) return 0;
    size_t capacity = column->offsets_capacity ? column->offsets_capacity * 2 : 1024;
    int32_t *offsets = realloc(column->offsets, capacity * sizeof(int32_t));
    if (offsets == NULL) return -1;
    column->offsets = offsets;
    uint8_t *validity = realloc(column->validity, capacity / 8 + 1);
    if (validity == NULL) return -1;
    memset(validity + column->offsets_capacity / 8, 0xff, capacity / 8 + 1 - column->offsets_capacity / 8);
    if (column->offsets_capacity == 0) offsets[0] = 0;
    column->validity = validity;
    column->offsets_capacity = capacity;
    return 0;
}

static void reset_columns(Rows *self) {
    for (Py_ssize_t c = 0; c < self->count; c++) {
        Column *column = &self->columns[c];
        free(column->data);
        free(column->offsets);
        free(column->validity);
        memset(column, 0, sizeof *column);
    }
    self->rows = 0;
    self->bytes = 0;
}

static uint32_t le24(const unsigned char *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16); }

/* A length-encoded integer at p (before end): its value, and p moved past it; NULL if it does not fit. */
static const unsigned char *length_encoded(const unsigned char *p, const unsigned char *end, uint64_t *value, int *is_null) {
    *is_null = 0;
    if (p >= end) return NULL;
    unsigned char first = *p++;
    int size = first < 0xfb ? 0 : first == 0xfc ? 2 : first == 0xfd ? 3 : first == 0xfe ? 8 : -1;
    if (first == 0xfb) { *is_null = 1; *value = 0; return p; }
    if (size < 0) return NULL;  /* 0xff never starts a value */
    if (size == 0) { *value = first; return p; }
    if (end - p < size) return NULL;
    uint64_t v = 0;
    for (int i = size - 1; i >= 0; i--) v = (v << 8) | p[i];
    *value = v;
    return p + size;
}

static PyObject *raise_error_packet(const unsigned char *payload, size_t length) {
    unsigned int number = length >= 3 ? (unsigned int)(payload[1] | (payload[2] << 8)) : 0;
    const unsigned char *message = payload + 3, *end = payload + length;
    char sqlstate[6] = "HY000";
    if (end - message >= 6 && message[0] == '#') {
        memcpy(sqlstate, message + 1, 5);
        message += 6;
    }
    if (message > end) message = end;
    PyObject *text = PyUnicode_DecodeUTF8((const char *)message, end - message, "replace");
    if (text == NULL) return NULL;
    PyObject *value = Py_BuildValue("(INs)", number, text, sqlstate);
    if (value != NULL) {
        PyErr_SetObject(Error, value);
        Py_DECREF(value);
    }
    return NULL;
}

/* One row's payload into the batch: NULL, or what is wrong with it. */
static const char *append_row(Rows *self, const unsigned char *p, const unsigned char *end) {
    Py_ssize_t row = self->rows;
    for (Py_ssize_t c = 0; c < self->count; c++) {
        Column *column = &self->columns[c];
        if (reserve_row(column, row) < 0) return "out of memory";
        uint64_t length;
        int is_null;
        p = length_encoded(p, end, &length, &is_null);
        if (p == NULL) return "a row ended inside a value's length";
        if (is_null) {
            column->validity[row >> 3] &= (uint8_t)~(1u << (row & 7));
            column->nulls++;
        } else {
            if (length > (uint64_t)(end - p)) return "a value longer than its row";
            if (column->used + length > INT32_MAX) return "a column's values in one batch passed 2 GB";
            if (reserve_data(column, (size_t)length) < 0) return "out of memory";
            memcpy(column->data + column->used, p, (size_t)length);
            column->used += (size_t)length;
            self->bytes += (size_t)length;
            p += length;
        }
        column->offsets[row + 1] = (int32_t)column->used;
    }
    if (p != end) return "a row with more values than the result has columns";
    self->rows++;
    self->bytes += 4 * (size_t)self->count;
    return NULL;
}

static PyObject *Rows_feed(Rows *self, PyObject *args) {
    Py_buffer buffer;
    Py_ssize_t start, end, max_rows, max_bytes;
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "another thread is feeding this reader");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "y*nnnn", &buffer, &start, &end, &max_rows, &max_bytes)) return NULL;
    if (start < 0 || end > buffer.len || start > end || max_rows < 1 || max_bytes < 1 || max_bytes > (1 << 30)) {
        PyBuffer_Release(&buffer);
        PyErr_SetString(PyExc_ValueError, "feed: an argument out of range");
        return NULL;
    }
    const unsigned char *base = (const unsigned char *)buffer.buf;
    Py_ssize_t position = start, needed = 0;
    int status = MORE;
    const char *broken = NULL;
    const unsigned char *error_packet = NULL;
    size_t error_length = 0;

    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    while (self->rows < max_rows && self->bytes < (size_t)max_bytes) {
        /* The logical payload at `position`: one packet, or packets of MAX_PACKET bytes and a shorter last one. */
        Py_ssize_t scan = position;
        size_t payload_length = 0;
        int packets = 0, whole = 0;
        while (end - scan >= 4) {
            uint32_t length = le24(base + scan);
            packets++;
            if (payload_length + length > MAX_ROW) { broken = "a row longer than 1 GiB, more than MySQL sends (max_allowed_packet)"; break; }
            if (end - scan - 4 < (Py_ssize_t)length) { needed = scan + 4 + (Py_ssize_t)length - position; break; }
            payload_length += length;
            scan += 4 + (Py_ssize_t)length;
            if (length < MAX_PACKET) { whole = 1; break; }
        }
        if (broken != NULL) break;
        if (!whole) {
            if (needed == 0 && end - scan < 4 && packets > 0) needed = scan + 4 - position;
            break;
        }
        const unsigned char *payload = base + position + 4;
        if (packets > 1) {
            if (self->joined_capacity < payload_length) {
                char *joined = realloc(self->joined, payload_length);
                if (joined == NULL) { broken = "out of memory"; break; }
                self->joined = joined;
                self->joined_capacity = payload_length;
            }
            size_t copied = 0;
            for (Py_ssize_t at = position; at < scan;) {
                uint32_t length = le24(base + at);
                memcpy(self->joined + copied, base + at + 4, length);
                copied += length;
                at += 4 + (Py_ssize_t)length;
            }
            payload = (const unsigned char *)self->joined;
        }
        if (payload_length > 0 && payload[0] == 0xff) {
            error_packet = payload;
            error_length = payload_length;
            position = scan;
            break;
        }
        /* EOF (under 9 bytes), or OK in its place when EOF is deprecated: 0xfe and a single packet. */
        if (payload_length > 0 && payload[0] == 0xfe && packets == 1 && payload_length < MAX_PACKET) {
            status = END;
            position = scan;
            break;
        }
        broken = append_row(self, payload, payload + payload_length);
        if (broken != NULL) break;
        position = scan;
    }
    if (status == MORE && broken == NULL && error_packet == NULL &&
        (self->rows >= max_rows || self->bytes >= (size_t)max_bytes))
        status = FULL;
    Py_END_ALLOW_THREADS
    self->busy = 0;

    PyObject *result = NULL;
    if (error_packet != NULL) raise_error_packet(error_packet, error_length);
    else if (broken != NULL && strcmp(broken, "out of memory") == 0) PyErr_NoMemory();
    else if (broken != NULL) PyErr_SetString(PyExc_ValueError, broken);
    else result = Py_BuildValue("(inn)", status, position, needed);
    PyBuffer_Release(&buffer);
    return result;
}

static PyObject *Rows_take(Rows *self, PyObject *unused) {
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "another thread is feeding this reader");
        return NULL;
    }
    Py_ssize_t rows = self->rows;
    PyObject *list = PyList_New(self->count);
    for (Py_ssize_t c = 0; list != NULL && c < self->count; c++) {
        Column *column = &self->columns[c];
        if (rows == 0 && reserve_row(column, 0) < 0) {
            Py_CLEAR(list);
            PyErr_NoMemory();
            break;
        }
        PyObject *validity = column->nulls
            ? PyBytes_FromStringAndSize((const char *)column->validity, (rows + 7) / 8)
            : (Py_INCREF(Py_None), Py_None);
        PyObject *offsets = PyBytes_FromStringAndSize((const char *)column->offsets, (rows + 1) * (Py_ssize_t)sizeof(int32_t));
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
    if (list == NULL) return NULL;
    reset_columns(self);
    return Py_BuildValue("(nN)", rows, list);
}

static int Rows_init(Rows *self, PyObject *args, PyObject *kwargs) {
    Py_ssize_t count;
    if (!PyArg_ParseTuple(args, "n", &count)) return -1;
    if (count < 1 || count > 4096) {
        PyErr_SetString(PyExc_ValueError, "a result has 1 to 4096 columns");
        return -1;
    }
    self->columns = calloc((size_t)count, sizeof(Column));
    if (self->columns == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->count = count;
    return 0;
}

static void Rows_dealloc(Rows *self) {
    if (self->columns != NULL) {
        reset_columns(self);
        free(self->columns);
    }
    free(self->joined);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Rows_methods[] = {
    {"feed", (PyCFunction)Rows_feed, METH_VARARGS, "Parse the packets in buffer[start:end] (see the module's source)."},
    {"take", (PyCFunction)Rows_take, METH_NOARGS, "The batch's rows as Arrow binary buffers per column."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject RowsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "floe_extract.sources._mysql_rows.Rows",
    .tp_basicsize = sizeof(Rows),
    .tp_dealloc = (destructor)Rows_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_methods = Rows_methods,
    .tp_init = (initproc)Rows_init,
    .tp_new = PyType_GenericNew,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_mysql_rows", NULL, -1, NULL};

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
    Py_INCREF(&RowsType);
    if (PyModule_AddObject(created, "Rows", (PyObject *)&RowsType) < 0) {
        Py_DECREF(&RowsType);
        Py_DECREF(created);
        return NULL;
    }
    return created;
}
