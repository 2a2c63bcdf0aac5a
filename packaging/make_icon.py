"""Draw the app icon: a blue rounded square with a white 访 (信访, petition reception) and a small white bar below
it (the reception counter). Writes ``resources/icons/app.ico`` (16, 24, 32, 48, 64, 128, 256 px, for the
executables, the installer and the shortcuts) and ``resources/icons/app.png`` (256 px, the window icon).

Run from the repository root when the design changes:  python packaging/make_icon.py
Needs Pillow (installed with ReportLab) and the shipped font resources/fonts/wqy-microhei.ttc.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
FONT = ROOT / "resources" / "fonts" / "wqy-microhei.ttc"
OUT = ROOT / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256)
BLUE = (21, 101, 192, 255)  # the navigation's selection colour (#1565c0)
WHITE = (255, 255, 255, 255)


def draw(size: int) -> Image.Image:
    """One size drawn at 4x and scaled down (smooth edges); small sizes get a bolder glyph."""
    scale = 4
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(image)
    radius = big * 0.2
    d.rounded_rectangle((0, 0, big - 1, big - 1), radius=radius, fill=BLUE)
    font = ImageFont.truetype(str(FONT), int(big * (0.74 if size <= 24 else 0.64)))
    text = "访"
    left, top, right, bottom = d.textbbox((0, 0), text, font=font)
    w, h = right - left, bottom - top
    y_shift = 0.0 if size <= 24 else big * 0.06
    x = (big - w) / 2 - left
    y = (big - h) / 2 - top - y_shift
    stroke = max(1, big // 64) if size <= 32 else 0
    d.text((x, y), text, font=font, fill=WHITE, stroke_width=stroke, stroke_fill=WHITE)
    if size > 24:  # the counter: a bar under the character
        bar_h = big * 0.055
        bar_y = big * 0.84
        d.rounded_rectangle((big * 0.2, bar_y, big * 0.8, bar_y + bar_h), radius=bar_h / 2, fill=WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    images = [draw(s) for s in SIZES]
    largest = images[-1]
    largest.save(OUT / "app.ico", format="ICO", sizes=[(s, s) for s in SIZES],
                 append_images=images[:-1])
    largest.save(OUT / "app.png", format="PNG", optimize=True)
    print(f"wrote {OUT / 'app.ico'} ({', '.join(map(str, SIZES))} px) and {OUT / 'app.png'}")


if __name__ == "__main__":
    main()
