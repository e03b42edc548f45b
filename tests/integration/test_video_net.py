#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Issue 17.4: the stream adapts to a slow link. The client reaches the
agent through tests/peers/throttle.py (2 Mbit/s toward the client, 20 ms
each way, a small buffer so a full link pushes back on the agent) while a
full-screen xterm scrolls; the client asks for a bitrate well above the
link (custom quality 200 %: ratio 4) and acks every frame.

  - after the adaptation, the queueing delay of the frames (arrival minus
    pts, relative to the least delayed frame) stays at p95 <= 200 ms and
    frames keep coming;
  - the agent's target bitrate (status kbps_target, TestDelay
    target_bitrate) went below what the quality asks;
  - with the limit lifted, the target climbs back.

Timing figures are printed; the assertions are about the adaptation (a
backlog that grows would put the p95 at seconds), not about speed."""
import os
import time

from desktop_case import DesktopCase
from common import main

import client
import throttle
import video_util

PASSWORD = "net test password"
PRINTER = ("import sys,time\n"
           "i=0\n"
           "while True:\n"
           " sys.stdout.write('%08d ' % i + ' '.join(str(i*k%997) for k in range(30)) + '\\n')\n"
           " sys.stdout.flush(); i+=1; time.sleep(0.01)\n")


class VideoNetCase(DesktopCase):
    PASSWORD = PASSWORD
    extra = "video:\n  codec: vp9\n  max_fps: 30\n"

    def prepare_screen(self):
        video_util.xsetroot_solid(self.x.display, "#202020")
        cols, rows = self.W // 6, self.H // 13
        printer = os.path.join(self.tmp, "printer.py")
        with open(printer, "w") as f:
            f.write(PRINTER)
        self.term = video_util.start_xterm(
            self.x.display, f"{cols}x{rows}+0+0",
            f"exec /usr/bin/python3 {printer}", font="6x13",
            extra=("-b", "0", "-bw", "0", "-j"))
        self.addCleanup(self.term.kill)
        time.sleep(0.7)

    def stream(self):
        st = self.agent.status()["video"]["streams"]
        self.assertTrue(st, "no stream in status")
        return st[0]

    def test_slow_link_adapts(self):
        link = throttle.Throttle(("127.0.0.1", self.agent.direct_port),
                                 down_kbps=2000, delay_ms=20).start()
        self.addCleanup(link.stop)
        c = client.Client(("127.0.0.1", link.port), direct=True, auto_ack=True,
                          timeout=15)
        self.addCleanup(c.close)
        opt = client.option_message(custom_image_quality=200 << 8, custom_fps=30)
        pi = c.login(self.PASSWORD, option=opt, video_ack_required=True)
        self.assertNotIsInstance(pi, str, c.summary())
        want = self.stream()["kbps_target"]
        c.pump(8)                       # adaptation
        t0 = time.monotonic()
        c.pump(10)                      # steady state on the slow link
        t1 = time.monotonic()
        slow = self.stream()
        pk = [(v.t, f[2], len(f[0])) for v in c.video_frames(0) for f in v.frames]
        win = [p for p in pk if t0 <= p[0] <= t1]
        self.assertGreater(len(win), 10, f"frames stopped: {c.summary()}")
        off = [t * 1000 - pts for t, pts, _ in pk]
        base = min(off)
        lat = sorted(t * 1000 - pts - base for t, pts, _ in win)
        p50, p95 = lat[len(lat) // 2], lat[min(len(lat) - 1, len(lat) * 95 // 100)]
        kbps = sum(n for _, _, n in win) * 8 / (t1 - t0) / 1000
        print(f"slow link 2000 kbit/s: quality target {want} kbit/s, adapted "
              f"{slow['kbps_target']}; received {kbps:.0f} kbit/s, "
              f"{len(win) / (t1 - t0):.1f} fps; queueing delay p50 {p50:.0f} ms, "
              f"p95 {p95:.0f} ms")
        self.assertLess(slow["kbps_target"], want)
        self.assertLessEqual(p95, 200, f"backlog: {lat[-10:]}")

        link.down_kbps = None           # the link recovers
        c.pump(12)
        fast = self.stream()
        print(f"limit lifted: target {fast['kbps_target']} kbit/s")
        self.assertGreater(fast["kbps_target"], slow["kbps_target"],
                           "\n".join(ln for ln in self.agent.log().splitlines()
                                     if "network" in ln)[-3000:])


if __name__ == "__main__":
    main()
