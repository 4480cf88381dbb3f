"""Cloudreve 4 flows of an independent client: the PyPI `cloudreve` SDK's v4 client, as its
users call it, unchanged. Exits non-zero (with a traceback) on the first failure.

Argv: base email password.
"""
import os
import sys
import tempfile
from pathlib import Path

from cloudreve.v4 import CloudreveV4

base, email, password = sys.argv[1:4]
c = CloudreveV4(base)
c.login(email, password)
assert c.user["email"] == email, c.user

names = [f["name"] for f in c.list("/")["files"]]
assert "Documents" in names, names
c.create_folder("/sdk/inner")
assert [f["name"] for f in c.list("/sdk")["files"]] == ["inner"]

tmp = Path(tempfile.mkdtemp())
data = os.urandom(3 * 1024 * 1024 + 17)
(tmp / "hello.bin").write_bytes(data)
c.upload(str(tmp / "hello.bin"), "/sdk/hello.bin")
assert c.get_info("/sdk/hello.bin")["size"] == len(data)
c.download("/sdk/hello.bin", str(tmp / "back.bin"))
assert (tmp / "back.bin").read_bytes() == data, "downloaded bytes differ"

assert "/s/" in c.get_share_url("/sdk/hello.bin", password="pw")

c.rename("/sdk/hello.bin", "renamed.bin")
c.copy("/sdk/renamed.bin", "/sdk/inner")
c.move("/sdk/inner/renamed.bin", "/")
assert c.list("/sdk/inner")["files"] == []
c.delete("/sdk/inner")
c.delete("/renamed.bin")
assert [f["name"] for f in c.list("/sdk")["files"]] == ["renamed.bin"]
print("ALL OK")
