#!/usr/bin/python3
# Loads the seccomp filters a systemd unit asks for, then execs a program under them, the way
# systemd's executor does before ExecStart= (systemd is not PID 1 on the test machines, so the
# lab rebuilds the unit's sandbox itself; test/support/systemd-unit.ts reads the unit and calls
# this). Needs Debian's python3-seccomp (libseccomp's own bindings).
#
#   seccomp-exec.py [--mdwe] [--allow SET,...] [--errno NAME] -- PROGRAM ARGS...
#
# --mdwe: MemoryDenyWriteExecute=yes, the rules of systemd's seccomp_memory_deny_write_execute()
#   (src/shared/seccomp-util.c, systemd 252): mmap/mmap2 with PROT_WRITE|PROT_EXEC, mprotect and
#   pkey_mprotect with PROT_EXEC, shmat with SHM_EXEC fail with EPERM.
# --allow: SystemCallFilter= as an allow-list: the named syscalls and @sets (expanded recursively
#   with `systemd-analyze syscall-filter`, the same tables systemd compiles in), plus @default,
#   which systemd adds to every allow-list; anything else fails with --errno (default EPERM, as
#   SystemCallErrorNumber=EPERM) instead of killing the process.
import errno
import os
import subprocess
import sys

import seccomp

PROT_WRITE, PROT_EXEC, SHM_EXEC = 0x2, 0x4, 0o100000


def expand(names, seen):
    out = set()
    for name in names:
        if not name.startswith('@'):
            out.add(name)
            continue
        if name in seen:
            continue
        seen.add(name)
        text = subprocess.run(['systemd-analyze', 'syscall-filter', name], check=True,
                              capture_output=True, text=True).stdout
        members = [l.strip() for l in text.splitlines()[1:] if l.strip() and not l.strip().startswith('#')]
        out |= expand(members, seen)
    return out


def rule(f, action, name, *args):
    try:
        f.add_rule(action, name, *args)
    except (RuntimeError, ValueError, OSError):
        pass  # a syscall this architecture does not have (mmap2, arm_fadvise64_64...): as systemd


def main(argv):
    mdwe, allow, err = False, None, errno.EPERM
    while argv and argv[0] != '--':
        opt = argv.pop(0)
        if opt == '--mdwe':
            mdwe = True
        elif opt == '--allow':
            allow = argv.pop(0).split(',')
        elif opt == '--errno':
            err = getattr(errno, argv.pop(0))
        else:
            sys.exit(f'seccomp-exec: unknown option {opt}')
    if not argv or len(argv) < 2:
        sys.exit('usage: seccomp-exec.py [--mdwe] [--allow SET,...] [--errno NAME] -- PROGRAM ARGS...')
    program = argv[1:]
    if mdwe:
        f = seccomp.SyscallFilter(seccomp.ALLOW)
        deny = seccomp.ERRNO(errno.EPERM)
        wx = PROT_WRITE | PROT_EXEC
        for name in ('mmap', 'mmap2'):
            rule(f, deny, name, seccomp.Arg(2, seccomp.MASKED_EQ, wx, wx))
        for name in ('mprotect', 'pkey_mprotect'):
            rule(f, deny, name, seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, PROT_EXEC))
        rule(f, deny, 'shmat', seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, SHM_EXEC))
        f.load()
    if allow is not None:
        f = seccomp.SyscallFilter(seccomp.ERRNO(err))
        for name in sorted(expand(allow + ['@default'], set())):
            rule(f, seccomp.ALLOW, name)
        f.load()
    os.execvp(program[0], program)


main(sys.argv[1:])
