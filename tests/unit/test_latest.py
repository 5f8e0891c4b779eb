import threading

from pos_customers.ui.latest import Latest


def test_only_the_newest_request_runs_after_the_running_one():
    latest, ran, started, release = Latest("test"), [], threading.Event(), threading.Event()

    def work(n):
        if n == 0:
            started.set()
            release.wait(10)
        ran.append((n, latest.superseded()))

    latest.submit(work, 0)
    assert started.wait(10)
    for n in (1, 2, 3):  # handed over while 0 runs: only the newest is kept
        latest.submit(work, n)
    assert not latest.idle()
    release.set()
    for _ in range(1000):
        if latest.idle():
            break
        threading.Event().wait(0.01)
    assert ran == [(0, True), (3, False)] and latest.idle()
    latest.close()
    latest.submit(work, 4)  # closed: refused
    assert ran == [(0, True), (3, False)]
