"""Make styles/letterhead.png: the neutral placeholder letterhead imrgen ships (never a real
organization's logo). 376 x 92 pixels, the published logo's size; run again to remake it."""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 376, 92
OUT = Path(__file__).resolve().parent.parent / "styles" / "letterhead.png"


def main() -> None:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    grey = (150, 150, 150)
    draw.rectangle((1, 1, WIDTH - 2, HEIGHT - 2), outline=grey, width=2)
    font = ImageFont.truetype(str(OUT.parent / "fonts" / "LiberationSans-Regular.ttf"), 30)
    small = ImageFont.truetype(str(OUT.parent / "fonts" / "LiberationSans-Regular.ttf"), 18)
    draw.text((WIDTH / 2, 36), "LETTERHEAD", fill=grey, font=font, anchor="mm")
    draw.text((WIDTH / 2, 66), "review organization", fill=grey, font=small, anchor="mm")
    image.save(OUT, optimize=True)


if __name__ == "__main__":
    main()
