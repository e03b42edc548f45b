#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A Wayland test client for mutter_util: shows a PNG fullscreen at 1:1
(GTK 3, no decorations) and says on stdout

    mapped W H            the window was drawn at W x H

(The input test uses wev instead: GTK 3 under headless Mutter sometimes
held key events back for seconds.)

    gtk_client.py IMAGE.png
"""
import sys

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import GdkPixbuf, GLib, Gtk  # noqa: E402


def say(text):
    print(text, flush=True)


def run_fullscreen(win, child):
    """Shows win undecorated and full-screen holding child, until closed
    (also tests/bench/video/gtk_scroll.py's)."""
    win.set_decorated(False)
    win.connect("destroy", Gtk.main_quit)
    win.add(child)
    win.fullscreen()
    win.show_all()
    Gtk.main()


def main():
    pix = GdkPixbuf.Pixbuf.new_from_file(sys.argv[1])
    win = Gtk.Window(title="outpost-mutter-test")
    image = Gtk.Image.new_from_pixbuf(pix)

    def on_mapped(widget, ev):
        # Give the first frame time to reach the compositor.
        a = image.get_allocation()
        GLib.timeout_add(500, lambda: say(
            f"mapped {a.width} {a.height}") and False)
        return False

    win.connect("map-event", on_mapped)
    run_fullscreen(win, image)


if __name__ == "__main__":
    main()
