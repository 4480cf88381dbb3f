"""Python baseline on Cloudreve 3: the v3 client of the PyPI `cloudreve` SDK (2.0.2).

Same interface as sdk_bench.py: timed inside the interpreter after sign-in; prints the
elapsed seconds. The SDK asks the folder's storage policy before every upload, as it must.
"""
import sys
import time
from pathlib import Path

from cloudreve.v3 import Cloudreve


def main():
    base, email, password, mode, src, dest = sys.argv[1:7]
    client = Cloudreve(base)
    client.login(email, password)
    start = time.perf_counter()
    if mode == "upload":
        client.upload(dest, src)
    elif mode == "small":
        for f in sorted(Path(src).iterdir()):
            client.upload(dest + "/" + f.name, str(f))
    else:
        raise SystemExit("unknown mode " + mode)
    print(time.perf_counter() - start)


main()
