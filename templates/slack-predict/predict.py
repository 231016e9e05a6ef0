"""`/predict <image-url>`: download the image, describe it, answer in Slack.

The command is read and the answer sent through the generated slack_payload module
(`hooklaunch codegen --connector slack`): load() checks every field, respond() posts to the
command's response_url, or through the Web API with $SLACK_BOT_TOKEN once that has expired.

The "model" is honest image statistics computed with the standard library (size, format, and
for PNG the mean brightness and dominant channel); swap `describe()` for a real model.
"""
import argparse
import json
import os
import struct
import urllib.parse
import urllib.request
import zlib

import slack_payload

parser = argparse.ArgumentParser()
parser.add_argument("--response-url-hosts", default="hooks.slack.com")
parser.add_argument("--max-image-bytes", type=int, default=20_000_000)
args = parser.parse_args()

command = slack_payload.expect_slash_command(slack_payload.load("payload"))
allowed_hosts = tuple(h.strip() for h in args.response_url_hosts.split(",") if h.strip())
words = command.text.split()
if not words:
    raise SystemExit("usage: /predict <image-url>")
image_url = words[0]


def download(url: str, limit: int) -> bytes:
    if urllib.parse.urlparse(url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url}")
    with urllib.request.urlopen(url, timeout=20) as response:
        data = response.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"image larger than {limit} bytes")
    return data


def png_pixels(data: bytes):
    """Decodes 8-bit RGB/RGBA/grey PNGs (no interlacing) into rows of pixel tuples."""
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        return width, height, None
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw, stride, rows, previous = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, up_left = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
        rows.append([tuple(line[i:i + channels]) for i in range(0, stride, channels)])
        previous = line
    return width, height, rows


def describe(data: bytes) -> dict:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        width, height, rows = png_pixels(data)
        result = {"format": "png", "width": width, "height": height}
        if rows:
            pixels = [p for row in rows for p in row]
            means = [sum(p[c] for p in pixels) / len(pixels) for c in range(min(3, len(pixels[0])))]
            result["brightness"] = round(sum(means) / len(means) / 255, 3)
            if len(means) == 3:
                result["dominant_channel"] = "rgb"[means.index(max(means))]
        return result
    if data[:3] == b"\xff\xd8\xff":
        pos = 2
        while pos < len(data) - 9:
            marker, length = data[pos + 1], struct.unpack(">H", data[pos + 2:pos + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
                return {"format": "jpeg", "width": width, "height": height}
            pos += 2 + length
        return {"format": "jpeg"}
    return {"format": "unknown", "bytes": len(data)}


try:
    result = describe(download(image_url, args.max_image_bytes))
    size = f"{result.get('width', '?')}x{result.get('height', '?')}"
    text = f"<@{command.user_id}> {image_url}: {result['format']} {size}"
    if "brightness" in result:
        text += f", brightness {result['brightness']}, mostly {result.get('dominant_channel', 'grey')}"
except Exception as error:  # report every failure back to the user, then fail the execution
    command.respond(f"<@{command.user_id}> could not analyse {image_url}: {error}", ephemeral=False, allowed_hosts=allowed_hosts)
    raise

os.makedirs(os.environ.get("VH_OUTPUTS_DIR", "outputs"), exist_ok=True)
with open(os.path.join(os.environ.get("VH_OUTPUTS_DIR", "outputs"), "prediction.json"), "w") as f:
    json.dump({"url": image_url, **result}, f)
print(json.dumps({"image_width": result.get("width"), "image_height": result.get("height"), "brightness": result.get("brightness")}))
command.respond(text, ephemeral=False, allowed_hosts=allowed_hosts)
