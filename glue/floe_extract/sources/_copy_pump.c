/*
 * PostgreSQL's COPY rows into Arrow buffers, in C: libpq hands COPY data over one row per
 * PQgetCopyData call, and a Python loop over 2 million rows costs about a second (BENCHMARKS.md).
 * This loop takes the rows of a binary COPY, appends each column's values to Arrow's layout, and
 * holds no GIL while it does (read_binary, below).
 *
 * It calls the libpq that psycopg already loaded (its path and psycopg's PGconn pointer are passed
 * in), so it needs no libpq headers or library to build: only the two prototypes below, which are
 * libpq's stable API (https://www.postgresql.org/docs/current/libpq-copy.html).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int (*get_copy_data_fn)(void *conn, char **buffer, int async);
typedef void (*freemem_fn)(void *ptr);

enum { DONE = 0, ERROR = 1, MORE = 2 };

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

/*
 * read_binary(libpq_path, pgconn_ptr, kinds, scales, expect_header, max_rows, max_bytes)
 *   -> (status, rows, columns, trailer)
 *   Rows of a `COPY ... TO STDOUT (FORMAT binary)` into Arrow buffers, one entry per column, without
 *   the GIL: PostgreSQL's binary format spares the server its text output (a timestamptz's or uuid's
 *   text, CSV's quoting of long texts) and the client its parse. Format:
 *   https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4 (header, then per row an
 *   int16 field count and per field an int32 length, -1 for NULL, then the value's bytes, big-endian).
 *   libpq returns one whole row per PQgetCopyData call, never part of one
 *   (https://www.postgresql.org/docs/current/libpq-copy.html); the server sends the header in the
 *   same message as the first row.
 *   `kinds` has one byte per column, how its values arrive and land:
 *     'v' bytes as sent (text, varchar, json, bytea, and every column the SELECT turned into text)
 *     'j' jsonb: a version byte (1), then the document's text
 *     'u' uuid: 16 bytes, landed as its 36-character text
 *     '2' '4' '8' big-endian integers into int16/int32/int64; 'o' an oid (uint32) into int64
 *     'f' 'd' float4/float8; 'b' bool into Arrow's bitmap; 't' time (int64 microseconds of the day;
 *         24:00:00, which Arrow's time64 does not hold, lands as NULL, listed like a date out of range)
 *     'D' date: int32 days since 2000-01-01 into date32 (days since 1970)
 *     'T' timestamp(tz): int64 microseconds since 2000-01-01 into microseconds since 1970
 *     'N' numeric(p,s), p <= 38: base-10000 digits into decimal128 at the column's scale, which
 *         `scales` (one byte per column) gives; NaN lands as NULL, listed like a date out of range
 *   A date or timestamp outside 0001-01-01 .. 9999-12-31 (infinity included) lands as NULL, and its
 *   row and value as sent are listed in the column's entry, for the caller's policy.
 *   status: DONE (0) the COPY ended after these rows, ERROR (1) libpq failed, MORE (2) max_rows rows
 *   or max_bytes of values were read; a row that breaks the format raises ValueError. With DONE,
 *   `trailer` says whether the format's trailer came: the trailer and the COPY's end come in the
 *   same call (the batch is never full after the last row), and a COPY the server stopped with an
 *   error ends without it (the COPY's result then holds the error).
 *   A column's entry: (nulls, validity or None, offsets or None, data, [(row, value), ...]).
 */
#define DAYS_1970_TO_2000 10957
#define MICROS_1970_TO_2000 946684800000000LL
#define DAYS_2000_FIRST (-730119)         /* 0001-01-01 */
#define DAYS_2000_LAST 2921939            /* 9999-12-31 */
#define MICROS_2000_FIRST (-63082281600000000LL)   /* 0001-01-01 00:00:00 */
#define MICROS_2000_LAST 252455615999999999LL      /* 9999-12-31 23:59:59.999999 */
#define MICROS_PER_DAY 86400000000LL

typedef struct {
    char kind;
    int scale;       /* numeric's */
    int width;       /* bytes per value in data: 0 for variable-length values, -1 for bool's bits */
    char *data;
    size_t used, capacity;
    int32_t *offsets;
    uint8_t *validity;
    Py_ssize_t nulls;
    int64_t *outside;  /* (row, value) pairs */
    size_t outside_count, outside_capacity;
} BinaryColumn;

static int width_of(char kind) {
    switch (kind) {
        case '2': return 2;
        case '4': case 'D': return 4;
        case '8': case 'o': case 'd': case 't': case 'T': return 8;
        case 'N': return 16;
        case 'f': return 4;
        case 'b': return -1;
        case 'v': case 'j': case 'u': return 0;
        default: return -2;
    }
}

/* The bytes a value of `kind` must arrive in, or 0 for any length. */
static int sent_width(char kind) {
    switch (kind) {
        case '2': return 2;
        case '4': case 'D': case 'f': case 'o': return 4;
        case '8': case 'd': case 't': case 'T': return 8;
        case 'b': return 1;
        case 'u': return 16;
        default: return 0;
    }
}

static int grow(BinaryColumn *column, size_t more) {
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

/* The value at `row` is one no destination holds: it lands as NULL, listed with its row for the caller. */
static int set_outside(BinaryColumn *column, Py_ssize_t row, int64_t value) {
    if (column->outside_count == column->outside_capacity) {
        size_t capacity = column->outside_capacity ? column->outside_capacity * 2 : 16;
        int64_t *outside = realloc(column->outside, capacity * 2 * sizeof(int64_t));
        if (outside == NULL) return -1;
        column->outside = outside;
        column->outside_capacity = capacity;
    }
    column->outside[2 * column->outside_count] = row;
    column->outside[2 * column->outside_count + 1] = value;
    column->outside_count++;
    column->validity[row >> 3] &= (uint8_t)~(1u << (row & 7));
    column->nulls++;
    return 0;
}

static void free_binary_columns(BinaryColumn *columns, Py_ssize_t count) {
    for (Py_ssize_t c = 0; c < count; c++) {
        free(columns[c].data);
        free(columns[c].offsets);
        free(columns[c].validity);
        free(columns[c].outside);
    }
    free(columns);
}

static uint16_t get16(const unsigned char *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t get32(const unsigned char *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }
static uint64_t get64(const unsigned char *p) { return ((uint64_t)get32(p) << 32) | get32(p + 4); }

#define NUMERIC_POSITIVE 0x0000
#define NUMERIC_NEGATIVE 0x4000
#define NUMERIC_NAN 0xC000

/* numeric's binary form (src/backend/utils/adt/numeric.c, numeric_send): int16 ndigits, int16 weight
   (of the first digit, in powers of 10000), uint16 sign, int16 dscale, then ndigits base-10000 digits.
   Into the decimal128 of `scale`: NULL, or what is wrong with the value. */
static const char *numeric_value(BinaryColumn *column, Py_ssize_t row, const unsigned char *value, int32_t length) {
    if (length < 8) return "a numeric value shorter than its header";
    int ndigits = (int16_t)get16(value), weight = (int16_t)get16(value + 2);
    unsigned sign = get16(value + 4);
    if (ndigits < 0 || length != 8 + 2 * ndigits) return "a numeric value whose length does not match its digits";
    __int128 unscaled = 0;
    if (sign == NUMERIC_NAN) {
        if (set_outside(column, row, (int64_t)sign) < 0) return "out of memory";
    } else if (sign == NUMERIC_POSITIVE || sign == NUMERIC_NEGATIVE) {
        /* The decimal128's 38 digits hold at most 10^38 - 1; each step checks before it multiplies. */
        const __int128 limit = ((__int128)1000000000000000000LL * 1000000000000000000LL) * 100;
        int exponent = 4 * weight + column->scale;  /* of the current digit's units, in the scaled integer */
        int shift = 0;
        for (int i = 0; i < ndigits; i++, exponent -= 4) {
            int digit = get16(value + 8 + 2 * i);
            if (digit > 9999) return "a numeric digit out of range";
            if (exponent >= 0) {
                if (unscaled > (limit - digit) / 10000) return "a numeric value past 38 digits";
                unscaled = unscaled * 10000 + digit;
                shift = exponent;
            } else if (exponent > -4) {
                int dropped = 1, kept = 1;
                for (int k = 0; k < -exponent; k++) dropped *= 10;
                for (int k = 0; k < 4 + exponent; k++) kept *= 10;
                if (digit % dropped) return "a numeric value with more fraction digits than its column's scale";
                if (unscaled > (limit - digit / dropped) / kept) return "a numeric value past 38 digits";
                unscaled = unscaled * kept + digit / dropped;
                shift = 0;
            } else if (digit) {
                return "a numeric value with more fraction digits than its column's scale";
            }
        }
        for (; shift > 0; shift--) {
            if (unscaled > limit / 10) return "a numeric value past 38 digits";
            unscaled *= 10;
        }
        if (sign == NUMERIC_NEGATIVE) unscaled = -unscaled;
    } else {
        return "an infinite numeric, which a numeric(p,s) column cannot hold";
    }
    memcpy(column->data + row * 16, &unscaled, 16);
    return NULL;
}

static const char HEADER[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0'};

/* Appends one value of `column` at `row`; returns NULL, or what is wrong with it. */
static const char *append_value(BinaryColumn *column, Py_ssize_t row, const unsigned char *value, int32_t length) {
    static const char hex[] = "0123456789abcdef";
    int expected = sent_width(column->kind);
    if (expected && length != expected) return "a value of an unexpected length for its type";
    switch (column->kind) {
        case 'v':
        case 'j':
            if (column->kind == 'j') {
                if (length < 1 || value[0] != 1) return "a jsonb value in a version other than 1";
                value++;
                length--;
            }
            if (column->used + (size_t)length > INT32_MAX) return "a column's values in one batch passed 2 GB";
            if (grow(column, (size_t)length) < 0) return "out of memory";
            memcpy(column->data + column->used, value, (size_t)length);
            column->used += (size_t)length;
            column->offsets[row + 1] = (int32_t)column->used;
            return NULL;
        case 'u': {
            if (grow(column, 36) < 0) return "out of memory";
            char *out = column->data + column->used;
            for (int i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10) *out++ = '-';
                *out++ = hex[value[i] >> 4];
                *out++ = hex[value[i] & 15];
            }
            column->used += 36;
            column->offsets[row + 1] = (int32_t)column->used;
            return NULL;
        }
        case 'b':
            if (value[0]) column->data[row >> 3] |= (char)(1u << (row & 7));
            return NULL;
        case '2': {
            int16_t v = (int16_t)get16(value);
            memcpy(column->data + row * 2, &v, 2);
            return NULL;
        }
        case '4':
        case 'f': {
            uint32_t v = get32(value);
            memcpy(column->data + row * 4, &v, 4);
            return NULL;
        }
        case 'o': {
            int64_t v = (int64_t)get32(value);
            memcpy(column->data + row * 8, &v, 8);
            return NULL;
        }
        case '8':
        case 'd': {
            uint64_t v = get64(value);
            memcpy(column->data + row * 8, &v, 8);
            return NULL;
        }
        case 't': {
            /* 24:00:00 is a time PostgreSQL holds and Arrow's time64 does not: listed like a date out of range */
            int64_t micros = (int64_t)get64(value);
            if (micros < 0 || micros >= MICROS_PER_DAY) {
                if (set_outside(column, row, micros) < 0) return "out of memory";
                micros = 0;
            }
            memcpy(column->data + row * 8, &micros, 8);
            return NULL;
        }
        case 'N':
            return numeric_value(column, row, value, length);
        case 'D': {
            int32_t days = (int32_t)get32(value);
            if (days < DAYS_2000_FIRST || days > DAYS_2000_LAST) {
                if (set_outside(column, row, days) < 0) return "out of memory";
                days = 0;
            }
            int32_t v = days + DAYS_1970_TO_2000;
            memcpy(column->data + row * 4, &v, 4);
            return NULL;
        }
        case 'T': {
            int64_t micros = (int64_t)get64(value);
            if (micros < MICROS_2000_FIRST || micros > MICROS_2000_LAST) {
                if (set_outside(column, row, micros) < 0) return "out of memory";
                micros = 0;
            }
            int64_t v = micros + MICROS_1970_TO_2000;
            memcpy(column->data + row * 8, &v, 8);
            return NULL;
        }
    }
    return "a column of an unknown kind";
}

static PyObject *binary_entry(BinaryColumn *column, Py_ssize_t rows) {
    PyObject *validity = column->nulls
        ? PyBytes_FromStringAndSize((const char *)column->validity, (rows + 7) / 8)
        : (Py_INCREF(Py_None), Py_None);
    PyObject *offsets = column->width == 0
        ? PyBytes_FromStringAndSize((const char *)column->offsets, (rows + 1) * (Py_ssize_t)sizeof(int32_t))
        : (Py_INCREF(Py_None), Py_None);
    Py_ssize_t size = column->width == 0 ? (Py_ssize_t)column->used
        : column->width < 0 ? (rows + 7) / 8 : rows * column->width;
    PyObject *data = PyBytes_FromStringAndSize(column->data ? column->data : "", size);
    PyObject *outside = PyList_New((Py_ssize_t)column->outside_count);
    for (size_t i = 0; outside != NULL && i < column->outside_count; i++) {
        PyObject *pair = Py_BuildValue("(LL)", (long long)column->outside[2 * i], (long long)column->outside[2 * i + 1]);
        if (pair == NULL) Py_CLEAR(outside);
        else PyList_SET_ITEM(outside, (Py_ssize_t)i, pair);
    }
    PyObject *entry = (validity && offsets && data && outside)
        ? Py_BuildValue("(nOOOO)", column->nulls, validity, offsets, data, outside) : NULL;
    Py_XDECREF(validity);
    Py_XDECREF(offsets);
    Py_XDECREF(data);
    Py_XDECREF(outside);
    return entry;
}

static PyObject *read_binary(PyObject *self, PyObject *args) {
    const char *path, *kinds, *scales;
    Py_ssize_t count, scale_count, max_rows, max_bytes;
    unsigned long long pointer;
    int expect_header;
    if (!PyArg_ParseTuple(args, "sKy#y#pnn", &path, &pointer, &kinds, &count, &scales, &scale_count, &expect_header,
                          &max_rows, &max_bytes)) return NULL;
    if (load_libpq(path) < 0) return NULL;
    if (scale_count != count || count < 1 || count > INT16_MAX || max_rows < 1 || max_rows > INT32_MAX / 2 || max_bytes < 1 || max_bytes > (1 << 30)) {
        PyErr_SetString(PyExc_ValueError, "read_binary: an argument out of range");
        return NULL;
    }
    void *conn = (void *)(uintptr_t)pointer;
    BinaryColumn *columns = calloc((size_t)count, sizeof(BinaryColumn));
    if (columns == NULL) return PyErr_NoMemory();
    size_t validity_bytes = ((size_t)max_rows + 7) / 8;
    for (Py_ssize_t c = 0; c < count; c++) {
        BinaryColumn *column = &columns[c];
        column->kind = kinds[c];
        column->scale = (unsigned char)scales[c];
        column->width = width_of(kinds[c]);
        if (column->width == -2) {
            free_binary_columns(columns, count);
            PyErr_Format(PyExc_ValueError, "read_binary: unknown kind %c", kinds[c]);
            return NULL;
        }
        column->validity = malloc(validity_bytes);
        int failed = column->validity == NULL;
        if (column->width == 0) {
            column->offsets = malloc(((size_t)max_rows + 1) * sizeof(int32_t));
            failed |= column->offsets == NULL;
            if (!failed) column->offsets[0] = 0;
        } else {
            column->capacity = column->width < 0 ? validity_bytes : (size_t)max_rows * (size_t)column->width;
            column->data = calloc(column->capacity, 1);
            failed |= column->data == NULL;
        }
        if (failed) {
            free_binary_columns(columns, count);
            return PyErr_NoMemory();
        }
        memset(column->validity, 0xff, validity_bytes);
    }

    int status = MORE, trailer = 0;
    const char *broken = NULL;
    Py_ssize_t rows = 0, broken_column = -1;
    size_t bytes = 0;
    Py_BEGIN_ALLOW_THREADS
    while (rows < max_rows && bytes < (size_t)max_bytes) {
        char *buffer = NULL;
        int size = get_copy_data(conn, &buffer, 0);
        if (size == -1) { status = DONE; break; }
        if (size < 0) { status = ERROR; break; }
        const unsigned char *p = (const unsigned char *)buffer, *end = p + size;
        if (trailer) broken = "data after the COPY's trailer";
        if (expect_header) {
            if (size < 19 || memcmp(p, HEADER, sizeof HEADER) != 0) { broken = "the COPY did not start with the binary format's header"; }
            else {
                uint32_t extension = get32(p + 15);
                /* Bits 16-31 of the flags are critical: a reader must stop on one it does not know (bit 16: OIDs). */
                if ((get32(p + 11) & 0xffff0000u) || extension > (uint32_t)(size - 19)) broken = "the COPY's header asks for what this reader does not read (a flag it does not know)";
                else p += 19 + extension;
            }
            expect_header = 0;
        }
        while (broken == NULL && p < end) {
            /* libpq returns one row per message; more would overrun the batch's buffers, sized for max_rows. */
            if (rows >= max_rows) { broken = "a COPY message held more rows than libpq returns in one"; break; }
            if (end - p < 2) { broken = "a row ended inside its field count"; break; }
            int16_t fields = (int16_t)get16(p);
            p += 2;
            if (fields == -1) {
                if (p != end) broken = "data after the COPY's trailer";
                trailer = 1;
                break;
            }
            if (fields != count) { broken = "a row with another number of fields than the query's columns"; break; }
            for (Py_ssize_t c = 0; c < count; c++) {
                if (end - p < 4) { broken = "a row ended inside a field's length"; broken_column = c; break; }
                int32_t length = (int32_t)get32(p);
                p += 4;
                BinaryColumn *column = &columns[c];
                if (length == -1) {
                    column->validity[rows >> 3] &= (uint8_t)~(1u << (rows & 7));
                    column->nulls++;
                    if (column->width == 0) column->offsets[rows + 1] = (int32_t)column->used;
                    continue;
                }
                if (length < 0 || end - p < length) { broken = "a field longer than its row"; broken_column = c; break; }
                broken = append_value(column, rows, p, length);
                if (broken != NULL) { broken_column = c; break; }
                p += length;
                bytes += (size_t)length;
            }
            if (broken == NULL) rows++;
        }
        freemem(buffer);
        if (broken != NULL) break;
    }
    Py_END_ALLOW_THREADS

    if (broken != NULL) {
        free_binary_columns(columns, count);
        if (strcmp(broken, "out of memory") == 0) return PyErr_NoMemory();
        if (broken_column >= 0) PyErr_Format(PyExc_ValueError, "column %zd: %s", broken_column + 1, broken);
        else PyErr_SetString(PyExc_ValueError, broken);
        return NULL;
    }
    PyObject *list = PyList_New(count);
    for (Py_ssize_t c = 0; list != NULL && c < count; c++) {
        PyObject *entry = binary_entry(&columns[c], rows);
        if (entry == NULL) Py_CLEAR(list);
        else PyList_SET_ITEM(list, c, entry);
    }
    free_binary_columns(columns, count);
    if (list == NULL) return NULL;
    return Py_BuildValue("(inNO)", status, rows, list, trailer ? Py_True : Py_False);
}

static PyMethodDef methods[] = {
    {"read_binary", read_binary, METH_VARARGS, "A binary COPY's rows into Arrow buffers without the GIL (see the module's source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_copy_pump", NULL, -1, methods};

PyMODINIT_FUNC PyInit__copy_pump(void) { return PyModule_Create(&module); }
