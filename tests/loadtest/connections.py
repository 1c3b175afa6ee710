"""`make loadtest-connections`: the same load twice in one run, first with the keep-alive and retry
settings of before issue 18 (item 8: gunicorn's 2 s keep-alive under haproxy's pooled connections,
no retry of a request that never reached a server), then with today's; no faults, so that every
failed request is the connections' doing. Prints both counts side by side; build/loadtest-
connections-{before,after}.json hold the full reports.

The failure needs a connection reused at the moment gunicorn closes it as idle, so by default the
people here pause 1.8-2.2 s between steps (around gunicorn's old 2 s keep-alive; LOADTEST_THINK to
change) and the machine is kept busy by one CPU burner per core (LOADTEST_BUSY=0 to leave it idle),
as the 2-core machine of the report was."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.loadtest.prod_local import PROJECT_ROOT

BUSY = int(os.environ.get("LOADTEST_BUSY", str(os.cpu_count() or 1)))


def main() -> int:
    results = {}
    for connections in ("before", "after"):
        report = f"loadtest-connections-{connections}.json"
        env = {**os.environ, "PRODLOCAL_CONNECTIONS": connections, "LOADTEST_FAULTS": "0", "LOADTEST_REPORT": report,
               "LOADTEST_TIME": os.environ.get("LOADTEST_TIME", "3m"), "LOADTEST_PROFILE_SECONDS": "5",
               "LOADTEST_THINK": os.environ.get("LOADTEST_THINK", "1.8,2.2")}
        print(f"--- connections as {connections} ---", flush=True)
        burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(BUSY)]
        try:
            subprocess.run([sys.executable, "-m", "tests.loadtest.run"], cwd=PROJECT_ROOT, env=env, check=False)
        finally:
            for burner in burners:
                burner.kill()
                burner.wait()
        results[connections] = json.loads((PROJECT_ROOT / "build" / report).read_text())
    print(f"\nthink {os.environ.get('LOADTEST_THINK', '1.8,2.2')} s, {BUSY} CPU burner(s)")
    print(f"{'connections':<13}{'requests':>9}{'failed':>8}  failed requests by kind")
    for connections, report in results.items():
        total = next((s for s in report["steps"] if s["step"] == "Aggregated"), {"requests": 0, "failures": 0})
        print(f"{connections:<13}{total['requests']:>9}{total['failures']:>8}  {report['failed_requests_by_kind'] or 'none'}")
    after = next((s for s in results["after"]["steps"] if s["step"] == "Aggregated"), {"failures": 1})
    return 0 if after["failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
