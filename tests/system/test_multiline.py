"""IRCv3 draft/multiline: limits in the cap value, one batch for
recipients with the cap, separate lines for the others, FAIL past a limit."""
from __future__ import annotations

from conftest import unique

CAPS = ["draft/multiline", "batch", "message-tags", "echo-message"]


def send_multiline(c, target, lines, ref="m1", command="PRIVMSG", label=None):
    start = f"BATCH +{ref} draft/multiline {target}"
    c.send((f"@label={label} " if label else "") + start)
    for text, concat in lines:
        tags = f"@batch={ref}" + (";draft/multiline-concat" if concat else "")
        c.send(f"{tags} {command} {target} :{text}")
    c.send(f"BATCH -{ref}")


def test_cap_value_has_limits(server):
    c = server.connect()
    c.send("CAP LS 302")
    ls = c.read_cap_ls()
    assert ls["draft/multiline"] == "max-bytes=4096,max-lines=24"


def test_multiline_to_room(server):
    a = server.client(unique("a"), caps=CAPS)
    b = server.client(unique("b"), caps=CAPS)
    old = server.client(unique("o"))
    ch = "#" + unique("ml")
    for c in (a, b, old):
        c.join(ch)
    for c in (a, b, old):
        c.sync()
    send_multiline(a, ch, [("hello", False), ("how is", False), (" everyone?", True)])
    start = b.expect("BATCH")
    assert start.nick == a.nick and start.params[1:] == ["draft/multiline", ch]
    ref = start.params[0][1:]
    assert "msgid" in start.tags
    inner = b.collect_until("BATCH", params=["-" + ref])[:-1]
    assert [m.params[1] for m in inner] == ["hello", "how is", " everyone?"]
    assert all(m.tags["batch"] == ref for m in inner)
    assert "draft/multiline-concat" in inner[2].tags
    # The sender's echo is the same batch.
    assert a.expect("BATCH").params[1] == "draft/multiline"
    # Without the cap: plain lines.
    got = [old.expect("PRIVMSG").params[1] for _ in range(3)]
    assert got == ["hello", "how is", " everyone?"]


def test_multiline_to_user_and_label(server):
    a = server.client(unique("a"), caps=CAPS + ["labeled-response"])
    b = server.client(unique("b"), caps=CAPS)
    send_multiline(a, b.nick, [("one", False), ("two", False)], label="L1")
    outer = a.expect("BATCH")
    assert outer.tags.get("label") == "L1" and outer.params[1] == "labeled-response"
    inner = a.expect("BATCH")
    assert inner.params[1] == "draft/multiline" and inner.tags.get("batch") == outer.params[0][1:]
    start = b.expect("BATCH")
    assert start.params[1:] == ["draft/multiline", b.nick]


def test_multiline_limits(server):
    a = server.client(unique("a"), caps=CAPS)
    b = server.client(unique("b"), caps=CAPS)
    send_multiline(a, b.nick, [("x", False)] * 25, ref="big")
    fail = a.expect("FAIL")
    assert fail.params[:3] == ["BATCH", "MULTILINE_MAX_LINES", "24"]
    send_multiline(a, b.nick, [("y" * 400, False)] * 11, ref="fat")
    fail = a.expect("FAIL")
    assert fail.params[:3] == ["BATCH", "MULTILINE_MAX_BYTES", "4096"]
    send_multiline(a, b.nick, [("z", False)], ref="tg")
    b.expect("BATCH")
    a.send(f"BATCH +t2 draft/multiline {b.nick}")
    a.send(f"@batch=t2 PRIVMSG {a.nick} :wrong target")
    a.send("BATCH -t2")
    assert a.expect("FAIL").params[:2] == ["BATCH", "MULTILINE_INVALID_TARGET"]
    # Nothing of the refused batches reached b.
    assert not [m for m in b.sync() if m.command == "PRIVMSG" and m.params[1] != "z"
                and "batch" not in m.tags]


def test_batch_without_cap_is_refused(server):
    a = server.client(unique("a"), caps=["batch"])
    a.send(f"BATCH +r draft/multiline {a.nick}")
    assert a.expect("FAIL").params[:2] == ["BATCH", "MULTILINE_INVALID"]


def test_labeled_echo_nests_the_multiline_batch(server):
    """The echo of a labeled batch is a draft/multiline batch inside the
    labeled-response one: its lines carry one batch tag, the inner one."""
    a = server.client(unique("a"), caps=CAPS + ["labeled-response"])
    b = server.client(unique("b"), caps=CAPS)
    send_multiline(a, b.nick, [("one", False), ("two", True)], label="L2")
    outer = a.expect("BATCH")
    assert outer.tags.get("label") == "L2"
    inner = a.expect("BATCH")
    assert inner.tags.get("batch") == outer.params[0][1:]
    ref = inner.params[0][1:]
    lines = a.collect_until("BATCH", params=["-" + ref])[:-1]
    assert [m.params[1] for m in lines] == ["one", "two"]
    for m in lines:
        assert m.raw.count(b"batch=") == 1 and m.tags["batch"] == ref, m.text
    assert "draft/multiline-concat" in lines[1].tags
    a.expect("BATCH", params=["-" + outer.params[0][1:]])


def test_long_lines_stay_within_the_limit(server):
    a = server.client(unique("a"), caps=CAPS)
    b = server.client(unique("b"), caps=CAPS)
    long = "é" * 240  # 480 bytes: fits a's line, not with a's prefix in front
    send_multiline(a, b.nick, [(long, False), (long, True)])
    start = b.expect("BATCH")
    lines = b.collect_until("BATCH", params=["-" + start.params[0][1:]])[:-1]
    for m in lines:
        body = m.raw.split(b" ", 1)[1]
        assert len(body) <= 510 and long.startswith(m.params[1]) and len(m.params[1]) > 200
