// io: safetensors read (mmap) and write, CSV(.gz) tables, JPEG/PNG/DICOM decode, JPEG/PNG encode,
// resize. Depends on util, libjansson, libcsv, zlib, libjpeg-turbo, libpng, DCMTK (dicom.cc).
#ifndef CX_IO_H
#define CX_IO_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

// ==== safetensors (safetensors.c) =============================================================
// Format: u64 little-endian header length, a JSON header {name: {dtype, shape, data_offsets},
// "__metadata__": {str: str}}, then the data. Open validates everything before any use: header
// size bound, JSON, known dtypes, shapes, offsets inside the file, sizes matching shape x dtype,
// no overlaps. Every error names the file and the tensor.
typedef enum {
    ST_F32, ST_F16, ST_BF16, ST_F64, ST_I64, ST_I32, ST_I16, ST_I8, ST_U8, ST_BOOL, ST_U16,
    ST_U32, ST_U64, ST_NDTYPES
} st_dtype;
#define ST_MAX_DIMS 8
#define ST_MAX_HEADER (100u << 20) // 100 MiB, as the reference implementation

typedef struct st_tensor {
    char *name;
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    size_t numel, nbytes;
    const void *data; // into the mapping; 8-byte aligned when the header length is (ours are)
} st_tensor;

typedef struct st_file {
    char path[4096];
    void *map;
    size_t size;
    int n;          // tensors, in header order
    st_tensor *t;
    int n_meta;
    char **meta_key, **meta_val;
} st_file;

const char *st_dtype_name(st_dtype dt);   // "F32", ...
size_t st_dtype_size(st_dtype dt);
int st_open(st_file *f, const char *path, cx_error *err);
void st_close(st_file *f);
const st_tensor *st_find(const st_file *f, const char *name);
const char *st_meta(const st_file *f, const char *key); // NULL when absent
// Finds a tensor and checks its dtype and shape (shape entries < 0 match any size; ndim < 0
// skips the rank check). Errors name the file, tensor, and expected vs found.
int st_expect(const st_file *f, const char *name, st_dtype dt, int ndim, const int64_t *shape,
              const st_tensor **out, cx_error *err);
// Copies a floating tensor (F32, F16, BF16, F64) into out as fp32 (numel floats).
int st_read_f32(const st_file *f, const st_tensor *t, float *out, cx_error *err);

// Writer: tensors keep pointing at the caller's data until st_writer_write returns.
// The file is written atomically (temp file, fsync, rename).
typedef struct st_writer st_writer;
st_writer *st_writer_new(void);
void st_writer_add(st_writer *w, const char *name, st_dtype dt, int ndim, const int64_t *shape,
                   const void *data);
void st_writer_meta(st_writer *w, const char *key, const char *value);
int st_writer_write(st_writer *w, const char *path, cx_error *err);
void st_writer_free(st_writer *w);

// ==== CSV tables (csv.c, csv_write.c) ===========================================================
// RFC 4180 through libcsv (strict mode): quoted fields, "" escapes, commas and newlines inside
// quotes, CRLF or LF line ends, a UTF-8 BOM skipped. `.csv.gz` and plain files are read alike
// (zlib detects gzip by its magic bytes). The first record is the header; blank lines are
// skipped. Every record keeps the physical line (1-based) where it starts, for error messages.
// Resources are bounded: a field or a record over CSV_MAX_FIELD bytes, or a record with more than
// CSV_MAX_FIELDS fields, is an error naming file:line, never an unbounded allocation. A record
// whose field count differs from the header's is an error naming file:line and both counts.
// Strict RFC 4180: a quote inside an unquoted field, text after a closing quote, or an
// unterminated quote at end of file is an error naming file:line (never a silent misparse).
// Note: libcsv owns the names csv_init/csv_parse/csv_free/csv_write...; ours never collide.
#define CSV_MAX_FIELD (16u << 20)  // 16 MiB, one field (and one whole record)
#define CSV_MAX_FIELDS 4096        // fields in one record

// Whole table in memory (tables up to a few hundred MB; use csv_stream for eye_gaze.csv).
typedef struct csv_table csv_table;
csv_table *csv_table_read(const char *path, cx_error *err); // NULL on error
void csv_table_free(csv_table *t);
const char *csv_path(const csv_table *t);
int csv_ncols(const csv_table *t);
int64_t csv_nrows(const csv_table *t);                // data rows, header excluded
const char *csv_colname(const csv_table *t, int col);
int csv_col(const csv_table *t, const char *name);    // first column with that exact name, or -1
// Looks up n columns at once into idx[n]; an error names the file and every missing column.
int csv_require_cols(const csv_table *t, const char *const *names, int n, int *idx,
                     cx_error *err);
const char *csv_get(const csv_table *t, int64_t row, int col); // NUL-terminated, never NULL
int64_t csv_row_line(const csv_table *t, int64_t row);        // physical line where row starts

// Streaming, constant memory (eye_gaze.csv: ~406 MB, 1.5M rows). on_header gets the header
// record once, on_row each data record with the line where it starts. A callback returns 0 to go
// on, 1 to stop early (csv_stream then returns 0), -1 on error: csv_stream returns -1 with the
// callback's message prefixed by "path:line: " (the callback need not name file or line).
// fields[i] are NUL-terminated and valid only during the call. on_header may be NULL.
typedef int (*csv_header_fn)(void *ctx, int nfields, const char *const *fields, cx_error *err);
typedef int (*csv_row_fn)(void *ctx, int64_t line, int nfields, const char *const *fields,
                          cx_error *err);
int csv_stream(const char *path, csv_header_fn on_header, csv_row_fn on_row, void *ctx,
               cx_error *err);
// Column lookup on a header record (for csv_stream's on_header); errors name path and columns.
int csv_header_require(const char *path, int nfields, const char *const *fields,
                       const char *const *names, int n, int *idx, cx_error *err);

// Strict number parsing shared by every reader. Leading/trailing ASCII spaces are tolerated.
// Return: CSV_NUM_OK (0) with *v set, CSV_NUM_EMPTY (1) for an empty/blank field, CSV_NUM_BAD (-1)
// for anything else (trailing junk, overflow, nan/inf).
#define CSV_NUM_OK 0
#define CSV_NUM_EMPTY 1
#define CSV_NUM_BAD (-1)
int csv_parse_double(const char *s, double *v);
// An optional number: csv_parse_double, and *v = NaN for an empty/blank field (same return).
int csv_parse_double_or_nan(const char *s, double *v);
int csv_parse_int64(const char *s, int64_t *v);
// CheXpert-style label: "1", "1.0", "0", "0.0", "-1", "-1.0" -> 1/0/-1; empty = not mentioned.
int csv_parse_label(const char *s, int *v);

// Writing. csv_write_field quotes a field when it holds , " CR or LF or starts/ends with a space
// (doubling quotes); csv_write_row writes n fields and "\n". Both return 0 or -1 (I/O error).
int csv_write_field(FILE *f, const char *s);
int csv_write_row(FILE *f, int n, const char *const *fields);
// Atomic table writer: plain text, or gzip when path ends in ".gz". Writes go to a temporary
// file; csv_writer_commit flushes, fsyncs and renames it over path; csv_writer_abort removes it.
// Write errors are sticky and reported by csv_writer_commit. Both free the writer.
typedef struct csv_writer csv_writer;
csv_writer *csv_writer_open(const char *path, cx_error *err); // NULL on error
void csv_writer_field(csv_writer *w, const char *s);          // one field of the current row
void csv_writer_fieldf(csv_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void csv_writer_end_row(csv_writer *w);
void csv_writer_row(csv_writer *w, int n, const char *const *fields); // a whole row
int csv_writer_commit(csv_writer *w, cx_error *err);
void csv_writer_abort(csv_writer *w);

// ==== images (image.c: decode/encode, resize.c: resize, crop, geometry) =========================
// Decoding gives 8-bit grayscale, row-major [h, w]. Sizes are checked from the header before any
// allocation: each side <= IMG_MAX_SIDE and w*h <= IMG_MAX_PIXELS, else an error naming the file.
// Truncated or corrupt files (libjpeg warnings included) are errors naming the file.
// PNG: 1/2/4/8/16-bit gray, gray+alpha, RGB(A) 8/16-bit, palette; alpha is ignored; 16-bit ->
// 8-bit by round(v/257), per channel; colour -> gray as Pillow's convert('L') (ITU-R 601-2
// luma L = R*299/1000 + G*587/1000 + B*114/1000, computed in Pillow's 16-bit fixed point with
// rounding: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16).
// JPEG: libjpeg-turbo, output TJPF_GRAY directly, with DCT-domain downscaling (below).
// Every CSV and image function is reentrant (no shared state): call them from OpenMP threads.
#define IMG_MAX_SIDE 30000
#define IMG_MAX_PIXELS (1u << 28)

typedef struct img_gray {
    uint8_t *px;        // [h, w], free with img_gray_free
    int w, h;           // decoded size (smaller than the file's after JPEG DCT scaling)
    int orig_w, orig_h; // size stored in the file
} img_gray;

// Header only: size and channels in the file (JPEG 1/3/4; PNG 1 gray, 2 gray+alpha, 3 RGB or
// palette, 4 RGBA). Format is detected from the magic bytes, not the file name.
int img_info(const char *path, int *w, int *h, int *channels, cx_error *err);
// Decodes to gray. min_short_side > 0 lets a JPEG be decoded at the smallest libjpeg-turbo scale
// factor (1/8, 1/4, 3/8, 1/2, ..., 1) whose shorter side is still >= min_short_side (PNG and
// min_short_side <= 0: full size). out->orig_w/h keep the file's size for the geometry.
int img_load_gray(const char *path, int min_short_side, img_gray *out, cx_error *err);
// Same from memory; name is used in error messages.
int img_decode_gray_mem(const uint8_t *buf, size_t n, const char *name, int min_short_side,
                        img_gray *out, cx_error *err);
// A binary mask at full size: 255 where any colour channel is non-zero (and alpha, if present,
// is non-zero), else 0. For the EGD region masks.
int img_load_mask(const char *path, img_gray *out, cx_error *err);
void img_gray_free(img_gray *im);

// Fit geometry (torchvision Resize(S) + CenterCrop(S)): the shorter side goes to S, the longer to
// floor(S * long / short); then the centre S x S is cut, crop offset floor((resized - S) / 2).
// Continuous coordinates: pixel i covers [i, i+1), its centre is i + 0.5 (an integer pixel index
// x maps as x + 0.5). The mapping is defined on the ORIGINAL image, so it holds whatever size the
// image was decoded at (DCT scaling): x_target = x_orig * scale_x - crop_x.
typedef struct img_fit_geom {
    int orig_w, orig_h;       // original image, px
    int size;                 // S
    int resized_w, resized_h; // after the shorter-side resize, before the crop
    int crop_x, crop_y;       // resized px removed on the left / top
    double scale_x, scale_y;  // resized px per original px: resized_w / orig_w, resized_h / orig_h
} img_fit_geom;
void img_fit_geom_init(img_fit_geom *g, int orig_w, int orig_h, int size);
void img_fit_to_target(const img_fit_geom *g, double x_orig, double y_orig, double *x_t,
                       double *y_t);
void img_fit_to_orig(const img_fit_geom *g, double x_t, double y_t, double *x_orig,
                     double *y_orig);

// Resize with antialiasing = Pillow's Image.resize(..., Image.BILINEAR): a triangle filter whose
// support is scaled by the downscale factor, separable (horizontal pass, then vertical), 8-bit
// intermediate, 22-bit fixed-point weights as Pillow (matches Pillow within 1 grey level).
// src [src_h, src_w] -> dst [dst_h, dst_w].
int img_resize_gray(const uint8_t *src, int src_w, int src_h, uint8_t *dst, int dst_w, int dst_h,
                    cx_error *err);
// src (the whole image, any decoded size, e.g. DCT-scaled) resized to g->resized_w x resized_h
// and centre-cropped: dst [S, S]. Only the cropped part is computed.
int img_fit_gray(const uint8_t *src, int src_w, int src_h, const img_fit_geom *g, uint8_t *dst,
                 cx_error *err);
// A mask (non-zero = inside) brought to the same geometry by exact area coverage (box filter with
// fractional pixel overlap), then thresholded: dst = 255 where coverage >= 0.5, else 0.
// If coverage is wanted instead, img_fit_mask_coverage gives it as float in [0,1], dst [S, S].
int img_fit_mask(const uint8_t *src, int src_w, int src_h, const img_fit_geom *g, uint8_t *dst,
                 cx_error *err);
int img_fit_mask_coverage(const uint8_t *src, int src_w, int src_h, const img_fit_geom *g,
                          float *dst, cx_error *err);
// Decode (DCT-scaled for JPEG) + fit in one call: dst [S, S]; g (may be NULL) gets the geometry.
int img_load_fit(const char *path, int size, uint8_t *dst, img_fit_geom *g, cx_error *err);

// Encoding, 8-bit. PNG channels 1 (gray), 3 (RGB), 4 (RGBA), data [h, w, channels]. Files are
// written atomically (temp + fsync + rename).
int img_write_png(const char *path, const uint8_t *data, int w, int h, int channels,
                  cx_error *err);
// PNG into a malloc'd buffer (*out, *n; free()), e.g. for base64 in HTML.
int img_encode_png_mem(const uint8_t *data, int w, int h, int channels, uint8_t **out, size_t *n,
                       cx_error *err);
// Baseline grayscale JPEG (quality 1..100) through turbojpeg.
int img_write_jpeg_gray(const char *path, const uint8_t *data, int w, int h, int quality,
                        cx_error *err);
// ---- added by the synth engineer (image_mem.c) ----
// Baseline grayscale JPEG into a malloc'd buffer (*out, *n; free()), same settings as above.
int img_encode_jpeg_gray_mem(const uint8_t *data, int w, int h, int quality, uint8_t **out,
                             size_t *n, cx_error *err);
// ---- end synth addition ----

// ==== DICOM (dicom.cc, through DCMTK; docs/dicom.md) ============================================
// A single-frame MONOCHROME1/2 radiograph to 8-bit gray by DCMTK's display pipeline: modality
// transform (Rescale Slope/Intercept or Modality LUT), then VOI: the file's first window (Window
// Center/Width, linear function of PS3.3 C.11.2.1.2), else its first VOI LUT, else a linear
// min-max window over the image's modality values; MONOCHROME1 inverted (bone bright, as in the
// JPEG releases). Transfer syntaxes: uncompressed (little/big endian), RLE, JPEG baseline/
// extended/lossless, JPEG-LS; the others (JPEG 2000, deflate) are refused naming the UID, and so
// are multi-frame objects. Errors name the file and the DICOM tag. Reentrant. img_decode_gray_mem
// and so img_load_gray/img_load_fit/img_info take DICOM through these (by content, not name).
// 1 when buf looks like DICOM: "DICM" at offset 128, or a bare data set (group 0002/0008 first).
int img_is_dicom(const uint8_t *buf, size_t n);
int img_decode_dicom_mem(const uint8_t *buf, size_t n, const char *name, img_gray *out,
                         cx_error *err);

#endif
