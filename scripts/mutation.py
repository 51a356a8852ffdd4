"""Mutation testing of the modules that hold the service's rules (docs/testing.md, "Mutation testing").

For each group below, mutmut (https://mutmut.readthedocs.io) copies the project into a scratch folder,
makes one small change at a time to the group's modules (a comparison turned round, a constant moved,
an argument dropped, a string altered) and runs the group's tests against each change on the embedded
deployment. A change the tests notice is killed; one they do not notice has survived, and is either a
missing test or an equivalent change (listed, with the reason, in tests/mutation_equivalent.toml).

    scripts/mutation                 # every group
    scripts/mutation guard queue     # some groups
    scripts/mutation --show          # with the diff of each survivor
    scripts/mutation --again guard   # only the last run's survivors, after new tests
    scripts/mutation --report        # the last runs' verdicts, running nothing

The last line reads `killed K of N mutants`; timeouts count as killed (the change made a test hang),
equivalent mutants are left out of N.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT = ROOT / "tests" / "mutation_equivalent.toml"
STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    36: "timeout",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
}
NOT_RUN = {None: "not checked", 5: "no tests", 33: "no tests", 34: "skipped"}


@dataclass(frozen=True)
class Group:
    modules: tuple[str, ...]  # under src/sfumato/
    tests: tuple[str, ...]  # the tests that prove these modules' rules


GROUPS = {
    "queue": Group(
        ("db/queue.py", "db/claims.py", "db/places.py", "db/lapses.py", "domain/fairness.py"),
        ("tests/db/test_queue.py", "tests/db/test_fair_queue.py", "tests/domain/test_fairness.py"),
    ),
    "database": Group(("db/database.py",), ("tests/db/test_database.py",)),
    "quotas": Group(
        ("domain/plans.py", "db/usage.py"),
        ("tests/domain/test_plans.py", "tests/db/test_usage.py", "tests/services/test_quotas.py"),
    ),
    "idempotency": Group(
        ("domain/idempotency.py", "db/idempotency.py"),
        ("tests/domain/test_idempotency.py", "tests/db/test_idempotency.py", "tests/api/test_idempotency.py"),
    ),
    "guard": Group(("webhooks/guard.py", "webhooks/transport.py"), ("tests/webhooks/test_guard.py",)),
    "isolation": Group(
        ("db/jobs.py", "db/images.py"),
        (
            "tests/db/test_jobs.py",
            "tests/db/test_images.py",
            "tests/db/test_status_counts.py",
            "tests/api/test_isolation.py",
        ),
    ),
    "retention": Group(
        ("services/retention.py",), ("tests/services/test_retention.py", "tests/api/test_retention.py")
    ),
    "batching": Group(("domain/batching.py",), ("tests/domain/test_batching.py",)),
    "bodies": Group(("domain/bodies.py",), ("tests/domain/test_bodies.py", "tests/api/test_bodies.py")),
}


def scratch_copy(group: str, folder: Path, *, again: bool) -> None:
    """The project as git sees it (tracked and new files, not ignored ones), with mutmut's settings.
    `again` keeps the last run's mutants and verdicts (mutants/), for a run of its survivors only."""
    if not again:
        shutil.rmtree(folder, ignore_errors=True)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    spec = GROUPS[group]
    settings = {
        "source_paths": ["src/sfumato"],
        "only_mutate": [f"src/sfumato/{module}" for module in spec.modules],
        "pytest_add_cli_args_test_selection": list(spec.tests),
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-x", "-q"],
        "process_isolation": "forkserver",  # torch is imported by the tests' conftest: not fork-safe
        # A log line's words are for people, not a rule: changing them is no mutant worth a test.
        "do_not_mutate_patterns": [r"\blog\.(debug|info|warning|error|exception)\("],
    }
    lines = ["", "[tool.mutmut]", *(f"{key} = {json.dumps(value)}" for key, value in settings.items())]
    with (folder / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n".join(lines) + "\n")


def forget_survivors(folder: Path, modules: tuple[str, ...]) -> None:
    """Mark every mutant not killed last time as unchecked, so that mutmut runs those again (with new
    tests) and lets the killed ones' verdicts stand."""
    for module in modules:
        meta = folder / "mutants" / "src" / "sfumato" / f"{module}.meta"
        if meta.exists():
            data = json.loads(meta.read_text())
            codes = data["exit_code_by_key"]
            for name, code in codes.items():
                if STATUS.get(code) not in ("killed", "timeout"):
                    codes[name] = None
            meta.write_text(json.dumps(data))


def run_group(group: str, folder: Path, budget: float, processes: int, *, again: bool) -> bool:
    """mutmut over one group, stopped after `budget` seconds; whether it finished."""
    again = again and (folder / "mutants").is_dir()
    scratch_copy(group, folder, again=again)
    if again:
        forget_survivors(folder, GROUPS[group].modules)
    environment = os.environ | {
        "SFUMATO_TEST_DEPLOYMENTS": "embedded",
        "OMP_NUM_THREADS": "1",
    }
    mutmut = Path(sys.executable).with_name("mutmut")
    command = [str(mutmut), "run", "--max-children", str(processes)]
    with (folder / "mutmut.log").open("w") as log:
        process = subprocess.Popen(command, cwd=folder, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            process.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait(timeout=30)
            return False
    return process.returncode == 0


def outcomes(folder: Path, module: str) -> dict[str, str]:
    meta = folder / "mutants" / "src" / "sfumato" / f"{module}.meta"
    if not meta.exists():
        return {}
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    return {name: STATUS.get(code, NOT_RUN.get(code, "suspicious")) for name, code in codes.items()}  # type: ignore[arg-type]


def diff(folder: Path, name: str) -> str:
    mutmut = Path(sys.executable).with_name("mutmut")
    shown = subprocess.run([str(mutmut), "show", name], cwd=folder, capture_output=True, text=True)
    return shown.stdout


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("groups", nargs="*", help=f"groups to run (default: all): {', '.join(GROUPS)}")
    parser.add_argument("--budget", type=float, default=900, help="seconds a group may take (default 900)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--show", action="store_true", help="print each survivor's diff")
    parser.add_argument("--again", action="store_true", help="run only the last run's survivors again")
    parser.add_argument("--report", action="store_true", help="run nothing: report the last runs' verdicts")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "mutation", help="scratch folder")
    arguments = parser.parse_args()
    if unknown := set(arguments.groups) - set(GROUPS):
        parser.error(f"no such group: {', '.join(sorted(unknown))}")
    equivalent: dict[str, str] = tomllib.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}
    killed_all = total_all = 0
    for group in arguments.groups or list(GROUPS):
        folder = arguments.work / group
        if arguments.report:
            print(f"## {group}: the last run's verdicts")
        else:
            started = time.monotonic()
            finished = run_group(group, folder, arguments.budget, arguments.processes, again=arguments.again)
            took = time.monotonic() - started
            print(
                f"## {group}: {took:.0f} s{'' if finished else ' (stopped at its budget: some not checked)'}"
            )
        for module in GROUPS[group].modules:
            found = outcomes(folder, module)
            alike = {name for name in found if name in equivalent}
            counts = {status: 0 for status in ("killed", "timeout", "survived", "not checked", "no tests")}
            for name, status in found.items():
                if name not in alike:
                    counts[status] = counts.get(status, 0) + 1
            if not found:
                print(f"{module}: not run")
                continue
            killed = counts["killed"] + counts["timeout"]
            total = len(found) - len(alike)
            score = 100 * killed / total if total else 100.0
            shown = ", ".join(f"{status} {count}" for status, count in counts.items() if count)
            print(f"{module}: {score:.1f}% ({shown}; equivalent {len(alike)})")
            for name, status in sorted(found.items()):
                if status not in ("killed", "timeout") and name not in alike:
                    print(f"    {status}: {name}")
                    if arguments.show and status == "survived":
                        print(diff(folder, name))
            killed_all += killed
            total_all += total
    print(f"killed {killed_all} of {total_all} mutants")
    return 0


if __name__ == "__main__":
    sys.exit(main())
