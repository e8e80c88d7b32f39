// io/dicom: a DICOM radiograph to 8-bit gray through DCMTK (docs/dicom.md). DCMTK's DicomImage
// implements the standard's grayscale display pipeline (PS3.3 C.11: modality LUT or rescale
// slope/intercept, VOI window or VOI LUT, presentation LUT shape, MONOCHROME1 polarity) and renders
// 8-bit output; dcmjpeg, dcmjpls and dcmdata's RLE codec decode the compressed transfer syntaxes.
// The only C++ file of the library: everything DCMTK stays inside it behind one C function, and
// no exception leaves it.
#include <dcmtk/config/osconfig.h>

#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmimgle/dcmimage.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <cstring>
#include <new>

// The C headers, with C linkage; C11's _Noreturn (util.h) is C++'s [[noreturn]].
#define _Noreturn [[noreturn]]
extern "C" {
#include "io/io.h"
}
#undef _Noreturn

// Registers the decoders and silences DCMTK's logger (it would print to stderr) once per
// process; C++11 makes the initialisation of a function-local static thread-safe, so OpenMP
// threads may race here. DCMTK's codec list and data dictionary are guarded by its own locks.
static void dicom_init_once() {
    static const bool done = [] {
        OFLog::configure(OFLogger::OFF_LOG_LEVEL);
        DJDecoderRegistration::registerCodecs();   // JPEG baseline, extended, lossless
        DJLSDecoderRegistration::registerCodecs(); // JPEG-LS lossless and near-lossless
        DcmRLEDecoderRegistration::registerCodecs();
        return true;
    }();
    (void)done;
}

// A memory stream that lets DCMTK load long elements lazily, as its file streams do: an element
// longer than DCM_MaxReadLength (4096 bytes) is skipped while parsing and read again from the
// buffer on first use (through the factory). DCMTK allocates an element's declared length when
// it loads it; with the skip, a corrupt length (up to 4 GiB) in a short file ends the parse at
// the end of the data instead of allocating it (found by fuzz_dicom).
class MemStream;
class MemStreamFactory : public DcmInputStreamFactory {
  public:
    MemStreamFactory(const uint8_t *buf, size_t n, offile_off_t at) : buf_(buf), n_(n), at_(at) {}
    DcmInputStream *create() const override;
    DcmInputStreamFactory *clone() const override { return new MemStreamFactory(*this); }
    DcmInputStreamFactoryType ident() const override { return DFT_DcmInputFileStreamFactory; }

  private:
    const uint8_t *buf_;
    size_t n_;
    offile_off_t at_;
};

class MemStream : public DcmInputBufferStream {
  public:
    MemStream(const uint8_t *buf, size_t n, offile_off_t at = 0) : buf_(buf), n_(n) {
        setBuffer(buf, (offile_off_t)n);
        setEos();
        plain_ = currentProducer();
        if (at > 0) skip(at);
    }
    DcmInputStreamFactory *newFactory() const override {
        // After a deflate filter is installed, positions are not offsets into buf: load now.
        return currentProducer() == plain_ ? new MemStreamFactory(buf_, n_, tell()) : NULL;
    }

  private:
    const uint8_t *buf_;
    size_t n_;
    const DcmProducer *plain_;
};

DcmInputStream *MemStreamFactory::create() const {
    return new MemStream(buf_, n_, at_);
}

int img_is_dicom(const uint8_t *b, size_t n) {
    // Part 10 file: 128-byte preamble, then "DICM". A bare data set (no preamble, no meta
    // header, as some old archives store it) starts with a group 0x0002 or 0x0008 tag, little
    // endian; DCMTK then detects the transfer syntax and a wrong guess is a decode error.
    if (n >= 132 && !memcmp(b + 128, "DICM", 4)) return 1;
    return n >= 8 && (b[0] == 0x02 || b[0] == 0x08) && b[1] == 0x00;
}

// The transfer syntax a file declares in its meta header, refused before any decoding when
// DCMTK has no decoder for it. JPEG 2000 (1.2.840.10008.1.2.4.90-.93, HTJ2K .201-.203) is the
// common case: DCMTK's free toolkit has no JPEG 2000 codec.
static int check_transfer_syntax(const uint8_t *buf, size_t n, const char *name, cx_error *err) {
    DcmMetaInfo meta;
    MemStream in(buf, n);
    meta.transferInit();
    OFCondition rd = meta.read(in);
    meta.transferEnd();
    OFString uid;
    if (rd.bad() || meta.findAndGetOFString(DCM_TransferSyntaxUID, uid).bad() || uid.empty())
        return 0; // a bare data set (DCMTK detects its encoding) or a damaged header (read fails)
    DcmXfer xfer(uid.c_str());
    if (xfer.getXfer() == EXS_Unknown) // HTJ2K (.201-.203) is unknown to DCMTK 3.6.7
        return cx_fail(
            err, "%s: (0002,0010) unsupported transfer syntax %s (%s)", name, uid.c_str(),
            uid.compare(0, 21, "1.2.840.10008.1.2.4.2") == 0 ? "High-Throughput JPEG 2000"
                                                             : "unknown to DCMTK 3.6");
    if (xfer.isEncapsulated() &&
        !DcmCodecList::canChangeCoding(xfer.getXfer(), EXS_LittleEndianExplicit))
        return cx_fail(err, "%s: (0002,0010) unsupported transfer syntax %s (%s)", name,
                       uid.c_str(), xfer.getXferName());
    // Deflate would defeat the lazy loading (MemStream): declared lengths would be allocated.
    if (xfer.getXfer() == EXS_DeflatedLittleEndianExplicit)
        return cx_fail(err,
                       "%s: (0002,0010) unsupported transfer syntax %s (%s: not used for "
                       "radiographs)",
                       name, uid.c_str(), xfer.getXferName());
    return 0;
}

// The attributes that decide whether this is a single grey radiograph of an acceptable size,
// checked before DicomImage allocates anything, each error naming its tag.
static int check_image_attributes(DcmDataset *ds, const char *name, cx_error *err) {
    OFString pi;
    if (ds->findAndGetOFString(DCM_PhotometricInterpretation, pi).bad() || pi.empty())
        return cx_fail(err, "%s: (0028,0004) PhotometricInterpretation missing", name);
    if (pi != "MONOCHROME1" && pi != "MONOCHROME2")
        return cx_fail(err,
                       "%s: (0028,0004) PhotometricInterpretation is %s, expected "
                       "MONOCHROME1/2",
                       name, pi.c_str());
    Uint16 spp = 1, rows = 0, cols = 0, bits = 0;
    if (ds->findAndGetUint16(DCM_SamplesPerPixel, spp).good() && spp != 1)
        return cx_fail(err, "%s: (0028,0002) SamplesPerPixel is %u, expected 1", name, spp);
    Sint32 frames = 1;
    if (ds->findAndGetSint32(DCM_NumberOfFrames, frames).good() && frames != 1)
        return cx_fail(err,
                       "%s: (0028,0008) NumberOfFrames is %ld, expected 1 (a multi-frame "
                       "object is not one radiograph)",
                       name, (long)frames);
    if (ds->findAndGetUint16(DCM_Rows, rows).bad())
        return cx_fail(err, "%s: (0028,0010) Rows missing", name);
    if (ds->findAndGetUint16(DCM_Columns, cols).bad())
        return cx_fail(err, "%s: (0028,0011) Columns missing", name);
    // Rows and Columns are 16-bit, so only the pixel count can pass the limits (io.h).
    if (rows == 0 || cols == 0 || rows > IMG_MAX_SIDE || cols > IMG_MAX_SIDE ||
        (uint64_t)rows * cols > IMG_MAX_PIXELS)
        return cx_fail(err,
                       "%s: (0028,0010/0011) image size %ux%u refused (limits: %d px per "
                       "side, %u pixels)",
                       name, cols, rows, IMG_MAX_SIDE, IMG_MAX_PIXELS);
    if (ds->findAndGetUint16(DCM_BitsAllocated, bits).bad() || (bits != 8 && bits != 16))
        return cx_fail(err, "%s: (0028,0100) BitsAllocated is %u, expected 8 or 16", name, bits);
    DcmElement *pixel_data = NULL;
    if (ds->findAndGetElement(DCM_PixelData, pixel_data).bad())
        return cx_fail(err, "%s: (7FE0,0010) PixelData missing", name);
    // Native (uncompressed) pixels shorter than the frame: DCMTK would pad them with zeros.
    // (Encapsulated pixel data have an undefined length; their codec checks the frame.)
    uint64_t need = (uint64_t)rows * cols * (bits / 8);
    if (!DcmXfer(ds->getOriginalXfer()).isEncapsulated() && pixel_data->getLength() < need)
        return cx_fail(err,
                       "%s: (7FE0,0010) PixelData has %lu bytes, expected %llu (%ux%u, %u "
                       "bits)",
                       name, (unsigned long)pixel_data->getLength(), (unsigned long long)need, cols,
                       rows, bits);
    return 0;
}

// VOI, the first that the file provides (PS3.3 C.11.2): its first Window Center/Width pair
// (linear function, C.11.2.1.2), else its first VOI LUT, else a window over the image's own
// modality values from min to max (DCMTK's setMinMaxWindow(0): centre (min+max+1)/2, width
// max-min+1, which the linear function maps to round-down of 255 (x-min)/(max-min)): 12-16-bit
// data scaled linearly to 8 bits, with no histogram equalisation or other contrast step.
static bool apply_voi(DicomImage &img) {
    if (img.getWindowCount() > 0 && img.setWindow(0)) return true;
    if (img.getVoiLutCount() > 0 && img.setVoiLut(0)) return true;
    return img.setMinMaxWindow(0) != 0;
}

static int decode(const uint8_t *buf, size_t n, const char *name, img_gray *out, cx_error *err) {
    dicom_init_once();
    if (!dcmDataDict.isDictionaryLoaded())
        return cx_fail(err, "%s: DCMTK's data dictionary is not loaded (DCMDICTPATH?)", name);
    if (check_transfer_syntax(buf, n, name, err) != 0) return -1;
    MemStream in(buf, n);
    DcmFileFormat ff;
    ff.transferInit();
    OFCondition rd = ff.read(in);
    ff.transferEnd();
    DcmDataset *ds = ff.getDataset();
    if (rd.bad()) { // name the element where reading stopped: the last one read
        DcmItem *part = ds->card() > 0 ? static_cast<DcmItem *>(ds) : ff.getMetaInfo();
        unsigned long k = part->card();
        if (k == 0) return cx_fail(err, "%s: not a DICOM file or corrupt: %s", name, rd.text());
        DcmTag tag = part->getElement(k - 1)->getTag();
        return cx_fail(err, "%s: truncated or corrupt DICOM file at (%04X,%04X) %s: %s", name,
                       tag.getGTag(), tag.getETag(), tag.getTagName(), rd.text());
    }
    if (check_image_attributes(ds, name, err) != 0) return -1;
    // Frame 0 only (and NumberOfFrames was checked to be 1); the pixel data are decompressed in
    // place by the registered codecs.
    DicomImage img(&ff, ds->getOriginalXfer(), 0UL, 0UL, 1UL);
    if (img.getStatus() != EIS_Normal)
        return cx_fail(err, "%s: (7FE0,0010) PixelData cannot be decoded: %s", name,
                       DicomImage::getString(img.getStatus()));
    if (!img.isMonochrome())
        return cx_fail(err, "%s: (0028,0004) not a monochrome image after decoding", name);
    if (!apply_voi(img))
        return cx_fail(err, "%s: (0028,1050/1051) no usable VOI window or LUT", name);
    int w = (int)img.getWidth(), h = (int)img.getHeight();
    size_t npx = (size_t)w * (size_t)h;
    if (w < 1 || h < 1 || img.getOutputDataSize(8) != npx)
        return cx_fail(err, "%s: (7FE0,0010) PixelData: decoded size %dx%d is wrong", name, w, h);
    uint8_t *px = (uint8_t *)cx_malloc(npx);
    // MONOCHROME1 is rendered inverted by DicomImage itself (P-values: bright = high).
    if (!img.getOutputData(px, npx, 8, 0)) {
        free(px);
        return cx_fail(err, "%s: (7FE0,0010) PixelData cannot be rendered to 8 bits", name);
    }
    *out = img_gray{px, w, h, w, h};
    return 0;
}

int img_decode_dicom_mem(const uint8_t *buf, size_t n, const char *name, img_gray *out,
                         cx_error *err) {
    memset(out, 0, sizeof *out);
    try {
        return decode(buf, n, name, out, err);
    } catch (const std::bad_alloc &) {
        return cx_fail(err, "%s: out of memory decoding DICOM", name);
    } catch (...) {
        return cx_fail(err, "%s: DICOM decoding failed (exception in DCMTK)", name);
    }
}
