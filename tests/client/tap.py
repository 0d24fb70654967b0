"""TAP lines and waiting, shared by the GUI test scripts (test_gui.py,
test_gui_accounts.py, test_soak.py) so that each does not carry a copy."""
import time

count = 0  # "ok" lines printed so far


def ok(desc):
    global count
    count += 1
    print(f'ok {count} - {desc}', flush=True)


def log(msg):
    print(f'# {msg}', flush=True)


def not_ok(text):
    """The failing test after the last "ok", and bail out."""
    print(f'not ok {count + 1} - {text}', flush=True)
    print(f'Bail out! {text}', flush=True)


def wait_for(fn, what, timeout, retry_errors=False, on_timeout=None):
    """fn()'s first true value within @timeout seconds, polling every 0.1 s.
    With @retry_errors an exception from fn counts as a false value (an
    accessibility tree that changes under us); @on_timeout runs before the
    AssertionError (a screenshot), and its own failure is ignored."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            v = fn()
        except Exception:  # noqa: BLE001 - see retry_errors
            if not retry_errors:
                raise
            v = None
        if v:
            return v
        time.sleep(0.1)
    if on_timeout is not None:
        try:
            on_timeout()
        except Exception:  # noqa: BLE001 - it only helps to see why
            pass
    raise AssertionError(f'timed out waiting for {what}')
