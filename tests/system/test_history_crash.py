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
