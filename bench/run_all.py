"""Every benchmark in turn, each in its own interpreter: `python -m bench.run_all [--items N] [--db sqlite|postgres|both]`.

The sitemap runs at 50,000 and 100,000 items unless --items is below 100,000; the others at --items (default 100,000).
"""

from __future__ import annotations

import subprocess
import sys
import time

from bench.common import PROJECT_ROOT, machine_line, parser

MODULES = ("bench.gallery_api", "bench.item_page", "bench.sitemap", "bench.memory_startup")


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", choices=[m.split(".")[1] for m in MODULES], help="run only these")
    args = p.parse_args()
    print(machine_line())
    failed = []
    for module in MODULES:
        if args.only and module.split(".")[1] not in args.only:
            continue
        command = [sys.executable, "-m", module, "--db", args.db]
        if module != "bench.sitemap" or args.items < 100_000:
            command += ["--items", str(args.items)]
        print(f"\n===== {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        if subprocess.run(command, cwd=PROJECT_ROOT).returncode != 0:
            failed.append(module)
        print(f"===== {module} took {time.perf_counter() - started:.0f} s", flush=True)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
