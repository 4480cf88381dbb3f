#!/usr/bin/env python3
"""A GTK3 drop target in its own process, as a file manager's window is to Cirrus.

Usage: drop_target.py MODE DIR X Y
MODE "xds": prefers XdndDirectSave0 (names DIR/<proposed name> to the source, as Thunar and
Nemo do), else text/uri-list. MODE "uris": text/uri-list only (copies the dropped files into
DIR). Prints one line per event on stdout ("READY", "XDS <answer>", "URIS <count>").
"""
import os
import shutil
import sys
import urllib.parse
import urllib.request

import ctypes
import ctypes.util

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
gi.require_version("GdkX11", "3.0")
from gi.repository import Gdk, GdkX11, GLib, Gtk  # noqa: E402,F401

# PyGObject cannot call gdk_property_get, so the XDS property goes through Xlib itself.
X11 = ctypes.CDLL(ctypes.util.find_library("X11"))
X11.XOpenDisplay.restype = ctypes.c_void_p
X11.XOpenDisplay.argtypes = [ctypes.c_char_p]
X11.XInternAtom.restype = ctypes.c_ulong
X11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
X11.XGetWindowProperty.argtypes = [
    ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_long, ctypes.c_long, ctypes.c_int,
    ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_int),
    ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_void_p),
]
X11.XChangeProperty.argtypes = [
    ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
    ctypes.c_char_p, ctypes.c_int,
]
DPY = X11.XOpenDisplay(None)
XDS_X = X11.XInternAtom(DPY, b"XdndDirectSave0", 0)
TEXT_X = X11.XInternAtom(DPY, b"text/plain", 0)


def get_xds(xid):
    kind, fmt, n, after, data = ctypes.c_ulong(), ctypes.c_int(), ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_void_p()
    X11.XGetWindowProperty(DPY, xid, XDS_X, 0, 1024, 0, 0, ctypes.byref(kind), ctypes.byref(fmt),
                           ctypes.byref(n), ctypes.byref(after), ctypes.byref(data))
    return ctypes.string_at(data, n.value).decode() if data.value else None


def set_xds(xid, value):
    raw = value.encode()
    X11.XChangeProperty(DPY, xid, XDS_X, TEXT_X, 8, 0, raw, len(raw))
    X11.XFlush(DPY)

mode, folder, x, y = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
XDS = Gdk.Atom.intern("XdndDirectSave0", False)


def say(line):
    print(line, flush=True)


win = Gtk.Window(title="Cirrus drop target")
win.set_default_size(360, 360)
win.move(x, y)
area = Gtk.EventBox()
area.add(Gtk.Label(label="drop here"))
win.add(area)
entries = [Gtk.TargetEntry.new("text/uri-list", Gtk.TargetFlags.OTHER_APP, 2)]
if mode == "xds":
    entries.insert(0, Gtk.TargetEntry.new("XdndDirectSave0", Gtk.TargetFlags.OTHER_APP, 1))
area.drag_dest_set(0, entries, Gdk.DragAction.COPY)


def on_motion(widget, ctx, x, y, time):
    Gdk.drag_status(ctx, Gdk.DragAction.COPY, time)
    return True


def on_drop(widget, ctx, x, y, time):
    offered = [t.name() for t in ctx.list_targets()]
    say("OFFERED " + ",".join(offered))
    if mode == "xds" and "XdndDirectSave0" in offered:
        xid = ctx.get_source_window().get_xid()
        name = get_xds(xid) or "unnamed"
        say("NAME " + name)
        set_xds(xid, "file://" + urllib.parse.quote(os.path.join(folder, name)))
        widget.drag_get_data(ctx, XDS, time)
    else:
        widget.drag_get_data(ctx, Gdk.Atom.intern("text/uri-list", False), time)
    return True


def on_received(widget, ctx, x, y, data, info, time):
    if info == 1:
        say("XDS " + bytes(data.get_data() or b"").decode(errors="replace"))
    else:
        uris = data.get_uris() or []
        for uri in uris:
            path = urllib.request.url2pathname(urllib.parse.urlparse(uri).path)
            target = os.path.join(folder, os.path.basename(path))
            if os.path.isdir(path):
                shutil.copytree(path, target)
            else:
                shutil.copy(path, target)
        say("URIS %d" % len(uris))
    Gtk.drag_finish(ctx, True, False, time)


area.connect("drag-motion", on_motion)
area.connect("drag-drop", on_drop)
area.connect("drag-data-received", on_received)
win.connect("destroy", Gtk.main_quit)
win.show_all()
GLib.timeout_add(300, lambda: say("READY") and False)
Gtk.main()
