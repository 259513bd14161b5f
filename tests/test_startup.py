"""A program starts as Linux starts it: output, argv, envp and auxv."""

from __future__ import annotations

import re

from harness import BASE_ENV, same_as_native


def test_hello_prints_to_stdout_and_stderr(guest, violet):
    r = same_as_native(guest("hello"), violet)
    assert r.stdout == b"hello, world\n"
    assert r.stderr == b"to stderr\n"
    assert r.status == 0


def test_stdin_reaches_the_program_byte_for_byte(guest, violet):
    data = bytes(range(256)) * 400  # 100 KiB, every byte value, several reads' worth
    r = same_as_native(guest("echo"), violet, stdin=data)
    assert r.stdout == data
    assert r.stderr == f"{len(data)} bytes\n".encode()


def test_empty_stdin_is_end_of_file(guest, violet):
    r = same_as_native(guest("echo"), violet, stdin=b"")
    assert r.stdout == b"" and r.stderr == b"0 bytes\n" and r.status == 0


def test_hello_under_violet_prints_no_kernel_messages(guest, violet):
    r = violet(guest("hello"))
    assert r.violet_lines() == []


ODD_ARGS = ["plain", "with space", "", "tab\there", "ünïcödé", "--flag=value", "x" * 3000]


def test_argv_arrives_intact_and_in_order(guest, violet):
    binary = guest("args")
    r = same_as_native(binary, violet, ODD_ARGS)
    lines = r.out.splitlines()
    assert lines[0] == f"argc={len(ODD_ARGS) + 1}"
    assert lines[1] == f'argv[0]="{binary}"'
    assert 'argv[2]="with space"' in lines
    assert 'argv[3]=""' in lines
    assert "argv[argc]=NULL" in lines


def test_argv_bytes_that_are_not_utf8_arrive_intact(guest, violet):
    r = same_as_native(guest("args"), violet, [b"\xff\xfe", b"a\x01b"])
    assert 'argv[1]="\\xff\\xfe"' in r.out
    assert 'argv[2]="a\\x01b"' in r.out


def test_environment_bytes_that_are_not_utf8_arrive_intact(guest, violet):
    env = {**BASE_ENV, "ODD": "caf\udce9"}  # the byte 0xe9, as os.environ would carry it
    r = same_as_native(guest("args"), violet, env=env)
    assert 'envp[3]="ODD=caf\\xe9"' in r.out


def test_envp_is_exactly_the_environment_given(guest, violet):
    env = {**BASE_ENV, "GREETING": "hello world", "EMPTY": "", "EQUALS": "a=b=c"}
    r = same_as_native(guest("args"), violet, env=env)
    envp = [line for line in r.out.splitlines() if line.startswith("envp[")]
    assert envp == [f'envp[{i}]="{k}={v}"' for i, (k, v) in enumerate(env.items())]
    assert "environ is envp: ok" in r.out
    assert "envp after argv: ok" in r.out


def test_auxv_has_the_entries_libc_reads(guest, violet):
    binary = guest("args")
    r = same_as_native(binary, violet)
    lines = r.out.splitlines()
    for expected in [
        "AT_PAGESZ=4096",
        "AT_PHENT=56",
        "AT_CLKTCK=100",
        "AT_SECURE=0",
        "AT_PLATFORM=x86_64",
        "AT_RANDOM non-null: ok",
        "AT_RANDOM bytes not all zero: ok",
        f'AT_EXECFN[0]="{binary}"',
        "AT_PHDR non-null: ok",
        "AT_PHDR has PT_LOAD: ok",
        "AT_ENTRY in an executable segment: ok",
        "main in an executable segment: ok",
        "AT_NOSUCH=0",
    ]:
        assert expected in lines
    assert "BAD" not in r.out


def test_at_random_differs_between_runs(guest, violet):
    binary = guest("args")
    first, second = (violet(binary, ["random"]).out for _ in range(2))
    assert re.fullmatch(r"AT_RANDOM=[0-9a-f]{32}\n", first)
    assert first != second

