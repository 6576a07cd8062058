/* recio._jpegwindow: one JPEG decoded, resized, cropped, mirrored and normalised into
 * one CHW batch row, in a single pass, with the GIL released.
 *
 * The common image pipeline (shorter side resized to `resize`, a crop of data_shape,
 * optional mirror, per-channel mean/std) otherwise runs as four passes over whole
 * images: decode, resize, split into planes, normalise. Here libjpeg-turbo decodes only
 * the source rows and columns the crop window samples (jpeg_skip_scanlines skips the
 * rows above it, jpeg_crop_scanline the columns left and right of it, decoding stops
 * after its last row), and each decoded row is resampled while it is still in cache.
 *
 * The pixels are those of the Python path it replaces, bit for bit:
 *   - decoding with libjpeg-turbo's accurate integer IDCT and fast ("non-fancy")
 *     upsampling, as simplejpeg's fastupsample decode (recio._image.fastjpeg) does;
 *     with non-fancy upsampling an output pixel depends on its own iMCU only, so
 *     decoding a window gives the window's pixels of a full decode;
 *   - bilinear resampling with OpenCV's INTER_LINEAR arithmetic for 8-bit images:
 *     source coordinate (d + 0.5) * scale - 0.5 computed in double then float, 11-bit
 *     fixed-point weights rounded to nearest even, a horizontal pass into int, and a
 *     vertical pass ((b0 * (h0 >> 4)) >> 16) + ((b1 * (h1 >> 4)) >> 16) + 2) >> 2;
 *   - the normalisation through the caller's 256-entry float table per channel
 *     (recio._image.normalize computes it), or the pixel itself for uint8 rows.
 * tests/test_jpeg_window.py checks all three against simplejpeg, cv2.resize and the
 * Python normaliser.
 *
 * Anything unusual is declined, not handled: CMYK/YCCK, a size other than the one the
 * caller drew its geometry for, a file not ending with its end-of-image marker
 * (truncated), any libjpeg warning or error met while decoding. The function then
 * returns False and the caller takes the general path, which decides what a bad image
 * is. (Data corrupt only below the window decodes here as libjpeg would decode it.)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#define COEF_SCALE 2048 /* OpenCV's INTER_RESIZE_COEF_SCALE */

struct quiet_error {
    struct jpeg_error_mgr pub;
    jmp_buf escape;
    int warned;
};

static void on_error(j_common_ptr cinfo)
{
    longjmp(((struct quiet_error *)cinfo->err)->escape, 1);
}

static void on_message(j_common_ptr cinfo, int level)
{
    if (level < 0)
        ((struct quiet_error *)cinfo->err)->warned = 1;
}

static void on_output(j_common_ptr cinfo) { (void)cinfo; }

/* One axis of OpenCV's bilinear map: for destination index d (of `dst` in all),
 * the first source index and the two weights. */
struct tap {
    int src;
    short w0, w1;
};

static short round_weight(float v)
{
    return (short)lrintf(v * (float)COEF_SCALE);
}

/* Columns clamp their weights at the edges (OpenCV's xmin/xmax), rows only their
 * indices (the weights stay, the row is read twice). */
static void make_taps(struct tap *taps, int first, int count, int src_size, int dst_size,
                      int clamp_weights)
{
    double scale = 1.0 / ((double)dst_size / src_size);
    for (int i = 0; i < count; i++) {
        int d = first + i;
        float f = (float)((d + 0.5) * scale - 0.5);
        int s = (int)floorf(f);
        f -= (float)s;
        if (clamp_weights && s < 0)
            f = 0.f, s = 0;
        if (clamp_weights && s >= src_size - 1)
            f = 0.f, s = src_size - 1;
        taps[i].src = s;
        taps[i].w0 = round_weight(1.f - f);
        taps[i].w1 = round_weight(f);
    }
}

static int clamp(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* The horizontal pass: one decoded row into `lanes` int16 per output pixel, each
 * (p0 * w0 + p1 * w1) >> 4 (OpenCV keeps the int and shifts it in the vertical pass;
 * same values). Columns come in output order, already mirrored if asked:
 * `off[j]` is the byte offset of the left source pixel, `wv` 8 int16 per column
 * ([w0, w1] repeated per channel, zero past them) for the SIMD path. */
struct hmap {
    int *off;
    int16_t *wv;
    int width, channels, lanes;
};

static void hpass_scalar(int16_t *dst, const JSAMPLE *row, const struct hmap *m)
{
    int cn = m->channels;
    for (int j = 0; j < m->width; j++) {
        const JSAMPLE *p = row + m->off[j];
        int w0 = m->wv[8 * j], w1 = m->wv[8 * j + 1];
        for (int k = 0; k < cn; k++)
            dst[m->lanes * j + k] = (int16_t)((p[k] * w0 + p[k + cn] * w1) >> 4);
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1

/* Three channels, two pixels per step: each pixel's six bytes (left and right source
 * pixel) shuffled into [l0 r0 l1 r1 l2 r2 0 0] and multiplied-and-added by pmaddwd. */
__attribute__((target("ssse3"))) static void hpass3_ssse3(int16_t *dst, const JSAMPLE *row,
                                                            const struct hmap *m)
{
    const __m128i order = _mm_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1);
    int j = 0;
    for (; j + 2 <= m->width; j += 2) {
        __m128i a = _mm_loadl_epi64((const __m128i *)(row + m->off[j]));
        __m128i b = _mm_loadl_epi64((const __m128i *)(row + m->off[j + 1]));
        a = _mm_madd_epi16(_mm_shuffle_epi8(a, order), _mm_load_si128((const __m128i *)(m->wv + 8 * j)));
        b = _mm_madd_epi16(_mm_shuffle_epi8(b, order),
                           _mm_load_si128((const __m128i *)(m->wv + 8 * j + 8)));
        a = _mm_srai_epi32(a, 4);
        b = _mm_srai_epi32(b, 4);
        _mm_storeu_si128((__m128i *)(dst + 4 * j), _mm_packs_epi32(a, b));
    }
    for (; j < m->width; j++) {
        const JSAMPLE *p = row + m->off[j];
        int w0 = m->wv[8 * j], w1 = m->wv[8 * j + 1];
        for (int k = 0; k < 3; k++)
            dst[4 * j + k] = (int16_t)((p[k] * w0 + p[k + 3] * w1) >> 4);
    }
}
#endif

static int use_ssse3;

static void hpass(int16_t *dst, const JSAMPLE *row, const struct hmap *m)
{
#ifdef HAVE_X86
    if (m->channels == 3 && use_ssse3) {
        hpass3_ssse3(dst, row, m);
        return;
    }
#endif
    hpass_scalar(dst, row, m);
}

/* The vertical pass, OpenCV's arithmetic: ((b0 * h0) >> 16) + ((b1 * h1) >> 16) + 2) >> 2
 * on int16 lanes (pmulhw), into uint8. `count` is a multiple of 8 (buffers are padded). */
static void vpass(uint8_t *dst, const int16_t *h0, const int16_t *h1, int b0, int b1, int count)
{
#ifdef HAVE_X86
    const __m128i vb0 = _mm_set1_epi16((short)b0), vb1 = _mm_set1_epi16((short)b1);
    const __m128i two = _mm_set1_epi16(2);
    for (int i = 0; i < count; i += 16) {
        __m128i x = _mm_add_epi16(_mm_mulhi_epi16(_mm_load_si128((const __m128i *)(h0 + i)), vb0),
                                  _mm_mulhi_epi16(_mm_load_si128((const __m128i *)(h1 + i)), vb1));
        __m128i y = _mm_add_epi16(
            _mm_mulhi_epi16(_mm_load_si128((const __m128i *)(h0 + i + 8)), vb0),
            _mm_mulhi_epi16(_mm_load_si128((const __m128i *)(h1 + i + 8)), vb1));
        x = _mm_srai_epi16(_mm_add_epi16(x, two), 2);
        y = _mm_srai_epi16(_mm_add_epi16(y, two), 2);
        _mm_store_si128((__m128i *)(dst + i), _mm_packus_epi16(x, y));
    }
#else
    for (int i = 0; i < count; i++)
        dst[i] = (uint8_t)((((b0 * h0[i]) >> 16) + ((b1 * h1[i]) >> 16) + 2) >> 2);
#endif
}

struct job {
    const unsigned char *data;
    size_t size;
    int height, width;        /* the size the caller drew its geometry for */
    int resize_w, resize_h;   /* the resized image the crop is a window of */
    int crop_x, crop_y, crop_w, crop_h;
    int mirror, channels, bgr;
    const float *table;       /* channels x 256, or NULL for uint8 output */
    void *out;                /* channels x crop_h x crop_w, float32 or uint8 */
};

/* One output row's pixels (`lanes` per pixel, interleaved) into the planes. */
static void emit_row(const struct job *jb, int y, const uint8_t *px, int lanes)
{
    int width = jb->crop_w;
    size_t plane = (size_t)jb->crop_h * width;
    for (int k = 0; k < jb->channels; k++) {
        size_t base = (size_t)k * plane + (size_t)y * width;
        const uint8_t *v = px + k;
        if (jb->table) {
            const float *lut = jb->table + 256 * k;
            float *o = (float *)jb->out + base;
            for (int j = 0; j < width; j++)
                o[j] = lut[v[lanes * j]];
        } else {
            uint8_t *o = (uint8_t *)jb->out + base;
            for (int j = 0; j < width; j++)
                o[j] = v[lanes * j];
        }
    }
}

static void *aligned(size_t bytes)
{
    void *p = NULL;
    return posix_memalign(&p, 64, bytes ? bytes : 64) ? NULL : p;
}

/* 1: done; 0: declined (the caller decodes another way); -1: out of memory. */
static int run(const struct job *jb)
{
    struct jpeg_decompress_struct cinfo;
    struct quiet_error err;
    /* volatile: assigned after setjmp and freed after a longjmp */
    struct tap *volatile tx = NULL, *volatile ty = NULL;
    int *volatile off = NULL;
    int16_t *volatile wv = NULL, *volatile hbuf = NULL;
    uint8_t *volatile vrow = NULL, *volatile needed = NULL;
    JSAMPLE *volatile lines = NULL;
    volatile int result = 0;

    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = on_error;
    err.pub.emit_message = on_message;
    err.pub.output_message = on_output;
    err.warned = 0;
    /* Decoding stops after the window's last row, so a JPEG cut short would go unnoticed
     * whenever the window lies above the cut: one that does not end with its end-of-image
     * marker is declined, as libjpeg would warn about it (the general path then meets
     * the warning and decides). */
    if (jb->size < 4 || jb->data[jb->size - 2] != 0xFF || jb->data[jb->size - 1] != 0xD9)
        return 0;
    jpeg_create_decompress(&cinfo);
    if (setjmp(err.escape)) {
        result = 0;
        goto done;
    }
    jpeg_mem_src(&cinfo, jb->data, (unsigned long)jb->size);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK ||
        (int)cinfo.image_width != jb->width || (int)cinfo.image_height != jb->height)
        goto done;
    if (jb->channels == 1)
        cinfo.out_color_space = JCS_GRAYSCALE;
    else
        cinfo.out_color_space = jb->bgr ? JCS_EXT_BGR : JCS_RGB;
    cinfo.do_fancy_upsampling = FALSE;
    cinfo.dct_method = JDCT_ISLOW;
    jpeg_start_decompress(&cinfo);
    if ((int)cinfo.output_components != jb->channels || err.warned)
        goto done;

    int rows = jb->height, cols = jb->width, cn = jb->channels, cw = jb->crop_w;
    int lanes = cn == 3 ? 4 : 1;
    size_t count = ((size_t)lanes * cw + 15) / 16 * 16; /* int16 per resampled row */
    tx = malloc(sizeof(*tx) * (size_t)cw);
    ty = malloc(sizeof(*ty) * (size_t)jb->crop_h);
    off = malloc(sizeof(int) * (size_t)cw);
    wv = aligned(sizeof(int16_t) * 8 * (size_t)cw);
    hbuf = aligned(sizeof(int16_t) * 2 * count);
    vrow = aligned(count);
    if (!tx || !ty || !off || !wv || !hbuf || !vrow) {
        result = -1;
        goto done;
    }
    make_taps(tx, jb->crop_x, cw, cols, jb->resize_w, 1);
    make_taps(ty, jb->crop_y, jb->crop_h, rows, jb->resize_h, 0);
    memset(hbuf, 0, sizeof(int16_t) * 2 * count);

    /* the source columns and rows the window samples */
    int col_lo = tx[0].src, col_hi = tx[0].src;
    for (int j = 0; j < cw; j++) {
        int s = tx[j].src, e = s + 1 < cols ? s + 1 : s;
        col_lo = s < col_lo ? s : col_lo;
        col_hi = e > col_hi ? e : col_hi;
    }
    int row_lo = clamp(ty[0].src, 0, rows - 1);
    int row_hi = clamp(ty[jb->crop_h - 1].src + 1, 0, rows - 1);
    needed = calloc((size_t)(row_hi - row_lo + 1), 1);
    if (!needed) {
        result = -1;
        goto done;
    }
    for (int i = 0; i < jb->crop_h; i++) {
        needed[clamp(ty[i].src, 0, rows - 1) - row_lo] = 1;
        needed[clamp(ty[i].src + 1, 0, rows - 1) - row_lo] = 1;
    }

    JDIMENSION x_offset = (JDIMENSION)col_lo;
    JDIMENSION x_width = (JDIMENSION)(col_hi - col_lo + 1);
    if (x_offset > 0 || (int)x_width < cols)
        jpeg_crop_scanline(&cinfo, &x_offset, &x_width);

    /* output column j reads source column tx[j] (tx[cw - 1 - j] mirrored) */
    for (int j = 0; j < cw; j++) {
        const struct tap *t = &tx[jb->mirror ? cw - 1 - j : j];
        off[j] = (t->src - (int)x_offset) * cn;
        for (int k = 0; k < 8; k++)
            wv[8 * j + k] = k < 2 * cn ? (k % 2 ? t->w1 : t->w0) : 0;
    }
    struct hmap map = {off, wv, cw, cn, lanes};

    /* rows come a batch at a time (as libjpeg's own callers read them), each line with
     * 16 spare bytes: the SIMD pass loads 8 bytes from the last pixel, whose right
     * neighbour has weight 0; two resampled rows, by row parity, are all the vertical
     * pass needs */
    int batch = 16;
    size_t stride = (size_t)cinfo.output_width * cn + 16;
    lines = calloc(stride * (size_t)batch, 1);
    if (!lines) {
        result = -1;
        goto done;
    }
    JSAMPROW pointers[16];
    for (int i = 0; i < batch; i++)
        pointers[i] = lines + (size_t)i * stride;

    if (row_lo > 0 && (int)jpeg_skip_scanlines(&cinfo, (JDIMENSION)row_lo) != row_lo)
        goto done;
    int y = 0, row = row_lo;
    while (row <= row_hi) {
        int want = row_hi - row + 1 < batch ? row_hi - row + 1 : batch;
        int got = (int)jpeg_read_scanlines(&cinfo, pointers, (JDIMENSION)want);
        if (got <= 0 || err.warned)
            goto done;
        for (int i = 0; i < got; i++, row++) {
            if (!needed[row - row_lo])
                continue;
            hpass(hbuf + (size_t)(row & 1) * count, pointers[i], &map);
            while (y < jb->crop_h && clamp(ty[y].src + 1, 0, rows - 1) <= row) {
                int r0 = clamp(ty[y].src, 0, rows - 1), r1 = clamp(ty[y].src + 1, 0, rows - 1);
                vpass(vrow, hbuf + (size_t)(r0 & 1) * count, hbuf + (size_t)(r1 & 1) * count,
                      ty[y].w0, ty[y].w1, (int)count);
                emit_row(jb, y, vrow, lanes);
                y++;
            }
        }
    }
    result = y == jb->crop_h && !err.warned;

done:
    jpeg_destroy_decompress(&cinfo);
    free(tx);
    free(ty);
    free(off);
    free(wv);
    free(hbuf);
    free(vrow);
    free(needed);
    free(lines);
    return result;
}

PyDoc_STRVAR(decode_window_doc,
"decode_window(data, out, table, height, width, resize_w, resize_h, crop_x, crop_y,\n"
"              mirror, bgr) -> bool\n\n"
"Decode the JPEG `data` (height x width, as drawn), resize it to resize_w x resize_h\n"
"(bilinear), and write the crop window at (crop_x, crop_y) the size of `out`'s planes\n"
"into `out`: a C-contiguous (channels, h, w) float32 row through `table` (channels x\n"
"256 float32), or uint8 when `table` is None; mirrored left-right if `mirror`; channels\n"
"in RGB order, or BGR if `bgr`. False: declined, `out` holds garbage, decode otherwise.");

static PyObject *decode_window(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer data, out, table;
    PyObject *out_obj, *table_obj, *result = NULL;
    struct job jb;
    int mirror, bgr;

    if (!PyArg_ParseTuple(args, "y*OOiiiiiipp", &data, &out_obj, &table_obj, &jb.height,
                          &jb.width, &jb.resize_w, &jb.resize_h, &jb.crop_x, &jb.crop_y,
                          &mirror, &bgr))
        return NULL;
    int have_table = table_obj != Py_None;
    if (PyObject_GetBuffer(out_obj, &out, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&data);
        return NULL;
    }
    if (have_table && PyObject_GetBuffer(table_obj, &table, PyBUF_C_CONTIGUOUS) < 0) {
        have_table = 0;
        goto fail;
    }
    const char *want = have_table ? "f" : "B";
    if (out.ndim != 3 || (out.shape[0] != 1 && out.shape[0] != 3) ||
        out.itemsize != (have_table ? 4 : 1) || strcmp(out.format ? out.format : "B", want)) {
        PyErr_Format(PyExc_ValueError,
                     "out must be a C-contiguous (1 or 3, height, width) %s array",
                     have_table ? "float32" : "uint8");
        goto fail;
    }
    jb.channels = (int)out.shape[0];
    jb.crop_h = (int)out.shape[1];
    jb.crop_w = (int)out.shape[2];
    if (have_table && (size_t)table.len != sizeof(float) * 256 * (size_t)jb.channels) {
        PyErr_Format(PyExc_ValueError, "table must be (%d, 256) float32, got %zd bytes",
                     jb.channels, table.len);
        goto fail;
    }
    if (jb.height < 1 || jb.width < 1 || jb.resize_w < 1 || jb.resize_h < 1 ||
        jb.crop_w < 1 || jb.crop_h < 1 || jb.crop_x < 0 || jb.crop_y < 0 ||
        jb.crop_x + jb.crop_w > jb.resize_w || jb.crop_y + jb.crop_h > jb.resize_h) {
        PyErr_Format(PyExc_ValueError,
                     "crop %dx%d at (%d, %d) does not fit the resized %dx%d image of %dx%d",
                     jb.crop_w, jb.crop_h, jb.crop_x, jb.crop_y, jb.resize_w, jb.resize_h,
                     jb.width, jb.height);
        goto fail;
    }
    jb.data = data.buf;
    jb.size = (size_t)data.len;
    jb.mirror = mirror;
    jb.bgr = bgr;
    jb.table = have_table ? (const float *)table.buf : NULL;
    jb.out = out.buf;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = run(&jb);
    Py_END_ALLOW_THREADS
    if (status < 0) {
        PyErr_NoMemory();
        goto fail;
    }
    result = PyBool_FromLong(status);
fail:
    PyBuffer_Release(&data);
    PyBuffer_Release(&out);
    if (have_table)
        PyBuffer_Release(&table);
    return result;
}

static PyMethodDef methods[] = {
    {"decode_window", decode_window, METH_VARARGS, decode_window_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "recio._jpegwindow",
    "One JPEG decoded, resized, cropped and normalised into a batch row (see decode_window).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__jpegwindow(void)
{
#ifdef HAVE_X86
    __builtin_cpu_init();
    use_ssse3 = __builtin_cpu_supports("ssse3");
#endif
    return PyModule_Create(&module);
}
