"""`make bench-voice`: how long a voice call's turns take the server, and what the prompts cost.

On a throwaway SQLite database with the demo data, the demo farmer's call walks main menu → My farm
→ My listings → a listing, twice (the first time every sentence carrying figures is spoken by
espeak-ng; the second time its file is there), with espeak-ng and with the gateway's own speech;
then `flask phone prompts` is timed and its files measured. Figures, not a test: milliseconds on a
shared machine are read side by side (espeak-ng against the gateway's speech, in the same run).
"""
from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

PATH = [None, "3", "1", "1"]  # main, My farm, My listings, the first listing
NAMES = ["main", "farm", "listings", "a listing"]


def main() -> int:
    from flask_migrate import upgrade

    from marketplace import create_app

    folder = Path(tempfile.mkdtemp(prefix="village-voice-bench-"))
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}", "MEDIA_ROOT": str(folder / "media"),
                          "PRIVATE_MEDIA_ROOT": str(folder / "private"), "RATELIMIT_ENABLED": False, "PHONE_CALLBACK_SECRET": "bench"})
        with app.app_context():
            upgrade()
        assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
        client = app.test_client()
        if shutil.which("espeak-ng") is None:
            print("espeak-ng is not installed (make voice-deps): only the gateway's own speech is measured")
        print(f"{'speech':<22}{'call':<8}" + "".join(f"{name:>12}" for name in NAMES) + "   (ms per turn, median of 5 calls)")
        for espeak in ((True, False) if shutil.which("espeak-ng") else (False,)):
            app.config["VOICE_ESPEAK"] = espeak
            for attempt in ("first", "again"):
                runs = [_walk(client, f"{espeak}-{attempt}-{n}") for n in range(5 if attempt == "again" else 1)]
                medians = [statistics.median(run[i] for run in runs) for i in range(len(PATH))]
                print(f"{'espeak-ng' if espeak else 'gateway (<Say>)':<22}{attempt:<8}" + "".join(f"{m:>12.1f}" for m in medians))
        if shutil.which("espeak-ng"):
            app.config["VOICE_ESPEAK"] = True
            started = time.perf_counter()
            result = app.test_cli_runner().invoke(args=["phone", "prompts"])
            seconds = time.perf_counter() - started
            files = list((folder / "media").rglob("*.wav"))
            size = sum(f.stat().st_size for f in files)
            print(f"flask phone prompts: {result.output.strip()} in {seconds:.1f} s; {len(files)} WAV files, {size / 1e6:.1f} MB "
                  f"({size / max(len(files), 1) / 1e3:.0f} KB each)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def _walk(client, session: str) -> list[float]:
    times = []
    for step, key in enumerate(PATH):
        data = {"sessionId": f"bench-{session}", "isActive": "1", "direction": "Inbound", "callerNumber": "+254711000002",
                "destinationNumber": "+254700000000"}
        if key is not None:
            data["dtmfDigits"] = key
        started = time.perf_counter()
        response = client.post("/phone/voice/bench" + ("" if key is None else f"?step={step - 1}"), data=data)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.data
    return times


if __name__ == "__main__":
    raise SystemExit(main())
