"""Many clients sending random, often wrong, commands at once: natterd must
keep serving, answer a newcomer, and exit cleanly (the ASan run of this suite
also checks that nothing leaked or was used after free).

A regression net for the paths where users, rooms and modes come and go while
messages are in flight: kicks of the last member, nick changes inside rooms,
quits in the middle of fan-out, bans matching yourself.
"""
import os
import random
import socket
import time

from conftest import unique

VERBS = ["PRIVMSG", "NOTICE", "JOIN", "PART", "KICK", "MODE", "TOPIC", "NICK",
         "INVITE", "WHO", "WHOIS", "WHOWAS", "NAMES", "LIST", "AWAY", "ISON",
         "USERHOST", "MONITOR", "TAGMSG", "SETNAME", "QUIT", "PING", "CAP", "OPER",
         "KILL", "WALLOPS", "LUSERS", "HELP", "FOO"]
MODES = ["+o", "-o", "+v", "-v", "+b", "-b", "+k", "-k", "+l", "-l", "+i", "-i",
         "+m", "-m", "+n", "-n", "+t", "-t", "+s", "+ov-b", "+bbb", "b", "+x"]


def random_line(rng, nicks, chans):
    def word():
        return rng.choice([rng.choice(nicks), rng.choice(chans), "*", "*!*@*", "",
                           "#" + "x" * rng.randint(1, 60), "a,b,#c", "0", "10",
                           "\u00e9\u00e8", "x" * rng.randint(1, 300)])
    verb = rng.choice(VERBS)
    if verb == "MODE":
        params = [rng.choice(chans + nicks), rng.choice(MODES)] + [word() for _ in range(rng.randint(0, 3))]
    elif verb == "CAP":
        params = [rng.choice(["LS", "REQ", "LIST", "END", "XYZ"]), ":echo-message -server-time bogus"]
    else:
        params = [word() for _ in range(rng.randint(0, 4))]
    line = verb + "".join(" " + p for p in params if p and " " not in p)
    if rng.random() < 0.5:
        line += " :" + word()
    if rng.random() < 0.05:
        line = "@+t=" + word().replace(" ", "") + " " + line
    return line.encode("utf-8")[:500] + b"\r\n"


def test_random_commands_from_many_clients(server_factory):
    srv = server_factory(config={"limits": {"flood_burst": 100000, "flood_rate": 100000}})
    rng = random.Random(int(os.environ.get("CHAOS_SEED", "20261125")))
    nicks = [unique("Ch") for _ in range(16)]
    chans = ["#lobby"] + ["#" + unique("cr") for _ in range(4)]
    socks = {}

    def connect(nick):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.setblocking(False)
        s.sendall(f"NICK {nick}\r\nUSER c 0 * :chaos\r\nJOIN {','.join(chans)}\r\n".encode())
        return s

    for n in nicks:
        socks[n] = connect(n)
    deadline = time.monotonic() + 8
    sent = 0
    while time.monotonic() < deadline:
        nick = rng.choice(nicks)
        s = socks[nick]
        try:
            s.sendall(random_line(rng, nicks, chans))
            sent += 1
            s.recv(1 << 20)  # drain so nobody hits the send queue
        except BlockingIOError:
            pass
        except OSError:
            # closed (QUIT, KILL, error): come back as the same nick
            s.close()
            socks[nick] = connect(nick)
        if rng.random() < 0.01:
            s.close()  # vanish mid-conversation
            socks[nick] = connect(nick)
    assert sent > 1000
    assert srv.proc.poll() is None, f"natterd died:\n{srv.log()}"
    for s in socks.values():
        s.close()
    # The chaos may have locked #lobby (+i, +k, a ban on *!*@*), so the
    # newcomer opens a room of its own and talks there.
    fresh = srv.client(unique("After"))
    other = srv.client(unique("Other"))
    room = "#" + unique("after")
    fresh.join(room)
    other.join(room)
    fresh.send(f"PRIVMSG {room} :still standing")
    assert other.expect("PRIVMSG").params[-1] == "still standing"
