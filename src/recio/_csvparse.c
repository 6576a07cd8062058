/* recio._csvparse: CSVIter's native fast path for blocks of numeric CSV text.
 *
 * What it reads is a strict subset of what the pure-Python path
 * (recio/_io/_csv_parse.py, pyarrow) reads, with identical results:
 *
 *   line   := blank* value (blank* ',' blank* value)* blank* (',' blank*)? ("\n" | "\r\n" | end)
 *   value  := '-'? digits ('.' digits?)? exponent? | '-'? '.' digits exponent?
 *   exponent := ('e' | 'E') ('+' | '-')? 1 to 4 digits
 *
 * where blank is a space or a tab; lines that are exactly "\n" or "\r\n" are
 * skipped. int64 output takes only '-'? digits. Anything else -- another
 * width, "nan", "+1", more than 19 significant digits, a value whose float32
 * rounding needs more than the fast paths below -- makes the call return
 * None, and the caller parses the block with the general path, which either
 * reads it or says what is wrong. So this file never has to report errors.
 *
 * float32 values are correctly rounded (round to nearest, ties to even):
 *   - mantissa < 2^24 and |exponent| <= 10: one float32 multiply or divide of
 *     two exactly representable numbers (Clinger's fast path, in float);
 *   - otherwise mantissa < 2^53 and |exponent| <= 22: the same in double,
 *     which is correctly rounded; its rounding to float32 is then correct too
 *     unless the double lies exactly halfway between two floats, when only an
 *     exact result (a true tie, rounded to even) is kept.
 * Results stay within float32's normal range on both paths (1e-22 to 9e37).
 *
 * The parse runs without the GIL, so CSVIter's threads parse blocks in parallel.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const float POW10F[11] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                                 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
static const double POW10D[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#define IS_DIGIT(c) ((unsigned char)((c) - '0') < 10)
#define IS_BLANK(c) ((c) == ' ' || (c) == '\t')
/* Whether p may be read: always when the caller knows a newline lies ahead. */
#define AT(q) (!checked || (q) < end)

/* The newlines in [p, end): 16 bytes at a time where SSE2 exists (a memchr per
 * line costs more than a parse thread can spare; every block is counted). */
static Py_ssize_t count_newlines(const char *p, const char *end) {
    Py_ssize_t count = 0;
#ifdef __SSE2__
    const __m128i newline = _mm_set1_epi8('\n');
    while (end - p >= 16) {
        __m128i counts = _mm_setzero_si128(); /* per byte, minus the newlines seen */
        for (int i = 0; i < 255 && end - p >= 16; i++, p += 16) {
            __m128i chunk = _mm_loadu_si128((const __m128i *)p);
            counts = _mm_sub_epi8(counts, _mm_cmpeq_epi8(chunk, newline));
        }
        __m128i sums = _mm_sad_epu8(counts, _mm_setzero_si128());
        count += _mm_cvtsi128_si32(sums) + _mm_cvtsi128_si32(_mm_unpackhi_epi64(sums, sums));
    }
#endif
    for (; p < end; p++) count += *p == '\n';
    return count;
}

/* A decimal number's sign, significant digits (as an integer) and power of ten. */
typedef struct {
    uint64_t mantissa;
    int exponent;
    int negative;
} decimal_t;

/* Scan one value at *pp (before end) into d; 0 if it is not in the grammar above.
 * Integers (int_only) take no '.' and no exponent. */
static inline int scan_decimal(const char **pp, const char *end, decimal_t *d, int int_only,
                               int checked) {
    const char *p = *pp;
    uint64_t m = 0;
    int digits = 0, exponent = 0, seen = 0;
    d->negative = 0;
    if (AT(p) && *p == '-') {
        d->negative = 1;
        p++;
    }
    while (AT(p) && *p == '0') { /* leading zeros are not significant */
        p++;
        seen = 1;
    }
    for (; AT(p) && IS_DIGIT(*p); p++, seen = 1) {
        if (++digits > 19) return 0;
        m = m * 10 + (uint64_t)(*p - '0');
    }
    if (!int_only && AT(p) && *p == '.') {
        p++;
        if (m == 0) { /* zeros right after the point only move the exponent */
            for (; AT(p) && *p == '0'; p++, seen = 1) exponent--;
        }
        for (; AT(p) && IS_DIGIT(*p); p++, seen = 1) {
            if (++digits > 19) return 0;
            m = m * 10 + (uint64_t)(*p - '0');
            exponent--;
        }
    }
    if (!seen) return 0;
    if (!int_only && AT(p) && (*p == 'e' || *p == 'E')) {
        int negative = 0, e = 0, n = 0;
        p++;
        if (AT(p) && (*p == '+' || *p == '-')) negative = *p++ == '-';
        for (; AT(p) && IS_DIGIT(*p); p++) {
            if (++n > 4) return 0;
            e = e * 10 + (*p - '0');
        }
        if (n == 0) return 0;
        exponent += negative ? -e : e;
    }
    d->mantissa = m;
    d->exponent = m ? exponent : 0;
    *pp = p;
    return 1;
}

static const uint64_t POW10U[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                    100000000};

/* How many of the 8 bytes at p are digits, counted from the first, and their value.
 * SWAR: no branch on the count, which varies from value to value. */
static inline __attribute__((always_inline)) int digits8(const char *p, uint64_t *value) {
    uint64_t w, v;
    memcpy(&w, p, 8); /* little-endian: p[0] in the low byte */
    uint64_t t = w ^ 0x3030303030303030ull; /* digits become 0..9 */
    /* a byte is not a digit when t >= 16 or t + 6 >= 16; carries only leave non-digits */
    uint64_t flags = (t | (t + 0x0606060606060606ull)) & 0xF0F0F0F0F0F0F0F0ull;
    int n = flags ? __builtin_ctzll(flags) >> 3 : 8;
    if (n == 0) {
        *value = 0;
        return 0;
    }
    v = t << (8 * (8 - n)); /* the n digits in the high bytes, zeros before them */
    v = v * 10 + (v >> 8);
    v = (((v & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
         (((v >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >> 32;
    *value = v;
    return n;
}

/* Append the digits at *pp to *m (8 at a time); 0 when the caller must use scan_decimal:
 * fewer than 8 bytes left to read, or more than 19 digits in all. */
static inline __attribute__((always_inline)) int digit_run(const char **pp, const char *end,
                                                           uint64_t *m, int *count) {
    const char *p = *pp;
    int n;
    do {
        uint64_t v;
        if (end - p < 8) return 0;
        n = digits8(p, &v);
        if (*count + n > 19) return 0;
        *m = *m * POW10U[n] + v;
        *count += n;
        p += n;
    } while (n == 8);
    *pp = p;
    return 1;
}

/* scan_decimal's fast path for most values; 0 when it cannot decide (scan_decimal will).
 * Digits are counted with leading zeros here, so a value may defer that scan_decimal
 * then reads; never the other way round. */
static inline __attribute__((always_inline)) int scan_decimal_fast(const char **pp,
                                                                   const char *end, decimal_t *d) {
    const char *p = *pp;
    uint64_t m = 0;
    int count = 0, exponent = 0;
    d->negative = *p == '-';
    p += d->negative;
    if (IS_DIGIT(p[0]) && p[1] == '.') { /* one digit before the point: most data */
        m = (uint64_t)(p[0] - '0');
        count = 1;
        p++;
    } else if (!digit_run(&p, end, &m, &count)) {
        return 0;
    }
    if (*p == '.') {
        int before = count;
        p++;
        if (!digit_run(&p, end, &m, &count)) return 0;
        exponent = before - count;
    }
    if (count == 0 || *p == 'e' || *p == 'E') return 0;
    d->mantissa = m;
    d->exponent = m ? exponent : 0;
    *pp = p;
    return 1;
}

/* m / 10^k (m < 2^53, k <= 22) rounded once to float32 in *out, or 0 when it cannot say:
 * in double the quotient is correctly rounded, so its float32 rounding is correct
 * unless it lies exactly halfway between two floats. */
static int divide_exactly(uint64_t m, int k, float *out) {
    if (m < (1u << 24) && k <= 10) { /* Clinger's fast path in float: one rounding */
        *out = (float)(int32_t)m / POW10F[k];
        return 1;
    }
    double x = (double)(int64_t)m / POW10D[k];
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    /* halfway between two floats: a tie (rounded to even below) only if exact */
    if ((bits & 0x1FFFFFFFu) == 0x10000000u && fma(x, POW10D[k], -(double)(int64_t)m) != 0.0)
        return 0;
    *out = (float)x;
    return 1;
}

/* d as the nearest float32 in *out (ties to even); 0 when the fast paths cannot say. */
static inline int to_float32(const decimal_t *d, float *out) {
    uint64_t m = d->mantissa;
    int e = d->exponent;
    float f;
    uint32_t bits;
    if (e < 0) {
        if (m >= ((uint64_t)1 << 53) || e < -22 || !divide_exactly(m, -e, &f)) return 0;
    } else if (m < (1u << 24) && e <= 10) {
        f = (float)(int32_t)m * POW10F[e]; /* exact operands: one rounding */
    } else if (m < ((uint64_t)1 << 53) && e <= 22) {
        double x = (double)(int64_t)m * POW10D[e]; /* correctly rounded double */
        uint64_t xbits;
        memcpy(&xbits, &x, sizeof xbits);
        /* halfway between two floats: a tie (rounded to even) only if the product is exact */
        if ((xbits & 0x1FFFFFFFu) == 0x10000000u && x >= 9007199254740992.0) return 0;
        f = (float)x;
    } else {
        return 0;
    }
    memcpy(&bits, &f, sizeof bits); /* the sign without a branch: it is random in data */
    bits |= (uint32_t)d->negative << 31;
    memcpy(out, &bits, sizeof bits);
    return 1;
}

static int to_int64(const decimal_t *d, int64_t *out) {
    if (d->negative) {
        if (d->mantissa > (uint64_t)INT64_MAX + 1) return 0;
        *out = (int64_t)(0 - d->mantissa);
    } else {
        if (d->mantissa > (uint64_t)INT64_MAX) return 0;
        *out = (int64_t)d->mantissa;
    }
    return 1;
}

/* Parse [p, end) into rows of `width` values at out (room for `capacity` rows); -1 when
 * the text is not in the grammar. `checked`: whether reads must stay before `end`. */
static inline Py_ssize_t parse_lines(const char *p, const char *end, Py_ssize_t width,
                                     int integers, void *out, Py_ssize_t capacity, int checked) {
    Py_ssize_t rows = 0;
    float *f32 = (float *)out;
    int64_t *i64 = (int64_t *)out;
    while (p < end) {
        if (*p == '\n') { /* an empty line */
            p++;
            continue;
        }
        if (*p == '\r' && AT(p + 1) && p[1] == '\n') {
            p += 2;
            continue;
        }
        if (rows == capacity) return -1;
        for (Py_ssize_t col = 0; col < width; col++) {
            decimal_t d;
            while (AT(p) && IS_BLANK(*p)) p++;
            if (integers || checked || !scan_decimal_fast(&p, end, &d)) {
                if (!scan_decimal(&p, end, &d, integers, checked)) return -1;
            }
            if (integers) {
                if (!to_int64(&d, i64++)) return -1;
            } else if (!to_float32(&d, f32++)) {
                return -1;
            }
            while (AT(p) && IS_BLANK(*p)) p++;
            if (col + 1 < width) {
                if (!AT(p) || *p != ',') return -1;
                p++;
            }
        }
        if (AT(p) && *p == ',') { /* one trailing comma */
            p++;
            while (AT(p) && IS_BLANK(*p)) p++;
        }
        if (AT(p)) {
            if (*p == '\r') p++;
            if (!AT(p) || *p != '\n') return -1;
            p++;
        }
        rows++;
    }
    return rows;
}

/* One of the two float32 parses that parse_floats2 runs side by side. */
typedef struct {
    const char *p, *end; /* where it is, and the end of its lines */
    float *out;
    Py_ssize_t col, rows, capacity;
} stream_t;

/* One value of `s` and the separator after it (at a row's start, the empty lines
 * before it too). `limit`: the end of readable memory, a newline before it. Returns
 * 1 when done with the value, 0 at the end of the stream's lines, -1 outside the grammar. */
static inline __attribute__((always_inline)) int stream_step(stream_t *s, const char *limit,
                                                             Py_ssize_t width) {
    const char *p = s->p;
    decimal_t d;
    if (s->col == 0) {
        while (p < s->end && (*p == '\n' || (*p == '\r' && p[1] == '\n'))) p += 1 + (*p == '\r');
        if (p == s->end) {
            s->p = p;
            return 0;
        }
        if (s->rows == s->capacity) return -1;
    }
    while (IS_BLANK(*p)) p++;
    if (!scan_decimal_fast(&p, limit, &d) && !scan_decimal(&p, limit, &d, 0, 0)) return -1;
    if (!to_float32(&d, s->out++)) return -1;
    while (IS_BLANK(*p)) p++;
    if (++s->col < width) {
        if (*p != ',') return -1;
        p++;
    } else {
        if (*p == ',') { /* one trailing comma */
            p++;
            while (IS_BLANK(*p)) p++;
        }
        p += *p == '\r';
        if (*p != '\n') return -1;
        p++;
        s->col = 0;
        s->rows++;
    }
    s->p = p;
    return 1;
}

/* parse_lines for float32 text whose last byte is a newline, as two halves parsed in
 * one loop, a value of each in turn: the steps of one value depend on each other
 * (each scan starts where the last ended), the two halves' do not, so the CPU
 * overlaps them. Rows go to out as parse_lines would put them. */
static Py_ssize_t parse_floats2(const char *p, const char *end, Py_ssize_t width, float *out,
                                Py_ssize_t capacity) {
    const char *mid = memchr(p + (end - p) / 2, '\n', (size_t)(end - p - (end - p) / 2));
    mid = mid ? mid + 1 : end;
    Py_ssize_t first_lines = count_newlines(p, mid); /* the second half's rows go after these */
    if (first_lines > capacity) return -1;
    stream_t a = {p, mid, out, 0, 0, first_lines};
    stream_t b = {mid, end, out + first_lines * width, 0, 0, capacity - first_lines};
    int ra = 1, rb = 1;
    while (ra > 0 && rb > 0) {
        ra = stream_step(&a, end, width);
        rb = stream_step(&b, end, width);
    }
    while (ra > 0) ra = stream_step(&a, end, width);
    while (rb > 0) rb = stream_step(&b, end, width);
    if (ra < 0 || rb < 0 || a.col || b.col) return -1;
    if (a.rows < first_lines) /* empty lines in the first half: close the gap */
        memmove(out + a.rows * width, out + first_lines * width,
                (size_t)(b.rows * width) * sizeof(float));
    return a.rows + b.rows;
}

/* Parse [p, end) into rows of `width` values at out (room for `capacity` rows).
 * Returns the number of rows, or -1 when the block is not in the grammar.
 * Lines up to the last newline are scanned without bounds checks: that newline
 * stops every scanning loop (no digit, blank, sign, point or 'e'). */
static Py_ssize_t parse_block(const char *p, const char *end, Py_ssize_t width, int integers,
                              void *out, Py_ssize_t capacity) {
    const char *guard = end;
    while (guard > p && guard[-1] != '\n') guard--;
    Py_ssize_t head = integers ? parse_lines(p, guard, width, 1, out, capacity, 0)
                               : parse_floats2(p, guard, width, (float *)out, capacity);
    if (head < 0 || guard == end) return head;
    size_t item = integers ? sizeof(int64_t) : sizeof(float);
    Py_ssize_t tail = parse_lines(guard, end, width, integers,
                                  (char *)out + (size_t)(head * width) * item, capacity - head, 1);
    return tail < 0 ? -1 : head + tail;
}

static PyObject *py_parse(PyObject *self, PyObject *args) {
    Py_buffer text, out;
    Py_ssize_t width, rows;
    int integers;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*npw*", &text, &width, &integers, &out)) return NULL;
    Py_ssize_t item = integers ? (Py_ssize_t)sizeof(int64_t) : (Py_ssize_t)sizeof(float);
    if (width < 1 || !PyBuffer_IsContiguous(&out, 'C')) {
        PyBuffer_Release(&text);
        PyBuffer_Release(&out);
        PyErr_SetString(PyExc_ValueError, "parse: width must be >= 1 and out C-contiguous");
        return NULL;
    }
    Py_ssize_t capacity = out.len / item / width;
    Py_BEGIN_ALLOW_THREADS;
    rows = parse_block((const char *)text.buf, (const char *)text.buf + text.len, width, integers,
                       out.buf, capacity);
    Py_END_ALLOW_THREADS;
    PyBuffer_Release(&text);
    PyBuffer_Release(&out);
    if (rows < 0) Py_RETURN_NONE;
    return PyLong_FromSsize_t(rows);
}

static PyObject *py_lines(PyObject *self, PyObject *args) {
    Py_buffer text;
    Py_ssize_t lines = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*", &text)) return NULL;
    Py_BEGIN_ALLOW_THREADS;
    const char *p = (const char *)text.buf, *end = p + text.len;
    lines = count_newlines(p, end) + (p < end && end[-1] != '\n'); /* a last line may lack it */
    Py_END_ALLOW_THREADS;
    PyBuffer_Release(&text);
    return PyLong_FromSsize_t(lines);
}

static PyMethodDef methods[] = {
    {"lines", py_lines, METH_VARARGS,
     "lines(text) -> int\n\nThe number of lines in `text`, a last one without '\\n' included:\n"
     "room enough for parse()'s rows."},
    {"parse", py_parse, METH_VARARGS,
     "parse(text, width, integers, out) -> rows or None\n\n"
     "Parse the whole lines in `text` (bytes-like) into `out` (a writable C-contiguous\n"
     "buffer of float32, or int64 when `integers`), `width` values per row. None when\n"
     "the text is outside the fast grammar or `out` is too small (see the source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "recio._csvparse",
    "CSVIter's native fast path for numeric CSV blocks (see _csvparse.c).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__csvparse(void) { return PyModule_Create(&module); }
