"""Pipes as pipe(7) describes them, checked against the same guest run
natively: EOF, short reads and the wrong end; O_NONBLOCK with the 64 KiB
capacity and PIPE_BUF atomicity; a blocking write bigger than the pipe;
concurrent PIPE_BUF-sized writers never interleaving; EPIPE with SIGPIPE's
three dispositions; blocked readers and writers woken by the other end
closing; FIONREAD."""

from __future__ import annotations

import pytest

from harness import same_as_native

EXPECTED = {
    "eof": [
        "write 5: 5",
        "read 100 gets what is there: 5",
        "write to the read end: -1 EBADF",
        "read from the write end: -1 EBADF",
        "write 3: 3",
        "read after writer closed: 3",
        "read at EOF: 0",
        "read at EOF again: 0",
    ],
    "nonblock": [
        "read empty: -1 EAGAIN",
        "fill stops with EAGAIN",
        # 1000-byte writes: four to a page-sized slot, sixteen slots.
        "capacity: 64000",
        "write 65436: 65436",
        "atomic write of PIPE_BUF with 100 bytes of room: -1 EAGAIN",
        "write 100 into 100 bytes of room: 100",
        "write 1 into a full pipe: -1 EAGAIN",
        "write 100000 into an empty pipe (partial): 65536",
        "read empty without writers (EOF, not EAGAIN): 0",
    ],
    "bigwrite": [
        "one blocking write of 300000: 300000",
        "reader: got all 300000 bytes in order",
    ],
    "atomic": ["records: 256, interleaved: 0, per writer: 64 64 64 64"],
    "epipe": [
        "default action: killed by signal 13",
        "ignored: write: -1 EPIPE",
        "ignored: write of 0 bytes: 0",
        "handled: write: -1 EPIPE",
        "handler saw signal 13",
    ],
    "ioctl": [
        "FIONREAD empty: 0",
        "FIONREAD read end after 8 bytes: 8",
        "FIONREAD write end: 8",
        "FIONREAD after reading 2: 6",
        "TCGETS on a pipe: -1 ENOTTY",
    ],
    "wakeups": [
        "blocked reader, last writer closes: EOF",
        "blocked writer, last reader closes: EPIPE",
    ],
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_pipe_semantics_as_on_linux(case, guest, violet) -> None:
    got = same_as_native(guest("pipes"), violet, [case])
    assert got.out.splitlines() == EXPECTED[case], got.report
    assert got.status == 0
