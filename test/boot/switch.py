#!/usr/bin/env python3
# The boot test's 802.1Q switch for the one-port layout (cells.ts `vlan`; switch.ts starts it in
# the test's own vm namespace): this machine's kernel has no 802.1Q, and Node opens no tap without
# a native addon. The guest's one NIC is qemu's `-netdev socket,udp=LISTEN,localaddr=QEMU`: every
# Ethernet frame one UDP datagram. Untagged frames go to the LAN's tap, frames tagged VID go to the
# modem's tap with the tag taken off, and the modem's frames come back tagged VID, as a managed
# switch does with the box's port a trunk (the LAN native, the modem's VLAN tagged) and the modem's
# an access port. Frames of any other VLAN are dropped. Each source MAC first seen on a VLAN is
# appended to SEEN as `VID MAC ETHERTYPE DESTINATION` (of that first frame, for the evidence), so
# the test can tell which MACs reached the modem's side.
# Usage: switch.py LISTEN-PORT QEMU-PORT LAN-TAP MODEM-TAP VID SEEN (both ports on 127.0.0.1).
# Prints `ready` once the taps are attached and the socket bound; runs until killed.
import fcntl
import os
import select
import socket
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
TPID = b'\x81\x00'


def tap(name):
    fd = os.open('/dev/net/tun', os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def send(write, frame):
    try:
        write(frame)
    except OSError:
        pass  # a tap that is down, qemu not listening yet: the frame is lost, as on a cable


def main():
    listen, qemu_port, lan_name, modem_name, vid_text, seen_path = sys.argv[1:]
    vid = int(vid_text)
    qemu = ('127.0.0.1', int(qemu_port))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', int(listen)))
    lan, modem = tap(lan_name), tap(modem_name)
    seen = set()
    log = open(seen_path, 'a', buffering=1)
    print('ready', flush=True)
    while True:
        ready, _, _ = select.select([sock, lan, modem], [], [])
        if sock in ready:
            frame = sock.recv(65536)
            if frame[12:14] != TPID:
                send(lambda f: os.write(lan, f), frame)
            elif len(frame) >= 18:
                tagged = struct.unpack('!H', frame[14:16])[0] & 0x0FFF
                key = (tagged, frame[6:12].hex(':'))
                if key not in seen:
                    seen.add(key)
                    log.write('%d %s %s %s\n' % (*key, frame[16:18].hex(), frame[0:6].hex(':')))
                if tagged == vid:
                    send(lambda f: os.write(modem, f), frame[:12] + frame[16:])
        if lan in ready:
            send(lambda f: sock.sendto(f, qemu), os.read(lan, 65536))
        if modem in ready:
            frame = os.read(modem, 65536)
            send(lambda f: sock.sendto(f, qemu), frame[:12] + TPID + struct.pack('!H', vid) + frame[12:])


if __name__ == '__main__':
    main()
