"""Multi-frame exports written one frame at a time: GIF animations and PDF slides.

Each frame arrives as PNG bytes; it is decoded, centred on a white canvas as large as
the largest frame, written, and dropped before the next one is decoded, so memory holds
one decoded frame however many there are (Pillow's own multi-frame writers keep them all).

A GIF is assembled from single-frame GIFs: each frame keeps its own colour table (a
*local* table), after a Graphic Control Extension with its delay::

    GIF89a · screen (canvas size, no global table) · NETSCAPE2.0 loop
    · for each frame: control (delay) · image descriptor + local table · LZW data
    · trailer
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["write_gif", "write_pdf"]


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header, without decoding it."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _canvases(pngs: Sequence[bytes]) -> Iterator[Any]:
    """Each frame decoded and centred on a white canvas of the largest frame's size."""
    from PIL import Image

    sizes = [png_size(p) for p in pngs]
    width = max(w for w, _ in sizes)
    height = max(h for _, h in sizes)
    for png, (w, _) in zip(pngs, sizes):
        with Image.open(io.BytesIO(png)) as im:
            canvas = Image.new("RGB", (width, height), "white")
            canvas.paste(im.convert("RGB"), ((width - w) // 2, 0))
        yield canvas
        canvas.close()


def write_pdf(path: Path, pngs: Sequence[bytes], dpi: float) -> None:
    """One PDF page per frame, each an RGB image (Flate-compressed), written one at a time.

    Objects: 1 the catalog, 2 the page tree (written last, once every page is known),
    then for each page its page object, its image and its content stream.
    """
    import zlib

    scale = 72.0 / dpi  # PDF units (1/72 inch) per pixel
    offsets: dict[int, int] = {}
    kids: list[int] = []
    with open(path, "wb") as out:

        def obj(number: int, body: bytes, stream: bytes | None = None) -> None:
            offsets[number] = out.tell()
            out.write(b"%d 0 obj\n" % number + body)
            if stream is not None:
                out.write(b"\nstream\n" + stream + b"\nendstream")
            out.write(b"\nendobj\n")

        out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        number = 3
        for canvas in _canvases(pngs):
            w, h = canvas.size
            page, image, content = number, number + 1, number + 2
            number += 3
            kids.append(page)
            size = f"{w * scale:.2f} {h * scale:.2f}"
            obj(page, (
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {size}] "
                f"/Resources << /XObject << /Im0 {image} 0 R >> >> /Contents {content} 0 R >>"
            ).encode())  # fmt: skip
            pixels = zlib.compress(canvas.tobytes(), 6)
            obj(image, (
                f"<< /Type /XObject /Subtype /Image /Width {w} /Height {h} "
                "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode "
                f"/Length {len(pixels)} >>"
            ).encode(), pixels)  # fmt: skip
            draw = f"q {w * scale:.2f} 0 0 {h * scale:.2f} 0 0 cm /Im0 Do Q".encode()
            obj(content, b"<< /Length %d >>" % len(draw), draw)
        pages = " ".join(f"{k} 0 R" for k in kids)
        obj(2, f"<< /Type /Pages /Kids [{pages}] /Count {len(kids)} >>".encode())
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % number)
        for k in range(1, number):
            out.write(b"%010d 00000 n \n" % offsets[k])
        trailer = b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        out.write(trailer % (number, xref))


def _blocks(data: bytes, pos: int) -> int:
    """The position after a run of GIF sub-blocks (ended by a zero-length block)."""
    while data[pos]:
        pos += data[pos] + 1
    return pos + 1


def _gif_frame(canvas: Any) -> tuple[bytes, bytes, bytes]:
    """(colour table, image descriptor without its separator, LZW data) of one frame."""
    buffer = io.BytesIO()
    canvas.quantize(256).save(buffer, format="GIF")
    data = buffer.getvalue()
    packed = data[10]
    pos = 13
    table = b""
    bits = 0
    if packed & 0x80:
        bits = packed & 0x07
        size = 3 * 2 ** (bits + 1)
        table, pos = data[pos : pos + size], pos + size
    while data[pos] == 0x21:  # extensions: skip
        pos = _blocks(data, pos + 2)
    if data[pos] != 0x2C:
        raise ValueError("unexpected GIF block from the encoder")
    descriptor = bytearray(data[pos + 1 : pos + 10])
    pos += 10
    if descriptor[8] & 0x80:  # the frame brought its own table
        bits = descriptor[8] & 0x07
        size = 3 * 2 ** (bits + 1)
        table, pos = data[pos : pos + size], pos + size
    descriptor[8] = (descriptor[8] & 0x40) | 0x80 | bits  # keep interlacing; local table
    end = _blocks(data, pos + 1)
    return table, bytes(descriptor), data[pos:end]


def write_gif(path: Path, pngs: Sequence[bytes], duration_ms: int) -> None:
    """An animated GIF, looping, ``duration_ms`` per frame, written one frame at a time."""
    sizes = [png_size(p) for p in pngs]
    width, height = max(w for w, _ in sizes), max(h for _, h in sizes)
    delay = max(1, min(65535, round(duration_ms / 10)))  # GIF delays are in 1/100 s
    with open(path, "wb") as out:
        out.write(b"GIF89a" + struct.pack("<HHBBB", width, height, 0x70, 0, 0))
        out.write(b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00")  # loop for ever
        for canvas in _canvases(pngs):
            table, descriptor, lzw = _gif_frame(canvas)
            out.write(b"\x21\xf9\x04" + struct.pack("<BHBB", 0x04, delay, 0, 0))
            out.write(b"\x2c" + descriptor + table + lzw)
        out.write(b"\x3b")
