"""Draw the Teams app icons: color.png (192x192) and outline.png (32x32).

Run from the repo root after changing the design, then commit both PNGs:

    .venv/bin/python manifest/make_icons.py

The design is a shield with a tick, drawn from shapes only (no fonts, so the result does not
depend on what is installed). Shapes are drawn at 8x and scaled down for smooth edges.

Teams' rules: the colour icon is 192x192 and fills its square (Teams rounds the corners); the
outline icon is 32x32, white on a fully transparent background, and has no other colour.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
ACCENT = (0x1D, 0x4F, 0x91)  # must match "accentColor" in manifest.json
WHITE = (255, 255, 255)
SCALE = 8


def _bezier(p0, p1, p2, steps: int = 24) -> list[tuple[float, float]]:
    """Points on a quadratic Bezier curve from p0 to p2 with control point p1."""
    points = []
    for i in range(steps + 1):
        t = i / steps
        x = (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * p1[0] + t**2 * p2[0]
        y = (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * p1[1] + t**2 * p2[1]
        points.append((x, y))
    return points


def shield(left: float, top: float, width: float, height: float) -> list[tuple[float, float]]:
    """A shield outline (clockwise polygon) inside the given box."""

    def at(u: float, v: float) -> tuple[float, float]:
        return (left + u * width, top + v * height)

    points = _bezier(at(0.0, 0.12), at(0.5, 0.08), at(0.5, 0.0))[:-1]  # left shoulder up to the top notch
    points += _bezier(at(0.5, 0.0), at(0.5, 0.08), at(1.0, 0.12))[:-1]  # down to the right shoulder
    points += [at(1.0, 0.12), at(1.0, 0.45)]  # right side
    points += _bezier(at(1.0, 0.45), at(1.0, 0.82), at(0.5, 1.0))[1:-1]  # curve to the point
    points += _bezier(at(0.5, 1.0), at(0.0, 0.82), at(0.0, 0.45))  # and back up the left
    return points


def tick(left: float, top: float, width: float, height: float) -> list[tuple[float, float]]:
    """The three points of a tick mark inside the given box."""
    return [
        (left + 0.00 * width, top + 0.55 * height),
        (left + 0.38 * width, top + 0.92 * height),
        (left + 1.00 * width, top + 0.08 * height),
    ]


def _scaled(points, factor: float):
    return [(x * factor, y * factor) for x, y in points]


def make_color(size: int = 192) -> Image.Image:
    """White shield with an accent-coloured tick, on a full square of the accent colour."""
    big = size * SCALE
    image = Image.new("RGB", (big, big), ACCENT)
    draw = ImageDraw.Draw(image)
    # The symbol stays well inside the square: Teams crops the corners of colour icons.
    draw.polygon(_scaled(shield(52, 38, 88, 112), SCALE), fill=WHITE)
    draw.line(_scaled(tick(72, 74, 48, 40), SCALE), fill=ACCENT, width=11 * SCALE, joint="curve")
    for x, y in _scaled(tick(72, 74, 48, 40), SCALE)[::2]:  # round the tick's two ends
        r = 5.5 * SCALE
        draw.ellipse((x - r, y - r, x + r, y + r), fill=ACCENT)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def make_outline(size: int = 32) -> Image.Image:
    """White shield outline with a white tick; every pixel is white, only alpha varies."""
    big = size * SCALE
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    outline = _scaled(shield(6, 3.5, 20, 25), SCALE)
    draw.line(outline + outline[:2], fill=255, width=int(2.2 * SCALE), joint="curve")
    mark = _scaled(tick(11, 11, 10, 8.5), SCALE)
    draw.line(mark, fill=255, width=int(2.4 * SCALE), joint="curve")
    for x, y in mark[::2]:
        r = 1.2 * SCALE
        draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    alpha = mask.resize((size, size), Image.Resampling.LANCZOS)
    image = Image.new("RGBA", (size, size), (*WHITE, 0))
    image.putalpha(alpha)
    return image


def main() -> None:
    make_color().save(HERE / "color.png", optimize=True)
    make_outline().save(HERE / "outline.png", optimize=True)
    print(f"wrote {HERE / 'color.png'} and {HERE / 'outline.png'}")


if __name__ == "__main__":
    main()
