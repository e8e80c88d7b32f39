#!/usr/bin/python3
"""Writes tests/fixtures/dicom/: small DICOM radiographs made with pydicom (independent of DCMTK,
which cxrgaze decodes with), their compressed twins made with DCMTK's command-line encoders, a few
bad files, and dicom_expected.safetensors with the expected display values.

Expected values follow the standard, computed here in numpy:
  - modality transform (DICOM PS3.3 C.11.1.1.2, Rescale Slope/Intercept): m = slope * stored + intercept
  - VOI linear window (PS3.3 C.11.2.1.2.1, "Default LINEAR Function"), ymin = 0, ymax = 255:
      x <= c - 0.5 - (w-1)/2  -> ymin
      x >  c - 0.5 + (w-1)/2  -> ymax
      else y = ((x - (c - 0.5)) / (w - 1) + 0.5) * (ymax - ymin) + ymin
  - no window in the file: the window from the image's own min..max, c = (min + max + 1) / 2,
    w = max - min + 1 (DCMTK's DicomImage::setMinMaxWindow(0), dcmimgle/dimopxt.h
    getMinMaxWindow), which the linear function turns into y = 255 (m - min) / (max - min)
  - MONOCHROME1 (PS3.3 C.7.6.3.1.2: minimum value is displayed white): y -> 255 - y.
  - VOI LUT (PS3.3 C.11.2.1.1): y = LUT[clamp(x - first, 0, n - 1)] * 255 / (2^bits - 1)
  - Presentation LUT Shape INVERSE (PS3.3 C.11.6.1.2): y -> 255 - y, as MONOCHROME1.
The safetensors hold y as real numbers (F32 [48, 64], one tensor per case): the standard defines
no rounding to integers, the test accepts floor(y) or ceil(y).

Compressed twins (decoded pixels must equal the uncompressed file's exactly), made with dcmtk 3.6.7:
  dcmcjpeg +e1 (JPEG lossless, selection value 1), dcmcrle (RLE), dcmcjpls (JPEG-LS lossless).
Run from the repository root: /usr/bin/python3 tests/ref/dicom_ref.py
"""
import os
import struct
import subprocess
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stats_ref import write_safetensors  # noqa: E402

OUT = "tests/fixtures/dicom"
W, H = 64, 48
DX = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation
UID_ROOT = "1.2.826.0.1.3680043.8.498.424242."  # fixed UIDs: the script rewrites identical bytes


def pixels(lo, hi, seed):
    """[H, W] stored values in [lo, hi]: a gradient plus noise, with lo and hi both present."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    base = (xx / (W - 1) * 0.6 + yy / (H - 1) * 0.4)
    v = base + rng.uniform(-0.15, 0.15, size=(H, W))
    v = lo + np.clip(v, 0, 1) * (hi - lo)
    v = np.round(v).astype(np.int64)
    v[0, 0], v[H - 1, W - 1] = lo, hi
    return v


def dataset(path, n, photometric, bits_alloc, bits_stored, signed, stored):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = DX
    meta.MediaStorageSOPInstanceUID = UID_ROOT + str(n)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID_ROOT + "0"
    ds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SOPClassUID, ds.SOPInstanceUID = DX, meta.MediaStorageSOPInstanceUID
    ds.Modality = "DX"
    ds.Rows, ds.Columns = H, W
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits_alloc, bits_stored, bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    dt = {(8, 0): np.uint8, (16, 0): np.uint16, (16, 1): np.int16}[(bits_alloc, int(signed))]
    ds.PixelData = stored.astype(dt).tobytes()
    return ds


def linear_window(m, c, w):
    """PS3.3 C.11.2.1.2.1, ymin 0, ymax 255."""
    y = ((m - (c - 0.5)) / (w - 1) + 0.5) * 255.0
    y = np.where(m <= c - 0.5 - (w - 1) / 2, 0.0, y)
    return np.where(m > c - 0.5 + (w - 1) / 2, 255.0, y)


# name, photometric, bits allocated/stored, signed, stored range, rescale (slope, intercept) or
# None, window (centre, width) or None, compress with dcmtk
CASES = [
    ("m2_u8_minmax", "MONOCHROME2", 8, 8, False, (3, 250), None, None, True),
    ("m2_u12_window", "MONOCHROME2", 16, 12, False, (0, 4095), None, (2048, 2000), True),
    ("m1_u12_minmax", "MONOCHROME1", 16, 12, False, (100, 3900), None, None, True),
    ("m2_s12_rescale_window", "MONOCHROME2", 16, 12, True, (-2048, 2047), (2, -1000),
     (-800, 5001), True),
    ("m1_u16_rescale_window", "MONOCHROME1", 16, 16, False, (0, 65535), (0.5, 100),
     (15000, 20000), False),
    ("m2_s16_rescale_minmax", "MONOCHROME2", 16, 16, True, (-30000, 30000), (1, -1024), None,
     False),
]


def write_case(n, case):
    name, pi, ba, bs, signed, (lo, hi), rescale, window, _ = case
    path = f"{OUT}/{name}.dcm"
    stored = pixels(lo, hi, seed=n)
    ds = dataset(path, n, pi, ba, bs, signed, stored)
    m = stored.astype(np.float64)
    if rescale:
        ds.RescaleSlope, ds.RescaleIntercept = f"{rescale[0]:g}", f"{rescale[1]:g}"
        m = rescale[0] * m + rescale[1]
    if window:
        ds.WindowCenter, ds.WindowWidth = f"{window[0]:g}", f"{window[1]:g}"
        y = linear_window(m, *window)
    else:
        mn, mx = m.min(), m.max()
        y = linear_window(m, (mn + mx + 1) / 2, mx - mn + 1)
    if pi == "MONOCHROME1":
        y = 255.0 - y
    ds.save_as(path, write_like_original=False)
    return y.astype(np.float32)


def write_voi_lut_case(n):
    """MONOCHROME2 16/12 unsigned with a VOI LUT Sequence (PS3.3 C.11.2.1.1): 3000 entries from
    stored value 500, 12-bit output (a square-root curve). y = LUT[clamp(x - 500, 0, 2999)]
    scaled from the LUT's output range 0..4095 to 0..255."""
    name = "m2_u12_voilut"
    path = f"{OUT}/{name}.dcm"
    stored = pixels(0, 4095, seed=n)
    ds = dataset(path, n, "MONOCHROME2", 16, 12, False, stored)
    first, count, bits = 500, 3000, 12
    lut = np.round(np.sqrt(np.arange(count) / (count - 1)) * (2**bits - 1)).astype(np.uint16)
    item = Dataset()
    item.LUTDescriptor = [count, first, bits]
    item.LUTData = lut.tolist()
    item["LUTData"].VR = "US"
    ds.VOILUTSequence = Sequence([item])
    ds.save_as(path, write_like_original=False)
    y = lut[np.clip(stored - first, 0, count - 1)] * 255.0 / (2**bits - 1)
    return name, y.astype(np.float32)


def write_presentation_lut_case(n):
    """MONOCHROME2 8-bit with Presentation LUT Shape INVERSE (PS3.3 C.11.6.1.2: the output is
    inverted, as MONOCHROME1 is) and no window: y = 255 - 255 (x - min) / (max - min)."""
    name = "m2_u8_plut_inverse"
    path = f"{OUT}/{name}.dcm"
    stored = pixels(3, 250, seed=n)
    ds = dataset(path, n, "MONOCHROME2", 8, 8, False, stored)
    ds.PresentationLUTShape = "INVERSE"
    ds.save_as(path, write_like_original=False)
    m = stored.astype(np.float64)
    y = 255.0 - linear_window(m, (m.min() + m.max() + 1) / 2, m.max() - m.min() + 1)
    return name, y.astype(np.float32)


def compress(name):
    src = f"{OUT}/{name}.dcm"
    for tool, args, suffix in (("dcmcjpeg", ["+e1"], "jpegll"), ("dcmcrle", [], "rle"),
                               ("dcmcjpls", [], "jpls")):
        subprocess.run([tool, *args, src, f"{OUT}/{name}.{suffix}.dcm"], check=True)


def write_bad():
    # RGB: a colour image, refused by PhotometricInterpretation.
    rgb = dataset(f"{OUT}/bad_rgb.dcm", 90, "RGB", 8, 8, False, np.zeros((H, W * 3)))
    rgb.SamplesPerPixel, rgb.PlanarConfiguration = 3, 0
    rgb.save_as(f"{OUT}/bad_rgb.dcm", write_like_original=False)
    # JPEG 2000 transfer syntax with an encapsulated (fake) code stream: refused by the syntax.
    j2k = dataset(f"{OUT}/bad_j2k.dcm", 91, "MONOCHROME2", 16, 12, False, np.zeros((H, W)))
    j2k.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.90"
    j2k.PixelData = encapsulate([b"\xff\x4f\xff\x51" + b"\0" * 60])
    j2k["PixelData"].is_undefined_length = True
    j2k["PixelData"].VR = "OB"
    j2k.save_as(f"{OUT}/bad_j2k.dcm", write_like_original=False)
    # Two frames: not one radiograph.
    mf = dataset(f"{OUT}/bad_multiframe.dcm", 92, "MONOCHROME2", 8, 8, False,
                 np.zeros((2 * H, W)))
    mf.NumberOfFrames = 2
    mf.save_as(f"{OUT}/bad_multiframe.dcm", write_like_original=False)
    # Native pixel data shorter than Rows x Columns (40 of 48 rows): DCMTK alone would pad them.
    short = dataset(f"{OUT}/bad_short_pixels.dcm", 93, "MONOCHROME2", 8, 8, False,
                    np.zeros((40, W)))
    short.save_as(f"{OUT}/bad_short_pixels.dcm", write_like_original=False)
    # A declared length of 0xFFFFFFF0 in a 3.6 kB file, in the meta header's first element and in
    # the pixel data: the parse must end at the end of the data, never allocate 4 GiB (fuzz_dicom).
    with open(f"{OUT}/m2_u8_minmax.dcm", "rb") as f:
        data = f.read()
    for name, tag in (("bad_huge_meta", b"\x02\x00\x01\x00OB\0\0"),
                      ("bad_huge_pixels", b"\xe0\x7f\x10\x00OB\0\0")):
        at = data.index(tag) + 8
        with open(f"{OUT}/{name}.dcm", "wb") as f:
            f.write(data[:at] + struct.pack("<I", 0xFFFFFFF0) + data[at + 4:])
    # Truncated inside the pixel data.
    with open(f"{OUT}/m2_u12_window.dcm", "rb") as f:
        data = f.read()
    with open(f"{OUT}/bad_truncated.dcm", "wb") as f:
        f.write(data[: len(data) * 2 // 3])


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    for n, case in enumerate(CASES, start=1):
        expected[case[0]] = write_case(n, case)
        if case[-1]:
            compress(case[0])
        # pydicom reads back what it wrote (a check of the writer, not of cxrgaze)
        back = pydicom.dcmread(f"{OUT}/{case[0]}.dcm")
        assert back.Rows == H and back.Columns == W
    name, expected[name] = write_voi_lut_case(len(CASES) + 1)
    name, expected[name] = write_presentation_lut_case(len(CASES) + 2)
    write_bad()
    write_safetensors(f"{OUT}/dicom_expected.safetensors", expected)
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
