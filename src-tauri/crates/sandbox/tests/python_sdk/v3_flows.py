"""Cloudreve 3 flows of an independent client: the PyPI `cloudreve` SDK's v3 client, as its
users call it, unchanged. Exits non-zero (with a traceback) on the first failure.

Argv: base email password. Downloads resolve the relative URL against the site: the SDK
itself prepends its `/api/v3` base, which no Cloudreve 3.8 server answers for the local
policy, so that one call is made here the way a browser would.
"""
import os
import sys
import tempfile
from pathlib import Path

from cloudreve.v3 import Cloudreve

base, email, password = sys.argv[1:4]
c = Cloudreve(base)
c.login(email, password)
assert c.user["user_name"] == email, c.user

names = [o["name"] for o in c.list("/")["objects"]]
assert "Documents" in names, names
c.create_dir("/sdk/inner")
assert [o["name"] for o in c.list("/sdk")["objects"]] == ["inner"]

tmp = Path(tempfile.mkdtemp())
data = os.urandom(3 * 1024 * 1024 + 17)
(tmp / "hello.bin").write_bytes(data)
c.upload("/sdk/hello.bin", str(tmp / "hello.bin"))
fid = c.get_id("/sdk/hello.bin")
assert c.get_property(fid)["size"] == len(data)
url = c.request("put", f"/file/download/{fid}")
got = c.session.get(url if url.startswith("http") else base + url).content
assert got == data, "downloaded bytes differ"

assert "/f/" in c.get_source_url(fid)
assert "/s/" in c.get_share_url(fid, downloads=2, expire=3600, password="pw")

c.rename(fid, "renamed.bin")
c.copy("/sdk/renamed.bin", "/sdk/inner")
c.move("/sdk/inner/renamed.bin", "/")
assert c.list("/sdk/inner")["objects"] == []
did = c.get_id("/sdk/inner")
assert c.get_property(did, is_dir=True)["size"] == 0
c.delete(did, is_dir=True)
c.delete(c.get_id("/renamed.bin"))
assert [o["name"] for o in c.list("/sdk")["objects"]] == ["renamed.bin"]
assert "renamed.bin" not in [o["name"] for o in c.list("/")["objects"]]
print("ALL OK")
