// io: safetensors read (mmap) and write, CSV(.gz) tables, JPEG/PNG decode and encode, resize.
// Depends on util, libjansson, libcsv, zlib, libjpeg-turbo, libpng.
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

#endif
