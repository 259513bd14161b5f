"""Real programs for the tests, built at test time from public source releases.

- `lua`: the Lua 5.4 interpreter (lua.c and the whole core and libraries),
  from the sources the PyPI package `lupa` bundles in third-party/lua54
  (a checkout of Lua's own repository at the 5.4.8 release, with its test
  suite, testes/);
- `sqlite3`: SQLite's command-line shell (shell.c and the sqlite3.c
  amalgamation), from the sqlite-autoconf tarball the npm package `sqlite3`
  bundles in deps/.

Each archive is fetched through its registry (PyPI's simple index, as pip
reads it; `npm pack` for npm), checked against the digest the registry
publishes for it and against the digest pinned here, unpacked, and compiled
with Violet's guest toolchain (`violet.cli.compile_c`: zig cc, static musl,
x86-64 baseline) into ~/.cache/violet/realprogs/ (or $VIOLET_CACHE), once.
Nothing of it is committed.

    python tests/realprogs.py          # fetch and build both, print the paths

A failure to fetch or build raises `Unavailable`, whose message says what
was tried; the tests turn it into a failure, not a skip.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from violet.cli import _zig_version, cache_dir, compile_c


class Unavailable(Exception):
    """A program could not be fetched or built."""


@dataclass(frozen=True)
class Release:
    registry: str  # "pypi" or "npm"
    package: str
    version: str
    filename: str  # the archive the registry serves
    digest: str  # pinned: "sha256:<hex>" (PyPI) or npm's "sha512-<base64>"


LUPA = Release("pypi", "lupa", "2.8", "lupa-2.8.tar.gz",
               "sha256:d8022641b9ec8ecf2c5ecbe9f47e5a70e0b87c4b5ae921b92cb02a638e0acd08")
NODE_SQLITE3 = Release("npm", "sqlite3", "6.0.1", "sqlite3-6.0.1.tgz",
                       "sha512-X0czUUMG2tmSqJpEQa3tCuZSHKIx8PwM53vLZzKp/o6Rpy25fiVfjdbnZ988M8+O3ZWR1ih0K255VumCb3MAnQ==")

LUA_VERSION = "5.4.8"
LUA_DIR = "lupa-2.8/third-party/lua54"
LUA_FLAGS = ["-std=gnu99", "-DLUA_USE_POSIX"]

SQLITE_VERSION = "3.52.0"
SQLITE_TARBALL = "package/deps/sqlite-autoconf-3520000.tar.gz"
SQLITE_DIR = "sqlite-autoconf-3520000"
# The shell much as SQLite's own configure makes it on Linux (the HAVE_*
# it finds there: without HAVE_USLEEP a busy wait sleeps whole seconds),
# less extension loading (a static program has no dlopen).
SQLITE_FLAGS = ["-DSQLITE_OMIT_LOAD_EXTENSION", "-DSQLITE_ENABLE_FTS5", "-DSQLITE_ENABLE_RTREE",
                "-DSQLITE_ENABLE_DBSTAT_VTAB", "-DSQLITE_ENABLE_EXPLAIN_COMMENTS", "-DSQLITE_ENABLE_MATH_FUNCTIONS",
                "-DHAVE_USLEEP=1", "-DHAVE_LOCALTIME_R=1", "-DHAVE_GMTIME_R=1", "-DHAVE_FDATASYNC=1",
                "-DHAVE_STRCHRNUL=1", "-DHAVE_ISNAN=1"]

FETCH_TIMEOUT = 300


def root() -> Path:
    path = cache_dir() / "realprogs"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def _locked(name: str) -> Iterator[None]:
    """One fetch or build of `name` at a time, across processes."""
    with open(root() / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


# Fetching ------------------------------------------------------------------


def _digest_of(data: bytes, digest: str) -> str:
    """`data`'s digest in the notation of `digest` (sha256:hex or sha512-b64)."""
    if digest.startswith("sha256:"):
        return "sha256:" + hashlib.sha256(data).hexdigest()
    if digest.startswith("sha512-"):
        return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    raise ValueError(f"unknown digest notation {digest!r}")


def _pypi_index() -> str:
    """The index pip installs from: $PIP_INDEX_URL, pip's configured
    index-url, or pip's default."""
    url = os.environ.get("PIP_INDEX_URL")
    if not url:
        try:
            out = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.index-url"],
                                 capture_output=True, text=True, timeout=60, check=False)
            url = out.stdout.strip() if out.returncode == 0 else ""
        except (OSError, subprocess.SubprocessError):
            url = ""
    if not url:
        from pip._internal.models.index import PyPI

        url = PyPI.simple_url
    return url.rstrip("/")


def _fetch_pypi(release: Release) -> tuple[bytes, str]:
    """The sdist and the sha256 PyPI's simple index (PEP 691 JSON) gives for it."""
    index = _pypi_index()
    request = urllib.request.Request(f"{index}/{release.package}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as resp:
        listing = json.load(resp)
    for entry in listing.get("files", []):
        if entry.get("filename") == release.filename:
            published = "sha256:" + entry.get("hashes", {}).get("sha256", "")
            with urllib.request.urlopen(entry["url"], timeout=FETCH_TIMEOUT) as resp:
                return resp.read(), published
    raise Unavailable(f"{release.filename} is not in {index}/{release.package}/")


def _npm(*args: str, cwd: Path) -> str:
    if shutil.which("npm") is None:
        raise Unavailable("npm is not installed (Debian: apt-get install npm)")
    proc = subprocess.run(["npm", *args], cwd=cwd, capture_output=True, text=True, timeout=FETCH_TIMEOUT,
                          check=False)
    if proc.returncode != 0:
        raise Unavailable(f"npm {' '.join(args)} failed: {proc.stderr.strip()[-500:]}")
    return proc.stdout


def _fetch_npm(release: Release) -> tuple[bytes, str]:
    """`npm pack` the package (npm checks it against the registry's integrity
    field as it downloads); return the tarball and that published integrity."""
    spec = f"{release.package}@{release.version}"
    with tempfile.TemporaryDirectory(dir=root()) as tmp:
        published = json.loads(_npm("view", spec, "dist.integrity", "--json", cwd=Path(tmp)))
        _npm("pack", spec, "--silent", "--pack-destination", tmp, cwd=Path(tmp))
        tarball = Path(tmp) / release.filename
        if not tarball.is_file():
            raise Unavailable(f"npm pack {spec} made no {release.filename}")
        return tarball.read_bytes(), published


def fetch(release: Release) -> Path:
    """The verified archive of `release`, downloaded once into the cache."""
    where = root() / "downloads"
    where.mkdir(exist_ok=True)
    path = where / release.filename
    with _locked(release.filename):
        if path.is_file() and _digest_of(path.read_bytes(), release.digest) == release.digest:
            return path
        how = f"{release.registry} package {release.package} {release.version}"
        try:
            data, published = (_fetch_pypi if release.registry == "pypi" else _fetch_npm)(release)
        except Unavailable as e:
            raise Unavailable(f"cannot fetch {how}: {e}") from None
        except (OSError, ValueError, subprocess.SubprocessError) as e:
            raise Unavailable(f"cannot fetch {how} (network or registry unavailable?): {e}") from None
        got = _digest_of(data, release.digest)
        if published != release.digest:
            raise Unavailable(f"{how}: the registry publishes {published} for {release.filename}, "
                              f"not the pinned {release.digest}")
        if got != release.digest:
            raise Unavailable(f"{how}: {release.filename} has digest {got}, the registry says {release.digest}")
        tmp = path.with_suffix(f".{os.getpid()}.part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return path


# Building ------------------------------------------------------------------


def _extract(archive: Path, member_prefix: str, dest: Path) -> None:
    """Unpack the regular files under `member_prefix` of a .tar.gz into dest."""
    with tarfile.open(archive, "r:gz") as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(member_prefix) and (m.isfile() or m.isdir())]
        if not members:
            raise Unavailable(f"{archive.name} has no {member_prefix}")
        tar.extractall(dest, members=members, filter="data")


def _build(name: str, version: str, flags: list[str], make: Callable[[Path, Path], None]) -> Path:
    """Build once into realprogs/<name>-<version>-<key>/ and return the program.

    The key covers the flags and the zig version, so a change of either
    builds afresh.  `make(workdir, out)` writes the binary to `out`.
    """
    key = hashlib.sha256(repr((flags, _zig_version())).encode()).hexdigest()[:10]
    folder = root() / f"{name}-{version}-{key}"
    binary = folder / name
    if binary.is_file():
        return binary
    with _locked(f"{name}-{version}-{key}"):
        if binary.is_file():
            return binary
        folder.mkdir(exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root()) as tmp:
            out = Path(tmp) / name
            make(Path(tmp), out)
            os.replace(out, binary)
    return binary


def _compile(sources: list[Path], out: Path, flags: list[str]) -> None:
    rc = compile_c([str(s) for s in sources], str(out), [*flags, "-lm"], quiet=True)
    if rc != 0 or not out.is_file():
        raise Unavailable(f"zig cc failed (exit {rc}) building {out.name} from {[s.name for s in sources]}")


def lua_sources() -> Path:
    """The unpacked Lua source directory (with testes/), from lupa's sdist."""
    archive = fetch(LUPA)
    dest = root() / f"lua-{LUA_VERSION}-src"
    top = dest / LUA_DIR
    if not (top / "lua.c").is_file():
        with _locked(dest.name):
            if not (top / "lua.c").is_file():
                _extract(archive, LUA_DIR + "/", dest)
    return top


def lua() -> Path:
    """The `lua` interpreter, built from its sources (onelua.c is Lua's own
    one-file build of the core, the libraries and lua.c)."""
    src = lua_sources()
    version = (src / "lua.h").read_text(errors="replace")
    if f'LUA_VERSION_RELEASE\t"{LUA_VERSION.rsplit(".", 1)[1]}"' not in version:
        raise Unavailable(f"{LUA_DIR} in {LUPA.filename} is not Lua {LUA_VERSION}")
    return _build("lua", LUA_VERSION, LUA_FLAGS, lambda tmp, out: _compile([src / "onelua.c"], out, LUA_FLAGS))


def sqlite3() -> Path:
    """The `sqlite3` shell, from the sqlite-autoconf tarball in the npm package."""

    def make(tmp: Path, out: Path) -> None:
        _extract(fetch(NODE_SQLITE3), SQLITE_TARBALL, tmp)
        _extract(tmp / SQLITE_TARBALL, SQLITE_DIR + "/", tmp)
        src = tmp / SQLITE_DIR
        for needed in ("shell.c", "sqlite3.c", "sqlite3.h"):
            if not (src / needed).is_file():
                raise Unavailable(f"{SQLITE_TARBALL} has no {needed}")
        _compile([src / "shell.c", src / "sqlite3.c"], out, [f"-I{src}", *SQLITE_FLAGS])

    return _build("sqlite3", SQLITE_VERSION, SQLITE_FLAGS, make)


if __name__ == "__main__":
    for build in (lua, sqlite3):
        try:
            print(build())
        except Unavailable as e:
            print(f"realprogs: {e}", file=sys.stderr)
            sys.exit(1)
