// JPEG (libjpeg-turbo's TurboJPEG API) and PNG (libpng) decoding to 8-bit gray, and encoding.
// Sizes are checked from the header before any pixel buffer is allocated.
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "io/io.h"

#define IMG_MAX_FILE ((size_t)1 << 30) // 1 GiB: no radiograph file is larger
#define PNG_MAX_RAW ((size_t)1 << 30)  // interlaced PNGs are decoded whole: bound that buffer

typedef enum { FMT_UNKNOWN, FMT_JPEG, FMT_PNG, FMT_DICOM } img_format;

// DICOM first: its 128-byte preamble may hold anything, a PNG or JPEG signature included.
static img_format sniff(const uint8_t *b, size_t n) {
    if (img_is_dicom(b, n)) return FMT_DICOM; // dicom.cc
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return FMT_JPEG;
    if (n >= 8 && png_sig_cmp(b, 0, 8) == 0) return FMT_PNG;
    return FMT_UNKNOWN;
}

static int check_size(const char *name, int w, int h, cx_error *err) {
    if (w <= 0 || h <= 0 || w > IMG_MAX_SIDE || h > IMG_MAX_SIDE ||
        (uint64_t)w * (uint64_t)h > IMG_MAX_PIXELS)
        return cx_fail(err, "%s: image size %dx%d refused (limits: %d px per side, %u pixels)",
                       name, w, h, IMG_MAX_SIDE, IMG_MAX_PIXELS);
    return 0;
}

void img_gray_free(img_gray *im) {
    if (!im) return;
    free(im->px);
    im->px = NULL;
}

// ---- JPEG
// -------------------------------------------------------------------------------------------
static int jpeg_fail(tjhandle tj, const char *name, const char *what, cx_error *err) {
    return cx_fail(err, "%s: %s JPEG: %s", name, what, tjGetErrorStr2(tj));
}

// Smallest TurboJPEG scale factor <= 1 whose shorter side stays >= min_short (1/1 if none).
static tjscalingfactor pick_scale(int w, int h, int min_short) {
    tjscalingfactor best = {1, 1};
    if (min_short <= 0) return best;
    int n;
    tjscalingfactor *sf = tjGetScalingFactors(&n);
    for (int i = 0; sf && i < n; i++) {
        if (sf[i].num > sf[i].denom) continue;
        int sw = TJSCALED(w, sf[i]), sh = TJSCALED(h, sf[i]);
        int bw = TJSCALED(w, best), bh = TJSCALED(h, best);
        if ((sw < sh ? sw : sh) >= min_short && (long)sw * sh < (long)bw * bh) best = sf[i];
    }
    return best;
}

static int jpeg_header(tjhandle tj, const uint8_t *buf, size_t n, const char *name, int *w, int *h,
                       int *channels, cx_error *err) {
    int sub, cs;
    if (tjDecompressHeader3(tj, buf, (unsigned long)n, w, h, &sub, &cs) != 0)
        return jpeg_fail(tj, name, "corrupt", err);
    // A header without a frame (SOF) leaves the size 0x0 yet succeeds (found by fuzz_image;
    // tests/io/test_regress_image.c): no image has zero pixels.
    if (*w < 1 || *h < 1)
        return cx_fail(err, "%s: corrupt JPEG: image size %dx%d in the header", name, *w, *h);
    if (channels) *channels = cs == TJCS_GRAY ? 1 : (cs == TJCS_CMYK || cs == TJCS_YCCK) ? 4 : 3;
    return 0;
}

static int jpeg_decode(const uint8_t *buf, size_t n, const char *name, int min_short, img_gray *out,
                       cx_error *err) {
    tjhandle tj = tjInitDecompress();
    if (!tj) return cx_fail(err, "%s: cannot initialise TurboJPEG", name);
    int w, h, ch, rc = -1;
    if (jpeg_header(tj, buf, n, name, &w, &h, &ch, err) != 0 || check_size(name, w, h, err) != 0)
        goto done;
    tjscalingfactor sf = pick_scale(w, h, min_short);
    int sw = TJSCALED(w, sf), sh = TJSCALED(h, sf);
    uint8_t *px = cx_malloc((size_t)sw * (size_t)sh);
    // Warnings (e.g. a truncated file) also make tjDecompress2 fail: a damaged image is an error.
    if (tjDecompress2(tj, buf, (unsigned long)n, px, sw, sw, sh, TJPF_GRAY, 0) != 0) {
        free(px);
        jpeg_fail(tj, name,
                  tjGetErrorCode(tj) == TJERR_WARNING ? "truncated or damaged" : "cannot decode",
                  err);
        goto done;
    }
    *out = (img_gray){.px = px, .w = sw, .h = sh, .orig_w = w, .orig_h = h};
    rc = 0;
done:
    tjDestroy(tj);
    return rc;
}

// ---- PNG (decode) -------------------------------------------------------------------------------
typedef struct {
    const uint8_t *buf;
    size_t n, pos;
    const char *name;
    char msg[256];
} png_src;

static void png_on_error(png_structp png, png_const_charp msg) {
    png_src *s = png_get_error_ptr(png);
    snprintf(s->msg, sizeof s->msg, "%s", msg);
    png_longjmp(png, 1);
}
static void png_on_warning(png_structp png, png_const_charp msg) {
    (void)png, (void)msg;
}

static void png_read_mem(png_structp png, png_bytep dst, png_size_t n) {
    png_src *s = png_get_io_ptr(png);
    if (n > s->n - s->pos) png_error(png, "file truncated");
    memcpy(dst, s->buf + s->pos, n);
    s->pos += n;
}

enum { PNG_GRAY_OUT, PNG_MASK_OUT, PNG_INFO_ONLY };

static inline uint8_t luma601(unsigned r, unsigned g, unsigned b) {
    return (uint8_t)((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16);
}
static inline unsigned s16to8(const uint8_t *p) {
    return ((p[0] << 8 | p[1]) + 128u) / 257u;
}

// One decoded row (nch channels of `depth` bits, big-endian for 16) to gray or mask.
static void png_row_out(const uint8_t *row, int w, int nch, int depth, int mode, uint8_t *dst) {
    int bpc = depth == 16 ? 2 : 1, colour = nch >= 3 ? 3 : 1, has_alpha = nch == 2 || nch == 4;
    for (int x = 0; x < w; x++) {
        const uint8_t *p = row + (size_t)x * nch * bpc;
        unsigned c[4];
        for (int k = 0; k < nch; k++)
            c[k] = bpc == 2 ? s16to8(p + 2 * k) : p[k];
        if (mode == PNG_MASK_OUT) {
            int in = c[0] || (colour == 3 && (c[1] || c[2]));
            if (has_alpha && c[nch - 1] == 0) in = 0;
            dst[x] = in ? 255 : 0;
        } else {
            dst[x] = colour == 3 ? luma601(c[0], c[1], c[2]) : (uint8_t)c[0];
        }
    }
}

// Decodes a PNG (or only reads its header with PNG_INFO_ONLY). Everything allocated between
// setjmp and longjmp is tracked in volatile locals so an error frees it.
static int png_decode(const uint8_t *buf, size_t n, const char *name, int mode, img_gray *out,
                      int *info_ch, cx_error *err) {
    png_src src = {.buf = buf, .n = n, .name = name};
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_on_error, png_on_warning);
    if (!png) return cx_fail(err, "%s: cannot initialise libpng", name);
    png_infop info = png_create_info_struct(png);
    uint8_t *volatile px = NULL, *volatile raw = NULL;
    png_bytep *volatile rows = NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        free(px);
        free(raw);
        free(rows);
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        return cx_fail(err, "%s: corrupt or truncated PNG: %s", name,
                       src.msg[0] ? src.msg : "libpng error");
    }
    png_set_read_fn(png, &src, png_read_mem);
    png_set_user_limits(png, 1000000, 1000000); // our own, tighter check follows
    png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
    png_read_info(png, info);
    int w = (int)png_get_image_width(png, info), h = (int)png_get_image_height(png, info);
    int ctype = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    if (mode == PNG_INFO_ONLY) {
        *info_ch = ctype == PNG_COLOR_TYPE_GRAY         ? 1
                   : ctype == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                   : ctype == PNG_COLOR_TYPE_RGB_ALPHA  ? 4
                                                        : 3;
        out->orig_w = out->w = w;
        out->orig_h = out->h = h;
        png_destroy_read_struct(&png, &info, NULL);
        return 0;
    }
    if (check_size(name, w, h, err) != 0) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    // Normalise to 8/16-bit gray, gray+alpha, RGB or RGBA; tRNS is not expanded (alpha ignored).
    if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int nch = png_get_channels(png, info);
    depth = png_get_bit_depth(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    px = cx_malloc((size_t)w * (size_t)h);
    if (passes == 1) {
        raw = cx_malloc(rowbytes);
        for (int y = 0; y < h; y++) {
            png_read_row(png, raw, NULL);
            png_row_out(raw, w, nch, depth, mode, px + (size_t)y * w);
        }
    } else {
        size_t total;
        if (cx_mul_size(rowbytes, (size_t)h, &total) || total > PNG_MAX_RAW) {
            snprintf(src.msg, sizeof src.msg, "interlaced image too large to decode");
            png_longjmp(png, 1);
        }
        raw = cx_malloc(total);
        rows = cx_malloc(sizeof(png_bytep) * (size_t)h);
        for (int y = 0; y < h; y++)
            rows[y] = raw + (size_t)y * rowbytes;
        png_read_image(png, rows);
        for (int y = 0; y < h; y++)
            png_row_out(rows[y], w, nch, depth, mode, px + (size_t)y * w);
    }
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(raw);
    free(rows);
    *out = (img_gray){.px = px, .w = w, .h = h, .orig_w = w, .orig_h = h};
    return 0;
}

// ---- entry points
// --------------------------------------------------------------------------------
static int read_whole(const char *path, uint8_t **buf, size_t *n, cx_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return cx_fail(err, "%s: cannot open: %s", path, strerror(errno));
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return cx_fail(err, "%s: cannot read (not a regular file?)", path);
    }
    if ((size_t)size > IMG_MAX_FILE) {
        fclose(f);
        return cx_fail(err, "%s: file of %ld bytes is larger than the 1 GiB image limit", path,
                       size);
    }
    *buf = cx_malloc((size_t)size + 1);
    *n = fread(*buf, 1, (size_t)size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || *n != (size_t)size) {
        free(*buf);
        return cx_fail(err, "%s: read error", path);
    }
    return 0;
}

int img_decode_gray_mem(const uint8_t *buf, size_t n, const char *name, int min_short_side,
                        img_gray *out, cx_error *err) {
    memset(out, 0, sizeof *out);
    switch (sniff(buf, n)) {
    case FMT_JPEG:
        return jpeg_decode(buf, n, name, min_short_side, out, err);
    case FMT_PNG:
        return png_decode(buf, n, name, PNG_GRAY_OUT, out, NULL, err);
    case FMT_DICOM:
        return img_decode_dicom_mem(buf, n, name, out, err);
    default:
        return cx_fail(err, "%s: not a JPEG or PNG file, nor DICOM (unknown magic bytes)", name);
    }
}

int img_load_gray(const char *path, int min_short_side, img_gray *out, cx_error *err) {
    uint8_t *buf;
    size_t n;
    memset(out, 0, sizeof *out);
    if (read_whole(path, &buf, &n, err) != 0) return -1;
    int rc = img_decode_gray_mem(buf, n, path, min_short_side, out, err);
    free(buf);
    return rc;
}

int img_load_mask(const char *path, img_gray *out, cx_error *err) {
    uint8_t *buf;
    size_t n;
    memset(out, 0, sizeof *out);
    if (read_whole(path, &buf, &n, err) != 0) return -1;
    int rc;
    switch (sniff(buf, n)) {
    case FMT_PNG:
        rc = png_decode(buf, n, path, PNG_MASK_OUT, out, NULL, err);
        break;
    case FMT_JPEG:
        rc = jpeg_decode(buf, n, path, 0, out, err);
        for (size_t i = 0; rc == 0 && i < (size_t)out->w * out->h; i++)
            out->px[i] = out->px[i] ? 255 : 0;
        break;
    default:
        rc = cx_fail(err, "%s: not a JPEG or PNG file (unknown magic bytes)", path);
    }
    free(buf);
    return rc;
}

int img_info(const char *path, int *w, int *h, int *channels, cx_error *err) {
    // The header sits in the first bytes for PNG; a JPEG's SOF may follow large EXIF/ICC blocks,
    // so read up to 1 MiB and fall back to the whole file.
    FILE *f = fopen(path, "rb");
    if (!f) return cx_fail(err, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1u << 20;
    uint8_t *buf = cx_malloc(cap);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    int rc = -1, ch = 0;
    img_format fmt = sniff(buf, n);
    if (fmt == FMT_JPEG) {
        tjhandle tj = tjInitDecompress();
        rc = tj ? jpeg_header(tj, buf, n, path, w, h, &ch, err)
                : cx_fail(err, "%s: cannot initialise TurboJPEG", path);
        if (rc != 0 && tj && n == cap) { // header beyond the first MiB: read it all
            free(buf);
            buf = NULL;
            if (read_whole(path, &buf, &n, err) == 0)
                rc = jpeg_header(tj, buf, n, path, w, h, &ch, err);
        }
        if (tj) tjDestroy(tj);
    } else if (fmt == FMT_PNG) {
        img_gray g;
        rc = png_decode(buf, n, path, PNG_INFO_ONLY, &g, &ch, err);
        if (rc == 0) {
            *w = g.w;
            *h = g.h;
        }
    } else if (fmt == FMT_DICOM) { // the size after the checks of a whole decode: 1 channel
        free(buf);
        buf = NULL;
        img_gray g;
        rc = img_load_gray(path, 0, &g, err);
        if (rc == 0) {
            *w = g.w;
            *h = g.h;
            ch = 1;
            img_gray_free(&g);
        }
    } else {
        rc = cx_fail(err, "%s: not a JPEG or PNG file, nor DICOM (unknown magic bytes)", path);
    }
    free(buf);
    if (rc == 0 && channels) *channels = ch;
    return rc;
}

// ---- encoding -----------------------------------------------------------------------------------
typedef struct {
    uint8_t *buf;
    size_t n, cap;
    char msg[256];
} png_sink;

static void png_write_mem(png_structp png, png_bytep data, png_size_t n) {
    png_sink *s = png_get_io_ptr(png);
    if (s->n + n > s->cap) {
        size_t cap = s->cap ? s->cap : 1u << 16;
        while (cap < s->n + n)
            cap *= 2;
        s->buf = cx_realloc(s->buf, cap);
        s->cap = cap;
    }
    memcpy(s->buf + s->n, data, n);
    s->n += n;
}
static void png_flush_mem(png_structp png) {
    (void)png;
}
static void png_on_write_error(png_structp png, png_const_charp msg) {
    png_sink *s = png_get_error_ptr(png);
    snprintf(s->msg, sizeof s->msg, "%s", msg);
    png_longjmp(png, 1);
}

int img_encode_png_mem(const uint8_t *data, int w, int h, int channels, uint8_t **out, size_t *n,
                       cx_error *err) {
    if (w <= 0 || h <= 0 || (channels != 1 && channels != 3 && channels != 4))
        return cx_fail(err, "PNG encode: bad image %dx%d with %d channels (expected 1, 3 or 4)", w,
                       h, channels);
    png_sink s = {0};
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, &s, png_on_write_error, png_on_warning);
    if (!png) return cx_fail(err, "PNG encode: cannot initialise libpng");
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        free(s.buf);
        return cx_fail(err, "PNG encode: %s", s.msg[0] ? s.msg : "libpng error");
    }
    png_set_write_fn(png, &s, png_write_mem, png_flush_mem);
    png_set_compression_level(png, 6);
    int ctype = channels == 1   ? PNG_COLOR_TYPE_GRAY
                : channels == 3 ? PNG_COLOR_TYPE_RGB
                                : PNG_COLOR_TYPE_RGB_ALPHA;
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, ctype, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++)
        png_write_row(png, (png_const_bytep)(data + (size_t)y * w * channels));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *out = s.buf;
    *n = s.n;
    return 0;
}

int img_write_png(const char *path, const uint8_t *data, int w, int h, int channels,
                  cx_error *err) {
    uint8_t *buf;
    size_t n;
    if (img_encode_png_mem(data, w, h, channels, &buf, &n, err) != 0)
        return cx_fail_wrap(err, "%s", path);
    int rc = cx_write_file_atomic(path, buf, n, err);
    free(buf);
    return rc;
}

int img_write_jpeg_gray(const char *path, const uint8_t *data, int w, int h, int quality,
                        cx_error *err) {
    if (w <= 0 || h <= 0 || quality < 1 || quality > 100)
        return cx_fail(err, "%s: bad JPEG request %dx%d quality %d (1..100)", path, w, h, quality);
    tjhandle tj = tjInitCompress();
    if (!tj) return cx_fail(err, "%s: cannot initialise TurboJPEG", path);
    unsigned char *jpg = NULL;
    unsigned long n = 0;
    int rc = -1;
    if (tjCompress2(tj, data, w, w, h, TJPF_GRAY, &jpg, &n, TJSAMP_GRAY, quality, 0) != 0)
        cx_fail(err, "%s: JPEG encode: %s", path, tjGetErrorStr2(tj));
    else
        rc = cx_write_file_atomic(path, jpg, n, err);
    tjFree(jpg);
    tjDestroy(tj);
    return rc;
}
