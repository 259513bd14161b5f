"""Users and permission sets.

Every process runs as a `User` and holds `Permissions`: a set of rights and
three budgets.  A child gets exactly its parent's permissions (fork, clone,
vfork, threads); exec keeps them; a process may drop rights or tighten
budgets (`Permissions.restrict`) and can never widen them.  A denied call
returns EPERM (EAGAIN for an exhausted budget) and is recorded as an audit
event.

The file rights `fs.read` and `fs.write` may be limited to path prefixes
(`PathRule`): guest paths, compared after the path has been resolved inside
the root (`..` and every symbolic link followed), component by component
(`/out` covers `/out` and `/out/x`, never `/outside`).  A rule is a set of
allowed subtrees (None: the whole root) minus a set of excluded subtrees;
excluded beats allowed.  Narrowing intersects the allowed sets and unites
the excluded ones, so no sequence of narrowings can widen a right.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Mapping

from ..errors import UsageError


class Right(enum.IntFlag):
    """The rights a process may hold.  Their names on the command line are
    the lowercase dotted forms in `RIGHT_NAMES`."""

    SPAWN = 1  # create processes: fork, vfork, clone without CLONE_THREAD
    THREAD = 2  # create threads: clone with CLONE_THREAD
    LAUNCH = 4  # start application processes (violet_launch)
    SIGNAL = 8  # signal processes outside one's own subtree
    FS_READ = 16  # open files for reading
    FS_WRITE = 32  # create, change and remove files
    EXEC = 64  # replace the image with execve


RIGHT_NAMES = {
    "proc.spawn": Right.SPAWN,
    "proc.thread": Right.THREAD,
    "proc.launch": Right.LAUNCH,
    "proc.signal": Right.SIGNAL,
    "fs.read": Right.FS_READ,
    "fs.write": Right.FS_WRITE,
    "proc.exec": Right.EXEC,
}

ALL_RIGHTS = Right(sum(RIGHT_NAMES.values()))
# What a process holds unless granted more: everything but proc.launch,
# which starts applications outside the launcher's own tree (DESIGN: "a
# launch syscall that needs a permission"); `violet run --allow proc.launch`
# or Permissions(rights=ALL_RIGHTS) grants it.
DEFAULT_RIGHTS = ALL_RIGHTS & ~Right.LAUNCH


def right_names(rights: Right) -> list[str]:
    return [name for name, r in RIGHT_NAMES.items() if rights & r]


def parse_right(name: str) -> Right:
    try:
        return RIGHT_NAMES[name]
    except KeyError:
        known = ", ".join(RIGHT_NAMES)
        raise UsageError(f"unknown right {name!r} (known: {known})") from None


# File rights limited to path prefixes ------------------------------------------

FILE_RIGHTS = {Right.FS_READ: "fs.read", Right.FS_WRITE: "fs.write"}


def norm_prefix(text: str, what: str = "path") -> str:
    """A prefix in canonical form: absolute, no `.`/`..`/empty components,
    no trailing slash.  ValueError when it is not an absolute path."""
    if not text:
        raise ValueError(f"{what}: empty path")
    if "\0" in text:
        raise ValueError(f"{what}: a path cannot contain a NUL byte")
    if not text.startswith("/"):
        raise ValueError(f"{what}: {text!r} is not an absolute path (give a guest path such as /out)")
    out: list[str] = []
    for c in text.split("/"):
        if c in ("", "."):
            continue
        if c == "..":
            if out:
                out.pop()
            continue
        out.append(c)
    return "/" + "/".join(out)


def under(path: str, prefix: str) -> bool:
    """`path` is `prefix` or inside it, component by component."""
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


def _minimal(prefixes) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """Sorted, without duplicates and without those inside another."""
    out: list[str] = []
    for p in sorted(set(prefixes), key=lambda s: (s.count("/") if s != "/" else 0, s)):
        if not any(under(p, q) for q in out):
            out.append(p)
    return tuple(sorted(out))


@dataclass(frozen=True)
class PathRule:
    """Where a file right applies: under one of `allow` (None: anywhere in
    the root) and under none of `exclude`.  Paths are guest paths after
    resolution (see the module's docstring)."""

    allow: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()

    @staticmethod
    def of(allow=None, exclude=()) -> PathRule:  # type: ignore[no-untyped-def]
        """A rule in canonical form from any iterables of prefixes (ValueError if one is not absolute)."""
        a = None if allow is None else _minimal(norm_prefix(p) for p in allow)
        x = _minimal(norm_prefix(p) for p in exclude)
        if a is not None:  # an allowed subtree wholly excluded allows nothing
            a = tuple(p for p in a if not any(under(p, e) for e in x))
        return PathRule(a, x)

    @property
    def everywhere(self) -> bool:
        return self.allow is None and not self.exclude

    @property
    def nowhere(self) -> bool:
        return (self.allow is not None and not self.allow) or "/" in self.exclude

    def permits(self, path: str, entry: bool = False) -> bool:
        """May the right be used on `path`?  With `entry`, on the name
        `path` in its directory (creating, removing or renaming it): an
        allowed prefix itself is not such a name, only what is below it,
        so `fs.write:/out` cannot remove or rename /out."""
        if any(under(path, x) for x in self.exclude):
            return False
        if self.allow is None:
            return True
        if entry:
            return any(under(path, a) and path != a for a in self.allow)
        return any(under(path, a) for a in self.allow)

    def narrow(self, other: PathRule) -> PathRule:
        """Where both rules allow: the intersection, never wider than either."""
        if self.allow is None:
            allow = other.allow
        elif other.allow is None:
            allow = self.allow
        else:
            allow = tuple(
                a if under(a, b) else b for a in self.allow for b in other.allow if under(a, b) or under(b, a)
            )
        return PathRule.of(allow, self.exclude + other.exclude)

    def points(self) -> tuple[str, ...]:
        return (self.allow or ()) + self.exclude

    def describe(self, name: str) -> list[str]:
        """Tokens in the command line's syntax: `fs.write:/out`, `-fs.write:/etc` for an exclusion."""
        out = [name] if self.allow is None else [f"{name}:{p}" for p in self.allow]
        return out + [f"-{name}:{p}" for p in self.exclude]


EVERYWHERE = PathRule()


# Permissions -------------------------------------------------------------------


@dataclass(frozen=True)
class Permissions:
    """What a process may do.  Immutable; `restrict` makes a narrower copy.

    `mem_pages`: private frames the process may own at once (None: no limit).
    `max_procs`: processes alive at once in the subtree rooted where the
    budget was set (None: no limit); `max_threads` likewise per process.
    `read_paths`, `write_paths`: where `fs.read` and `fs.write` apply, when
    held (a `PathRule`; the default is the whole root).
    """

    rights: Right = DEFAULT_RIGHTS
    mem_pages: int | None = None
    max_procs: int | None = None
    max_threads: int | None = None
    read_paths: PathRule = EVERYWHERE
    write_paths: PathRule = EVERYWHERE

    def has(self, right: Right) -> bool:
        return bool(self.rights & right)

    def rule(self, right: Right) -> PathRule:
        return self.read_paths if right == Right.FS_READ else self.write_paths

    def may(self, right: Right, path: str, entry: bool = False) -> bool:
        """Holds file right `right` (FS_READ or FS_WRITE) for the resolved guest `path`."""
        return self.has(right) and self.rule(right).permits(path, entry)

    @property
    def path_limited(self) -> bool:
        return not (self.read_paths.everywhere and self.write_paths.everywhere)

    def may_move(self, src: str, dst: str) -> bool:
        """rename(src, dst) or link(src, dst): both names are writable
        entries, and what moves neither leaves nor enters a place the
        caller may not write, nor becomes readable where it was not: at
        every point of the two subtrees, fs.write holds at both places and
        fs.read at the new one only if at the old one.  So a file cannot be
        renamed or linked from an unreadable place into a readable one, and
        a directory holding an excluded subtree cannot be moved, nor one
        moved over it.  The rules are prefixes, so checking the subtree
        roots and the places where a rule starts below either end covers
        every path."""
        if not (self.may(Right.FS_WRITE, src, entry=True) and self.may(Right.FS_WRITE, dst, entry=True)):
            return False
        if not self.path_limited:
            return True
        rels = {""}
        for rule in (self.read_paths, self.write_paths):
            for p in rule.points():
                for end in (src, dst):
                    if under(p, end) and p != end:
                        rels.add(p[len(end.rstrip("/")):])
        for rel in rels:
            if not (self.may(Right.FS_WRITE, src + rel) and self.may(Right.FS_WRITE, dst + rel)):
                return False
            if self.may(Right.FS_READ, dst + rel) and not self.may(Right.FS_READ, src + rel):
                return False
        return True

    def restrict(
        self,
        drop: Right = Right(0),
        mem_pages: int | None = None,
        max_procs: int | None = None,
        max_threads: int | None = None,
        *,
        paths: Mapping[Right, Iterable[str]] | None = None,
        exclude: Mapping[Right, Iterable[str]] | None = None,
    ) -> Permissions:
        """A copy with `drop` removed and each given budget tightened (never
        widened).  `paths={Right.FS_WRITE: ["/out", "/tmp"]}` keeps that
        file right only under those prefixes (inside what it had already);
        `exclude={Right.FS_WRITE: ["/out/keep"]}` takes subtrees away.  A
        file right left with no place to apply is dropped.  ValueError for
        a prefix that is not an absolute path or a right that is not a file
        right."""

        def tighter(old: int | None, new: int | None) -> int | None:
            if new is None:
                return old
            return new if old is None else min(old, new)

        rules = {Right.FS_READ: self.read_paths, Right.FS_WRITE: self.write_paths}
        for given, as_allow in ((paths or {}, True), (exclude or {}, False)):
            for right, prefixes in given.items():
                if right not in rules:
                    raise ValueError(f"{right!r} is not a file right (fs.read or fs.write): it takes no paths")
                prefixes = [prefixes] if isinstance(prefixes, str) else list(prefixes)
                extra = PathRule.of(prefixes) if as_allow else PathRule.of(None, prefixes)
                rules[right] = rules[right].narrow(extra)
        rights = self.rights & ~drop
        for right, rule in rules.items():
            if rule.nowhere:
                rights &= ~right
            if not rights & right:
                rules[right] = EVERYWHERE  # a right not held has no places
        return replace(
            self,
            rights=rights,
            mem_pages=tighter(self.mem_pages, mem_pages),
            max_procs=tighter(self.max_procs, max_procs),
            max_threads=tighter(self.max_threads, max_threads),
            read_paths=rules[Right.FS_READ],
            write_paths=rules[Right.FS_WRITE],
        )

    def map_paths(self, fn: Callable[[str, bool], Iterable[str]]) -> Permissions:
        """A copy whose prefixes are replaced by fn(prefix, excluded) (the
        resolved forms of a path, see `resolve_prefix`)."""
        def conv(rule: PathRule) -> PathRule:
            allow = None if rule.allow is None else [q for p in rule.allow for q in fn(p, False)]
            return PathRule.of(allow, [q for p in rule.exclude for q in fn(p, True)])

        return replace(self, read_paths=conv(self.read_paths), write_paths=conv(self.write_paths))

    def right_tokens(self) -> list[str]:
        """The rights held, with their places: `proc.spawn ... fs.read fs.write:/out -fs.write:/out/keep`."""
        out: list[str] = []
        for name, r in RIGHT_NAMES.items():
            if not self.rights & r:
                continue
            if r in FILE_RIGHTS:
                out += self.rule(r).describe(name)
            else:
                out.append(name)
        return out

    def describe(self) -> str:
        parts = self.right_tokens() or ["(none)"]
        if self.mem_pages is not None:
            parts.append(f"mem={self.mem_pages * 4}K")
        if self.max_procs is not None:
            parts.append(f"procs={self.max_procs}")
        if self.max_threads is not None:
            parts.append(f"threads={self.max_threads}")
        return " ".join(parts)


def parse_right_spec(text: str, flag: str) -> tuple[Right, str | None]:
    """`NAME` or `NAME:PREFIX` of --allow/--deny: (right, canonical prefix or None); UsageError if malformed."""
    name, colon, prefix = text.partition(":")
    right = parse_right(name) if name in RIGHT_NAMES else None
    if right is None:
        known = ", ".join(RIGHT_NAMES)
        raise UsageError(f"{flag} {text}: unknown right {name!r} (known: {known}; fs.read and fs.write take "
                         f"an optional :PREFIX, e.g. fs.write:/out)")
    if not colon:
        return right, None
    if right not in FILE_RIGHTS:
        raise UsageError(f"{flag} {text}: {name} takes no path (only fs.read and fs.write do)")
    try:
        return right, norm_prefix(prefix, f"{flag} {text}")
    except ValueError as e:
        raise UsageError(str(e)) from None


def from_options(allow: Iterable[str], deny: Iterable[str], base: Permissions | None = None) -> Permissions:
    """Permissions from the command line's --allow and --deny lists.

    `--allow RIGHT` grants a right; `--allow fs.write:/out` (repeatable)
    limits fs.write to the union of the prefixes given (a bare
    `--allow fs.write` beside them means the whole root); `--deny RIGHT`
    removes a right entirely and `--deny fs.write:/etc` removes a subtree
    from where it applies.  A denial beats an allowance, whatever the order.
    """
    perms = base or Permissions()
    grant, drop = Right(0), Right(0)
    places: dict[Right, list[str] | None] = {}
    excluded: dict[Right, list[str]] = {}
    for text in allow:
        right, prefix = parse_right_spec(text, "--allow")
        grant |= right
        if right in FILE_RIGHTS:
            if prefix is None:
                places[right] = None
            elif places.get(right, []) is not None:
                places.setdefault(right, []).append(prefix)  # type: ignore[union-attr]
    for text in deny:
        right, prefix = parse_right_spec(text, "--deny")
        if prefix is None:
            drop |= right
        else:
            excluded.setdefault(right, []).append(prefix)
    perms = replace(perms, rights=perms.rights | grant)
    limited = {r: p for r, p in places.items() if p is not None}
    return perms.restrict(drop, paths=limited, exclude=excluded)


@dataclass(frozen=True)
class User:
    uid: int = 1000
    name: str = "user"
    gid: int = 1000


ROOT = User(0, "root", 0)
