#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs test-audio-win.exe under wine against real sound: a private
PipeWire + pipewire-pulse (tests/integration/pipewire_util.py, as the
Linux audio tests), whose null sink is the default; wine's winepulse
reaches it through PULSE_SERVER and lists the sink's monitor as a
capture endpoint ("Monitor of <sink description>"). When the test prints
READY (its capture is running), a tone is played into the sink with
pw-play; the test captures it from the monitor through agent/audio's
WASAPI backend and checks it in the decoded Opus.

Usage: wine-audio.py WINE TEST.exe. Exit 77 (skipped) when PipeWire's
programs are missing. WINEPREFIX should be a prefix of its own: its
wineserver is stopped at the end.
"""
import os
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import pipewire_util as pwu  # noqa: E402

FREQ = 997.0    # not a divisor of 48000: no sample-locked pattern
AMP = 0.5
SECONDS = 6.0   # the test takes 3 s of it after a 0.2 s onset
MONITOR = "Monitor of OutpostTestSink"  # create_sink's node.description


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    wine, exe = sys.argv[1], sys.argv[2]
    missing = pwu.missing_tools(pulse=True)
    if missing:
        print(f"SKIP: not installed: {' '.join(missing)}")
        return 77
    with pwu.PipeWire(pulse=True) as pw:
        # A full-scale sink, so the monitor carries the file's level.
        pw.run(["wpctl", "set-volume", "@DEFAULT_AUDIO_SINK@", "1.0"])
        # winepulse asks for ~10 ms, so the graph would run 256-sample
        # cycles; on a loaded machine some miss their deadline and the
        # monitor carries a cycle of silence (seen as 5.3 ms holes in
        # the capture). A larger quantum keeps the graph on time.
        pw.run(["pw-metadata", "-n", "settings", "0",
                "clock.force-quantum", "2048"])
        wav = pw.write_wav("tone.wav", pwu.tone(FREQ, SECONDS, amp=AMP))
        env = dict(os.environ, PULSE_SERVER="unix:" + pw.pulse_socket)
        env.setdefault("WINEDEBUG", "-all")
        proc = subprocess.Popen(
            [wine, exe, "--device", MONITOR, "--freq", str(FREQ),
             "--amp", str(AMP)], env=env, stdout=subprocess.PIPE,
            text=True)
        player = []
        timer = threading.Timer(240, proc.kill)
        timer.start()
        try:
            for line in proc.stdout:
                sys.stdout.write(line)
                sys.stdout.flush()
                if line.startswith("READY") and not player:
                    player.append(pw.play(wav))
            rc = proc.wait()
        finally:
            timer.cancel()
            for p in player:
                p.kill()
                p.wait()
            subprocess.call([os.path.join(os.path.dirname(wine),
                                          "wineserver")
                             if os.path.exists(os.path.join(
                                 os.path.dirname(wine), "wineserver"))
                             else "wineserver", "-k"], env=env)
        if not player:
            print("the test never printed READY: no tone was played")
            return 1
        if rc != 0:
            print(pw.streams())
        return rc


if __name__ == "__main__":
    sys.exit(main())
