// libFuzzer target: the DICOM decode path (io/dicom.cc through DCMTK). The input is a DICOM
// file's bytes. Decoded from memory by img_decode_dicom_mem and by img_decode_gray_mem (which
// sniffs "DICM" at offset 128 or a bare data set), and through the file reader img_info. Checks
// that a successful decode respects the size bounds, that both entry points agree, and that no
// DCMTK failure escapes as a crash, a leak or an exception.
#include "fuzz_common.h"
#include "io/io.h"

static void check(const img_gray *im) {
    if (im->w <= 0 || im->h <= 0 || im->w > IMG_MAX_SIDE || im->h > IMG_MAX_SIDE ||
        (uint64_t)im->w * (uint64_t)im->h > IMG_MAX_PIXELS || im->w != im->orig_w ||
        im->h != im->orig_h)
        abort();
    volatile uint8_t last = im->px[(size_t)im->w * (size_t)im->h - 1];
    (void)last;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    cx_error err;
    img_gray im = {0}, via_sniff = {0};
    int rc = img_decode_dicom_mem(data, n, "fuzz", &im, &err);
    if (rc == 0) check(&im);
    if (img_is_dicom(data, n)) {
        int rc2 = img_decode_gray_mem(data, n, "fuzz", 0, &via_sniff, &err);
        if (rc2 != rc) abort(); // the sniffed path is the same decoder
        if (rc2 == 0 && memcmp(im.px, via_sniff.px, (size_t)im.w * (size_t)im.h)) abort();
        img_gray_free(&via_sniff);
    }
    img_gray_free(&im);
    const char *path = fuzz_path("dcm");
    fuzz_write(path, data, n);
    int w, h, ch;
    if (img_info(path, &w, &h, &ch, &err) == 0 && (w <= 0 || h <= 0 || ch < 1 || ch > 4)) abort();
    return 0;
}
