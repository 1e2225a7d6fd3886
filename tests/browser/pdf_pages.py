"""A downloaded PDF's pages as images and as text, for the browser tests that look at them."""

from __future__ import annotations

import pypdfium2
from PIL import Image

__all__ = ["ink", "page_images", "pdf_text"]


def ink(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    """The share of non-white pixels inside ``box`` (left, top, right, bottom)."""
    histogram = image.crop(box).convert("L").histogram()
    return sum(histogram[:200]) / max(sum(histogram), 1)


def page_images(pdf: bytes) -> list[Image.Image]:
    """Every page rendered at one pixel per point: 612 x 792 for Letter."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [document[i].render(scale=1).to_pil().convert("RGB") for i in range(len(document))]
    finally:
        document.close()


def pdf_text(pdf: bytes) -> str:
    """The text of every page, pages joined by newlines."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()
