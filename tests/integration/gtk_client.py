#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A Wayland test client for mutter_util: shows a PNG fullscreen at 1:1
(GTK 3, no decorations) and reports on stdout, one line each:

    mapped W H            the window was drawn at W x H
    key KEYSYM_NAME       a key press (Gdk.keyval_name)
    button N X Y          a button press at window coordinates

    gtk_client.py IMAGE.png
"""
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GdkPixbuf, GLib, Gtk  # noqa: E402


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

    def on_key(widget, ev):
        say(f"key {Gdk.keyval_name(ev.keyval)}")
        return True

    def on_button(widget, ev):
        say(f"button {ev.button} {int(ev.x)} {int(ev.y)}")
        return True

    win.connect("map-event", on_mapped)
    win.add_events(Gdk.EventMask.KEY_PRESS_MASK |
                   Gdk.EventMask.BUTTON_PRESS_MASK)
    win.connect("key-press-event", on_key)
    win.connect("button-press-event", on_button)
    win.connect("destroy", Gtk.main_quit)
    win.add(image)
    win.fullscreen()
    win.show_all()
    Gtk.main()


if __name__ == "__main__":
    main()
