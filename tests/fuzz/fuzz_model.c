// libFuzzer target: DenseNet model-file loading (model_load_ex with metadata). A real model
// file is ~30 MB, too big to mutate usefully, so an input that starts with '{' is taken as the
// safetensors JSON header only: the harness writes the 8-byte length, the header, and a sparse
// (zero) data section of FUZZ_MODEL_DATA bytes, enough for densenet121/169/201 in F32. Any other
// input is written as the whole file. The seeds are headers of real densenet121 files written
// by model_save (F32, plus F16/BF16 and legacy-name variants): tests/fuzz/make_corpus.c.
#include <fcntl.h>

#include "fuzz_common.h"
#include "train/train.h"

#define FUZZ_MODEL_DATA ((off_t)80 << 20) // densenet201 in F32 is ~80 MB

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    const char *path = fuzz_path("model.safetensors");
    if (n && data[0] == '{') {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        uint8_t len[8];
        for (int i = 0; i < 8; i++) len[i] = (uint8_t)((uint64_t)n >> (8 * i));
        if (fd < 0 || write(fd, len, 8) != 8 || write(fd, data, n) != (ssize_t)n ||
            ftruncate(fd, 8 + (off_t)n + FUZZ_MODEL_DATA) || close(fd)) {
            perror(path);
            abort();
        }
    } else {
        fuzz_write(path, data, n);
    }
    densenet *net = NULL;
    model_meta meta;
    cx_error err;
    if (model_load_ex(path, n % 2 ? MODEL_LOAD_IGNORE_UNKNOWN : 0, &net, &meta, &err) == 0) {
        if (!net) abort();
        char buf[256];
        model_describe(net, buf, sizeof buf);
        if (meta.n_labels < 0 || meta.n_labels > MODEL_MAX_LABELS) abort();
        densenet_free(net);
    } else if (net) {
        abort(); // *out must be NULL on error
    }
    return 0;
}
