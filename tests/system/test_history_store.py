"""The history store's two stages (src/server/history_internal.h): a batch is
acknowledged once it is one blob in history_log, the loop keeps its rows in
memory, and the writer later moves them into the indexed `history` table.
Readers must see every acknowledged row exactly once, whichever stage it is
in, and rows a crash left in history_log must come back at the next start.
"""
import sqlite3
import struct
import time

from conftest import unique, wait_for
from test_history import HIST_CAPS, history, talk, texts


def db_counts(data_dir):
    """(rows in history, blobs in history_log), read beside the running
    natterd (WAL lets a reader in)."""
    db = sqlite3.connect(f"file:{data_dir / 'natterd.db'}?mode=ro", uri=True, timeout=5)
    try:
        return (db.execute("SELECT count(*) FROM history").fetchone()[0],
                db.execute("SELECT count(*) FROM history_log").fetchone()[0])
    finally:
        db.close()


def blob(rows):
    """history_log's format: per row id, time, kind as little-endian int64,
    then msgid, target, sender, line, tags, peer_a, peer_b as a uint32
    length (0xffffffff: none) and the bytes."""
    out = b""
    for r in rows:
        out += struct.pack("<qqq", r["id"], r["time"], r["kind"])
        for key in ("msgid", "target", "sender", "line", "tags", "peer_a", "peer_b"):
            v = r.get(key)
            if v is None:
                out += struct.pack("<I", 0xFFFFFFFF)
            else:
                b = v.encode()
                out += struct.pack("<I", len(b)) + b
    return out


def test_rows_in_memory_and_in_the_table_are_read_once(server):
    chan = "#" + unique("s")
    a = server.client(unique("a"), caps=HIST_CAPS)
    a.join(chan)
    first = talk(a, chan, [f"early{i}" for i in range(10)])
    # The writer moves rows once no batch has come for 200 ms.
    wait_for(lambda: db_counts(server.data_dir)[1] == 0, timeout=10)
    stored_before = db_counts(server.data_dir)[0]
    late = talk(a, chan, [f"late{i}" for i in range(10)])
    want = [f"early{i}" for i in range(10)] + [f"late{i}" for i in range(10)]
    # Right away: the late rows are only in memory (and history_log).
    lines, fail = history(a, "LATEST", chan, "*", "100")
    assert fail is None and texts(lines) == want
    lines, _ = history(a, "AFTER", chan, f"msgid={first[0].tags['msgid']}", "100")
    assert texts(lines) == want[1:]
    lines, _ = history(a, "BEFORE", chan, f"msgid={late[-1].tags['msgid']}", "15")
    assert texts(lines) == want[4:19]
    # Once moved, the same answers from the table alone, no row twice.
    wait_for(lambda: db_counts(server.data_dir) == (stored_before + 10, 0), timeout=10)
    lines, _ = history(a, "LATEST", chan, "*", "100")
    assert texts(lines) == want
    msgids = [m.tags["msgid"] for m in lines]
    assert len(set(msgids)) == len(msgids)


def test_a_message_is_acknowledged_before_it_is_indexed(server):
    chan = "#" + unique("s")
    a = server.client(unique("a"), caps=HIST_CAPS)
    a.join(chan)
    wait_for(lambda: db_counts(server.data_dir)[1] == 0, timeout=10)
    stored = db_counts(server.data_dir)[0]
    talk(a, chan, ["now"])
    # The echo came after the commit: the row is on disk as a blob...
    rows, blobs = db_counts(server.data_dir)
    if blobs == 0:  # ...unless 200 ms went by on a slow machine and it moved
        assert rows == stored + 1
    else:
        assert rows == stored and blobs >= 1


def test_rows_left_in_history_log_come_back_after_an_unclean_stop(server):
    chan = "#" + unique("crash")
    a = server.client(unique("a"), caps=HIST_CAPS)
    a.join(chan)
    talk(a, chan, ["before"])
    server.stop()
    db = sqlite3.connect(server.data_dir / "natterd.db")
    top = db.execute("SELECT coalesce(max(id), 0) FROM history").fetchone()[0]
    now = int(time.time() * 1000)
    line = ":ghost!g@127.0.0.1 PRIVMSG {} :{}"
    rows = [dict(id=top + 1 + i, time=now + i, kind=1, msgid=f"crash-{i}", target=chan,
                 sender="~ghost", line=line.format(chan, f"kept{i}")) for i in range(3)]
    # As a kill -9 leaves them: committed blobs, not yet moved; plus a
    # damaged one, which is skipped with a log line instead of stopping.
    db.execute("INSERT INTO history_log(batch) VALUES(?)", (blob(rows[:2]),))
    db.execute("INSERT INTO history_log(batch) VALUES(?)", (blob(rows[2:]),))
    db.execute("INSERT INTO history_log(batch) VALUES(?)", (blob(rows[:1])[:-5],))
    db.commit()
    db.close()
    server.start()
    log = server.log()
    assert "3 stored lines moved into history after an unclean stop" in log
    assert "1 damaged batch(es) in history_log were skipped" in log
    assert db_counts(server.data_dir)[1] == 0
    b = server.client(unique("b"), caps=HIST_CAPS)
    b.join(chan)
    lines, fail = history(b, "LATEST", chan, "*", "10")
    assert fail is None
    assert texts(lines) == ["before", "kept0", "kept1", "kept2"]
    # New rows get ids after the recovered ones, so nothing collides.
    talk(b, chan, ["after"])
    lines, _ = history(b, "LATEST", chan, "*", "10")
    assert texts(lines) == ["before", "kept0", "kept1", "kept2", "after"]


def test_chathistory_is_read_off_the_loop_and_answered_in_order(server_factory):
    """CHATHISTORY runs in a worker (the loop never waits for a page of the
    file; STATS a counts it in the lookup queue); what the client sends after
    it is still answered after it."""
    server = server_factory(opers={"admin": "op-password-1"})
    chan = "#" + unique("s")
    a = server.client(unique("a"), caps=HIST_CAPS)
    a.join(chan)
    talk(a, chan, [f"w{i}" for i in range(5)])
    a.send_raw(f"CHATHISTORY LATEST {chan} * 3\r\nPING :mid\r\n"
               f"CHATHISTORY LATEST {chan} * 1\r\nPING :end\r\n".encode())
    seen = []
    for m in a.collect_until("PONG", params=[None, "end"]):
        if m.command == "BATCH":
            seen.append("open" if m.params[0].startswith("+") else "close")
        elif m.command == "PONG":
            seen.append(m.params[-1])
        elif m.command == "PRIVMSG":
            seen.append(m.params[-1])
    assert seen == ["open", "w2", "w3", "w4", "close", "mid", "open", "w4", "close", "end"]
    a.send("OPER admin op-password-1")
    a.expect("381", timeout=30)
    a.send("STATS a")
    lookup = [m.params[-1] for m in a.collect_until("219")
              if m.command == "249" and m.params[-1].startswith("lookup ")]
    counts = dict(f.split("=") for f in lookup[0].split()[1:])
    assert int(counts["submitted"]) >= 2 and int(counts["completed"]) >= 2, lookup


def test_reads_stay_whole_while_rows_move_under_them(server):
    """Readers queued while the writer moves their rows into the table still
    get every row once (a view holds the rows it saw in memory)."""
    chan = "#" + unique("s")
    a = server.client(unique("a"), caps=HIST_CAPS)
    b = server.client(unique("b"), caps=HIST_CAPS)
    a.join(chan)
    b.join(chan)
    sent = []
    for burst in range(4):
        words = [f"b{burst}m{i}" for i in range(60)]
        for w in words:
            a.send(f"PRIVMSG {chan} :{w}")
        sent += words
        # Pipelined reads; the writer moves the burst ~200 ms after it.
        b.send_raw(b"".join(f"CHATHISTORY LATEST {chan} * 100\r\n".encode()
                            for _ in range(20)))
        for _ in range(20):
            lines = collect_batch(b)
            got = texts(lines)
            assert len(got) == len(set(got)), "a row twice"
            assert got == [w for w in sent if w in set(got)], "out of order"
        time.sleep(0.25)
    wait_for(lambda: db_counts(server.data_dir)[1] == 0, timeout=10)
    lines, _ = history(b, "LATEST", chan, "*", "100")
    assert texts(lines) == sent[-100:]


def collect_batch(c):
    first = c.expect("BATCH")
    ref = first.params[0][1:]
    lines = []
    while True:
        m = c.get()
        if m.command == "BATCH" and m.params[0] == "-" + ref:
            return lines
        lines.append(m)
