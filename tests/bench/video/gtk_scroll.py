#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Wayland bench's scrolling workload: a GTK 3 window, full-screen,
printing deterministic numbered text lines at a fixed rate like a
terminal (each new line pushes the page up by one line height). The
same program runs on X11 (GDK_BACKEND=x11, no window manager: it places
itself at 0,0 with the screen's size), sway and Mutter (GDK_BACKEND=
wayland), so the three displays show the same pixels.

    gtk_scroll.py WIDTH HEIGHT LINES_PER_S [REDRAWS_PER_S]

Says on stdout "mapped W H" once drawn at its full size. The page is
kept in an image surface and moved up by blitting (what a terminal
does), so a redraw costs one full-window paint plus the new lines.
SIGSTOP freezes it (the bench's PSNR grab)."""
import os
import sys
import time

import cairo
import gi

gi.require_version("Gtk", "3.0")
gi.require_foreign("cairo")
from gi.repository import GLib, Gtk  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "integration"))
from gtk_client import run_fullscreen  # noqa: E402

BG = (0x2e / 255, 0x34 / 255, 0x40 / 255)
FG = (0xd8 / 255, 0xde / 255, 0xe9 / 255)
FONT_PX = 11
LINE_PX = 13
WORDS = ("remote support agents stream pixels over the network while "
         "encoders search motion vectors in scrolling text pages of "
         "numbered lines lorem ipsum dolor sit amet").split()


def line_text(i, cols):
    """Line i: its number and words picked by a hash of i (any line can
    be drawn again identically, whatever came before)."""
    h = (i * 2654435761 + 97) & 0xffffffff
    n = 4 + h % (cols // 6)
    out = [f"{i:08d}"]
    for k in range(n):
        h = (h * 1103515245 + 12345 + k) & 0x7fffffff
        out.append(WORDS[(h >> 8) % len(WORDS)])
    return " ".join(out)[:cols]


class Page:
    """Two image surfaces: the page shown, and the next one built from
    it moved up plus the new lines."""

    def __init__(self, w, h):
        self.w, self.h = w, h
        self.rows = h // LINE_PX
        self.front = cairo.ImageSurface(cairo.FORMAT_RGB24, w, h)
        self.back = cairo.ImageSurface(cairo.FORMAT_RGB24, w, h)
        self.printed = 0
        cr = cairo.Context(self.front)
        cr.set_source_rgb(*BG)
        cr.paint()
        self.cols = w // 6

    def advance(self, total):
        """Print lines up to number total (exclusive)."""
        new = total - self.printed
        if new <= 0:
            return False
        cr = cairo.Context(self.back)
        cr.set_source_rgb(*BG)
        cr.paint()
        keep = max(0, self.rows - new)
        if keep:
            cr.set_source_surface(self.front, 0, -new * LINE_PX)
            cr.paint()
        cr.select_font_face("monospace")
        cr.set_font_size(FONT_PX)
        cr.set_source_rgb(*FG)
        first = total - min(new, self.rows)
        for k, i in enumerate(range(first, total)):
            cr.move_to(2, (keep + k) * LINE_PX + FONT_PX - 1)
            cr.show_text(line_text(i, self.cols))
        self.front, self.back = self.back, self.front
        self.printed = total
        return True


def main():
    w, h, rate = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    redraws = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
    page = Page(w, h)
    win = Gtk.Window(title="outpost-bench-scroll")
    win.set_default_size(w, h)
    win.move(0, 0)
    area = Gtk.DrawingArea()
    area.set_size_request(w, h)
    state = {"said": False, "t0": None}

    def draw(widget, cr):
        cr.set_source_surface(page.front, 0, 0)
        cr.paint()
        a = widget.get_allocation()
        if not state["said"] and (a.width, a.height) == (w, h):
            state["said"] = True
            state["t0"] = time.monotonic()
            print(f"mapped {a.width} {a.height}", flush=True)
        return True

    def tick():
        if state["t0"] is not None:
            total = int((time.monotonic() - state["t0"]) * rate)
            if page.advance(total):
                area.queue_draw()
        return True

    area.connect("draw", draw)
    GLib.timeout_add(max(1, round(1000 / redraws)), tick)
    run_fullscreen(win, area)


if __name__ == "__main__":
    main()
