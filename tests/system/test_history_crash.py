"""The history crash loop, short: natterd is killed with SIGKILL under load
a few times; nothing a client was acknowledged or shown may be missing
from CHATHISTORY afterwards, nothing may be stored twice, and the data file
must open cleanly every time. bench/history-crash-loop runs it 100 times.
"""
import crashloop
from conftest import NATTERD


def test_crash_loop_loses_nothing_acknowledged(tmp_path):
    result = crashloop.run(NATTERD, tmp_path / "crash", kills=6, seed=11,
                           log=lambda s: None)
    assert result["acknowledged"] > 0 and result["shown"] > 0, result
    assert result["stored"] >= result["acknowledged"], result


def test_crash_loop_echo_mode_keeps_every_acknowledged_message(tmp_path, monkeypatch):
    """durable_ack=echo: others see a message at once, but its sender's echo
    (the acknowledgement) waits for the commit, so no echoed message is lost."""
    monkeypatch.setattr(crashloop, "EXTRA_HISTORY", "durable_ack=echo")
    result = crashloop.run(NATTERD, tmp_path / "crash", kills=4, seed=5,
                           log=lambda s: None, check_shown=False)
    assert result["acknowledged"] > 0, result
