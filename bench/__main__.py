"""``python -m bench seed|run|check-floor``: the one benchmark command (bench/README.md).

- ``seed --psychologists N``: the data set of N approved psychologists (``bench/seed.py``),
  an SQLite file under ``var/bench/`` or a PostgreSQL database ``bench_<N>_<key>``,
  reused while complete and of the same migrations;
- ``run --psychologists 2000,10000``: per size, seed (or reuse), start the service, the
  floor (``bench/floor.py``) and the naive variant (``bench/naive.py``) as separate
  uvicorn processes, measure them interleaved at 1, 4 and 16 clients, print one table
  and write a JSON file;
- ``check-floor``: only the comparison of the floor's answers with the service's.

Everything runs on 127.0.0.1 with bounded request counts; see ``bench/runner.py``.
"""

from __future__ import annotations

from bench.runner import main

if __name__ == "__main__":
    main()
