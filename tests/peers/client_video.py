# SPDX-License-Identifier: MIT
"""Video, cursor and display control of the technician client
(VideoMixin of client.Client, §7, §8, §13): collects VideoFrames per
display, acks them with Misc.video_received (optionally late, like a slow
decoder), decodes cursor shapes, writes a display's stream as IVF, and
sends refresh/switch/capture-display and option requests."""
import bisect
import collections
import time

try:
    from .client_base import (Message, SessionClosed, mpb)
    from .client_media import (IVF_FOURCC, CursorShape, VideoRecord, cursor_rgba,
                               keyframe_size, option_message, write_ivf_frames)
except ImportError:
    from client_base import (Message, SessionClosed, mpb)
    from client_media import (IVF_FOURCC, CursorShape, VideoRecord, cursor_rgba,
                              keyframe_size, option_message, write_ivf_frames)


class VideoMixin:
    """Video/cursor handling and display control of Client."""

    def _on_video(self, vf):
        t = time.monotonic()
        codec = vf.WhichOneof("union")
        frames = []
        if codec in ("vp9s", "vp8s", "av1s", "h264s", "h265s"):
            frames = [(bytes(f.data), bool(f.key), int(f.pts))
                      for f in getattr(vf, codec).frames]
        d = int(vf.display)
        c = self.video_counts.get(d)
        if c is None:
            c = self.video_counts[d] = {
                "messages": 0, "packets": 0, "bytes": 0, "key_frames": 0,
                "empty": 0, "codecs": collections.Counter(),
                "first_t": t, "last_t": t, "first_key_t": None}
        c["messages"] += 1
        c["packets"] += len(frames)
        c["bytes"] += sum(len(f[0]) for f in frames)
        nkey = sum(1 for f in frames if f[1])
        c["key_frames"] += nkey
        if nkey and c["first_key_t"] is None:
            c["first_key_t"] = t
        if not frames:
            c["empty"] += 1
        c["codecs"][codec or "none"] += 1
        c["last_t"] = t
        self.video.append(VideoRecord(t, d, codec, frames if self.keep_video else
                                      [(b"", k, p) for _, k, p in frames]))
        if self._ack_wanted():
            if self.ack_delay > 0:
                bisect.insort(self._acks_due, t + self.ack_delay)
            else:
                try:
                    self.send_video_received()
                except SessionClosed:
                    pass

    def _ack_wanted(self):
        if self.auto_ack is not None:
            return bool(self.auto_ack)
        return bool(self.login_requests and self.login_requests[-1].video_ack_required)

    def flush_acks(self, force=False):
        """Sends the queued video_received acks that are due (all of them if
        force).  Returns how many were sent."""
        n = 0
        now = time.monotonic()
        while self._acks_due and (force or self._acks_due[0] <= now):
            self._acks_due.pop(0)
            try:
                self.send_video_received()
            except SessionClosed:
                self._acks_due.clear()
                break
            n += 1
        return n

    def _on_cursor_data(self, cd):
        try:
            rgba, err = cursor_rgba(cd), None
        except ValueError as e:
            rgba, err = None, str(e)
        shape = CursorShape(time.monotonic(), int(cd.id), int(cd.hotx), int(cd.hoty),
                            int(cd.width), int(cd.height), rgba, err)
        self.cursor_shapes.append(shape)
        self.cursors[shape.id] = shape

    def video_frames(self, display=None):
        """[VideoRecord(t, display, codec, [(data, key, pts)])] received so
        far, all displays (display=None) or one."""
        if display is None:
            return list(self.video)
        return [v for v in self.video if v.display == display]

    def video_packets(self, display=0, since_index=0):
        """[(t, codec, data, key, pts)] flattened from video_frames(display)
        [since_index:]."""
        return [(v.t, v.codec, d, k, p) for v in self.video_frames(display)[since_index:]
                for d, k, p in v.frames]

    def video_stats(self, display=None):
        """Counters of one display (dict) or {display: dict} for all:
        messages (VideoFrames), packets (EncodedVideoFrames), bytes (sum of
        data), key_frames, empty (VideoFrames without packets), codecs
        ({oneof name: count}), first_t/last_t/first_key_t (monotonic)."""
        def cp(c):
            c = dict(c)
            c["codecs"] = dict(c["codecs"])
            return c
        if display is None:
            return {d: cp(c) for d, c in self.video_counts.items()}
        c = self.video_counts.get(display)
        return cp(c) if c else {"messages": 0, "packets": 0, "bytes": 0, "key_frames": 0,
                                "empty": 0, "codecs": {}, "first_t": None,
                                "last_t": None, "first_key_t": None}

    def clear_video(self):
        """Forgets received frame data (counters stay)."""
        self.video = []

    def wait_video(self, count=1, display=None, timeout=None):
        """Reads until at least `count` VideoFrames (of `display`, or any)
        have been received in total; returns video_frames(display).
        TimeoutError / SessionClosed."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while len(self.video_frames(display)) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(self.video_frames(display))} of {count} video "
                                   f"frames (display {display}) within {timeout:.1f}s")
            try:
                if self.recv_message(left) is None:
                    raise SessionClosed("connection closed while waiting for video", self)
            except TimeoutError:
                pass
        return self.video_frames(display)

    def display_size(self, display=0):
        """(width, height) of a display: the host's last SwitchDisplay for it,
        else the last PeerInfo listing it; None if unknown."""
        for _, sd in reversed(self.switch_displays):
            if sd.display == display and sd.width > 0:
                return sd.width, sd.height
        for pi in reversed([self.peer_info] + self.peer_infos):
            if pi is not None and 0 <= display < len(pi.displays):
                return pi.displays[display].width, pi.displays[display].height
        return None

    def write_ivf(self, path, display=0, since_index=0, width=None, height=None,
                  pts="monotonic"):
        """Writes every EncodedVideoFrame.data of video_frames(display)
        [since_index:] in order to an IVF file (fourcc from the codec,
        timebase 1/1000).  width/height: given, else from the first key
        frame's header, else display_size().  pts='monotonic': the host's pts,
        shifted so that it never goes backwards across encoder restarts;
        'agent': as sent; 'arrival': ms since the first frame's arrival.
        Returns the number of frames written (ValueError if none)."""
        pk = self.video_packets(display, since_index)
        if not pk:
            raise ValueError(f"no video frames for display {display}")
        codecs = {c for _, c, _, _, _ in pk}
        if len(codecs) != 1:
            raise ValueError(f"display {display}: several codecs {sorted(codecs)}; "
                             "pass since_index after the change")
        codec = codecs.pop()
        if width is None or height is None:
            size = None
            for _, _, d, k, _ in pk:
                if k:
                    size = keyframe_size(codec, d)
                    if size:
                        break
            size = size or self.display_size(display) or (0, 0)
            width = size[0] if width is None else width
            height = size[1] if height is None else height
        out, last, offset = [], None, 0
        t0 = pk[0][0]
        for t, _, d, _, p in pk:
            if pts == "arrival":
                v = int(round((t - t0) * 1000))
            elif pts == "agent":
                v = p
            else:
                v = p + offset
                if last is not None and v <= last:
                    offset += last + 1 - v
                    v = last + 1
            if pts != "agent" and last is not None and v <= last:
                v = last + 1
            last = v
            out.append((v, d))
        fourcc = IVF_FOURCC.get(codec, codec[:4].upper().encode())
        return write_ivf_frames(path, fourcc, int(width), int(height), out)

    def _send_misc(self, **kw):
        m = Message()
        for k, v in kw.items():
            if isinstance(v, (bool, int, str, bytes)):
                setattr(m.misc, k, v)
            else:
                getattr(m.misc, k).CopyFrom(v)
        return self.send_message(m)

    def send_video_received(self):
        """Misc{video_received: true} (the ack of §7.3)."""
        w = self._send_misc(video_received=True)
        self.acks_sent += 1
        return w

    def refresh_video(self, display=None):
        """display=None: Misc.refresh_video=true (all); an int:
        Misc.refresh_video_display=display (§7.4)."""
        if display is None:
            return self._send_misc(refresh_video=True)
        return self._send_misc(refresh_video_display=int(display))

    def switch_display(self, display, width=None, height=None):
        """Misc.switch_display{display (, width, height as a requested
        resolution)}."""
        sd = mpb.SwitchDisplay(display=int(display))
        if width is not None:
            sd.width = int(width)
        if height is not None:
            sd.height = int(height)
        return self._send_misc(switch_display=sd)

    def capture_displays(self, set_=None, add=None, sub=None):
        """Misc.capture_displays{add, sub, set} (repeated int32)."""
        cd = mpb.CaptureDisplays()
        cd.add.extend(int(x) for x in (add or ()))
        cd.sub.extend(int(x) for x in (sub or ()))
        getattr(cd, "set").extend(int(x) for x in (set_ or ()))
        return self._send_misc(capture_displays=cd)

    def message_query_switch_display(self, display):
        """Misc.message_query{switch_display: display}; the host answers with
        Misc.switch_display (recorded in .switch_displays)."""
        return self._send_misc(message_query=mpb.MessageQuery(switch_display=int(display)))

    def send_option(self, option=None, **fields):
        """Misc.option = an OptionMessage (given, or built by
        option_message(**fields): custom_fps=, image_quality=,
        custom_image_quality=, supported_decoding=, show_remote_cursor=, ...)."""
        return self._send_misc(option=option if option is not None else
                               option_message(**fields))
