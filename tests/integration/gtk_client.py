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


def main():
    pix = GdkPixbuf.Pixbuf.new_from_file(sys.argv[1])
    win = Gtk.Window(title="outpost-mutter-test")
    win.set_decorated(False)
    image = Gtk.Image.new_from_pixbuf(pix)

    def on_mapped(widget, ev):
        # Give the first frame time to reach the compositor.
        a = image.get_allocation()
        GLib.timeout_add(500, lambda: say(
            f"mapped {a.width} {a.height}") and False)
        return False

    win.connect("map-event", on_mapped)
    win.connect("destroy", Gtk.main_quit)
    win.add(image)
    win.fullscreen()
    win.show_all()
    Gtk.main()


if __name__ == "__main__":
    main()
