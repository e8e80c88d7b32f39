// io/image_mem: JPEG encoding into memory (added by the synth engineer for `cxrgaze synth`, which
// writes thousands of images inside a temporary tree renamed as a whole, so per-file fsync is not
// wanted). Same encoder settings as img_write_jpeg_gray.
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "io/io.h"

int img_encode_jpeg_gray_mem(const uint8_t *data, int w, int h, int quality, uint8_t **out,
                             size_t *n, cx_error *err) {
    if (w <= 0 || h <= 0 || quality < 1 || quality > 100)
        return cx_fail(err, "JPEG encode: bad request %dx%d quality %d (1..100)", w, h, quality);
    tjhandle tj = tjInitCompress();
    if (!tj) return cx_fail(err, "JPEG encode: cannot initialise TurboJPEG");
    unsigned char *jpg = NULL;
    unsigned long len = 0;
    int rc = -1;
    if (tjCompress2(tj, data, w, w, h, TJPF_GRAY, &jpg, &len, TJSAMP_GRAY, quality, 0) != 0) {
        cx_fail(err, "JPEG encode: %s", tjGetErrorStr2(tj));
    } else {
        *out = cx_malloc(len);
        memcpy(*out, jpg, len);
        *n = len;
        rc = 0;
    }
    tjFree(jpg);
    tjDestroy(tj);
    return rc;
}
