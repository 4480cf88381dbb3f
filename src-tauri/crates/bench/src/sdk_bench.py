"""Python baseline: the PyPI `cloudreve` SDK (2.0.2, V4 client) doing what Cirrus does.

Timed inside the interpreter after sign-in, so Python start-up and `import requests` are not
counted against the SDK. Prints the elapsed seconds on stdout.
"""
import sys
import time
from pathlib import Path

from cloudreve.v4 import CloudreveV4


def main():
    base, email, password, mode, src, dest = sys.argv[1:7]
    client = CloudreveV4(base)
    client.login(email, password)
    start = time.perf_counter()
    if mode == "upload":
        client.upload(src, dest)
    elif mode == "small":
        for f in sorted(Path(src).iterdir()):
            client.upload(str(f), dest + "/" + f.name)
    else:
        raise SystemExit("unknown mode " + mode)
    print(time.perf_counter() - start)


main()
