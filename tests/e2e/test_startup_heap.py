"""`sfumato serve` and `sfumato worker` set their start-up objects aside from the garbage collector once their
model is loaded (services/startup_heap.py; the rule itself: tests/services/test_startup_heap.py)."""

import re
from pathlib import Path

from tests.e2e.harness import Process, Server, environment

FROZEN = re.compile(r"(\d+) objects made at start-up are set aside from the garbage collector")


def test_serve_and_worker_freeze_what_they_made_once_the_model_is_loaded(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", poll_seconds="0.2")
    api = Server(env, tmp_path / "api.log")  # with its worker thread
    worker = Process(["worker"], env | {"OMP_NUM_THREADS": "1"}, tmp_path / "worker.log")
    try:
        api.wait_ready()
        for process in (api, worker):
            process.wait_for_output("set aside from the garbage collector")
            output = process.output()
            found = FROZEN.search(output)
            assert found is not None, output[-3000:]
            assert output.index("ready with tiny") < found.start()  # the model's objects are among them
            assert int(found.group(1)) > 100_000  # torch's, diffusers' and transformers' modules: the bulk
    finally:
        worker.stop()
        api.stop()
