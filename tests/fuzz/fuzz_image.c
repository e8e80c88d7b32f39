// libFuzzer target: the image decode path. The input is a JPEG or PNG file's bytes (format from
// the magic bytes). Decoded from memory at full size and with JPEG DCT downscaling
// (img_decode_gray_mem), and through the file readers img_info and img_load_mask. Checks that a
// successful decode respects the size bounds and the reported geometry.
#include "fuzz_common.h"
#include "io/io.h"

static void check(const img_gray *im) {
    if (im->w <= 0 || im->h <= 0 || im->w > IMG_MAX_SIDE || im->h > IMG_MAX_SIDE ||
        (uint64_t)im->w * (uint64_t)im->h > IMG_MAX_PIXELS || im->w > im->orig_w ||
        im->h > im->orig_h)
        abort();
    volatile uint8_t last = im->px[(size_t)im->w * (size_t)im->h - 1];
    (void)last;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    cx_error err;
    img_gray im = {0};
    if (img_decode_gray_mem(data, n, "fuzz", 0, &im, &err) == 0) {
        check(&im);
        if (im.w != im.orig_w || im.h != im.orig_h) abort(); // full size asked
        img_gray_free(&im);
    }
    img_gray small = {0};
    if (img_decode_gray_mem(data, n, "fuzz", 8, &small, &err) == 0) {
        check(&small);
        img_gray_free(&small);
    }
    const char *path = fuzz_path("img");
    fuzz_write(path, data, n);
    int w, h, ch;
    if (img_info(path, &w, &h, &ch, &err) == 0 && (w <= 0 || h <= 0 || ch < 1 || ch > 4)) abort();
    img_gray mask = {0};
    if (img_load_mask(path, &mask, &err) == 0) {
        check(&mask);
        for (size_t i = 0; i < (size_t)mask.w * (size_t)mask.h; i++)
            if (mask.px[i] != 0 && mask.px[i] != 255) abort();
        img_gray_free(&mask);
    }
    return 0;
}
