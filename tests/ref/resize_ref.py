#!/usr/bin/python3
"""Pillow reference outputs for tests/io/test_image.c (resize, colour -> gray, JPEG DCT scaling).

Run from the repository root with Debian's Python (Pillow 9.4):

    /usr/bin/python3 tests/ref/resize_ref.py

Writes tests/fixtures/resize_*.png (8-bit PNGs, a few KB to ~100 KB each):
  resize_src.png            97x61 gray source: smooth pattern + seeded noise
  resize_src_40x25.png      Image.resize((40, 25), Image.BILINEAR)   (downscale, antialiased)
  resize_src_23x50.png      Image.resize((23, 50), Image.BILINEAR)   (down in x, up in y)
  resize_src_fit32.png      torchvision-style Resize(32) + CenterCrop(32): resize to
                            (int(32*97/61), 32) = (50, 32), crop left = (50-32)//2 = 9
  resize_rgb_src.png        24x16 RGB random
  resize_rgb_gray.png       convert('L') of it (ITU-R 601-2 luma as Pillow computes it)
  resize_nih1_224.png       real NIH 512x512 gray PNG -> resize((224, 224), BILINEAR)
  resize_nih2578_224.png    real NIH 1024x1024 RGBA PNG -> convert('L') -> resize((224, 224))
  resize_mcu1_draft224.png  real Montgomery 512x512 JPEG, draft('L', (224, 224)) (libjpeg DCT
                            scaling to 1/2 = 256x256) -> resize((224, 224), BILINEAR)
"""
import os

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "tests", "fixtures")
REAL = os.path.join(FIX, "real")


def save(img, name):
    img.save(os.path.join(FIX, name), optimize=True)
    print(name, img.mode, img.size)


def main():
    rng = np.random.default_rng(20240601)
    h, w = 61, 97
    yy, xx = np.mgrid[0:h, 0:w]
    smooth = 128 + 90 * np.sin(xx / 7.0) * np.cos(yy / 5.0)
    src = np.clip(smooth + rng.normal(0, 20, size=(h, w)), 0, 255).astype(np.uint8)
    # Hard edges too: a bright square and a dark bar.
    src[10:20, 60:75] = 255
    src[40:44, :] = 0
    im = Image.fromarray(src, mode="L")
    save(im, "resize_src.png")
    save(im.resize((40, 25), Image.BILINEAR), "resize_src_40x25.png")
    save(im.resize((23, 50), Image.BILINEAR), "resize_src_23x50.png")
    rw = int(32 * w / h)
    left = (rw - 32) // 2
    save(im.resize((rw, 32), Image.BILINEAR).crop((left, 0, left + 32, 32)), "resize_src_fit32.png")

    rgb = rng.integers(0, 256, size=(16, 24, 3), dtype=np.uint8)
    rgb[0, :3] = [[255, 255, 255], [255, 0, 0], [0, 0, 255]]
    im_rgb = Image.fromarray(rgb, mode="RGB")
    save(im_rgb, "resize_rgb_src.png")
    save(im_rgb.convert("L"), "resize_rgb_gray.png")

    nih1 = Image.open(os.path.join(REAL, "nih", "00000001_000.png"))
    assert nih1.mode == "L"
    save(nih1.resize((224, 224), Image.BILINEAR), "resize_nih1_224.png")
    nih2 = Image.open(os.path.join(REAL, "nih", "00002578_000.png"))
    assert nih2.mode == "RGBA"
    save(nih2.convert("L").resize((224, 224), Image.BILINEAR), "resize_nih2578_224.png")

    mcu = Image.open(os.path.join(REAL, "montgomery", "MCU_1.jpg"))
    mcu.draft("L", (224, 224))
    assert mcu.size == (256, 256), mcu.size
    save(mcu.convert("L").resize((224, 224), Image.BILINEAR), "resize_mcu1_draft224.png")


if __name__ == "__main__":
    main()
