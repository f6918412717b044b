"""Text that fits its room: measured widths, wrapping at spaces (then after ``_-/,``), shrinking
before a word is cut, and figure titles that wrap and make room for themselves."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1)
def _measuring_renderer():
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(8, 8, 72)  # 72 dpi: widths come out in points


def text_width_in(text: str, fontsize: float) -> float:
    """Width in inches of ``text`` (its widest line) drawn in the default font at ``fontsize`` points."""
    from matplotlib.font_manager import FontProperties

    font = FontProperties(size=fontsize)
    renderer = _measuring_renderer()
    lines = [line for line in str(text).split("\n") if line] or [""]
    return max(renderer.get_text_width_height_descent(line, font, ismath=False)[0] for line in lines) / 72


def wrap_text(text: str, width_in: float, fontsize: float) -> str:
    """``text`` broken into lines no wider than ``width_in`` at ``fontsize``: at spaces first, a longer
    word after ``_``, ``-``, ``/`` or ``,`` (or anywhere, as a last resort). Existing line breaks stay."""
    lines = []
    for paragraph in str(text).split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if not line or text_width_in(candidate, fontsize) <= width_in:
                line = candidate
                if text_width_in(line, fontsize) <= width_in:
                    continue
                *done, line = _split_word(line, width_in, fontsize)
                lines.extend(done)
                continue
            lines.append(line)
            *done, line = _split_word(word, width_in, fontsize)
            lines.extend(done)
        lines.append(line)
    return "\n".join(lines)


def _split_word(word: str, width_in: float, fontsize: float) -> list[str]:
    """``word`` as lines no wider than ``width_in``, broken after ``_-/,`` where possible."""
    pieces = [piece for piece in re.split(r"(?<=[_\-/,])", word) if piece]
    lines, line = [], ""
    for piece in pieces:
        if line and text_width_in(line + piece, fontsize) > width_in:
            lines.append(line)
            line = ""
        line += piece
        while len(line) > 1 and text_width_in(line, fontsize) > width_in:  # no break point left: cut it
            fits = [i for i in range(1, len(line)) if text_width_in(line[:i], fontsize) <= width_in]
            cut = fits[-1] if fits else 1
            lines.append(line[:cut])
            line = line[cut:]
    return [*lines, line]


def fit_text(text: str, width_in: float, fontsize: float, smallest: float = 6.0) -> tuple[str, float]:
    """``text`` wrapped to ``width_in`` at the largest size from ``fontsize`` down to ``smallest`` at which
    no word (a run between spaces or after ``_-/,``) has to be cut. Returns ``(wrapped text, size)``."""
    size = fontsize
    while size > smallest and not words_fit(text, width_in, size):
        size -= 0.5
    return wrap_text(text, width_in, size), size


def words_fit(text: str, width_in: float, fontsize: float) -> bool:
    """Whether every word of ``text`` (a run between spaces or after ``_-/,``) fits ``width_in``."""
    words = [w for w in re.split(r"[ \n]|(?<=[_\-/,])", str(text)) if w]
    return all(text_width_in(word, fontsize) <= width_in for word in words)


def set_suptitle(figure, title: str, fontsize: float = 9) -> None:
    """The figure's title wrapped to its width; the figure grows by the lines the title takes."""
    if not title:
        return
    width, height = figure.get_size_inches()
    wrapped = wrap_text(title, width - 0.3, fontsize)
    figure.set_size_inches(width, height + (wrapped.count("\n") + 1) * fontsize * 1.35 / 72)
    figure.suptitle(wrapped, fontsize=fontsize)
