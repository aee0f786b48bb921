"""Jobs of an experiment: commands run as subprocesses, a few at a time,
each once the jobs it depends on are done, reused when they ran before on
the same content (:mod:`.reuse`), their progress on a board
(:mod:`.progress`)."""
import os
import os.path as osp
import subprocess
import time
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence

from .progress import ProgressBoard
from .reuse import (code_digests, differences, file_digest, job_key,
                    read_record, write_record)


class CheckpointIn(NamedTuple):
    """A command argument known only once a run has finished: ``prefix`` +
    the checkpoint that mmengine's ``last_checkpoint`` file in ``run_dir``
    names."""
    run_dir: str
    prefix: str = ''

    def path(self) -> str:
        with open(osp.join(self.run_dir, 'last_checkpoint')) as f:
            return f.read().strip()

    def resolve(self) -> str:
        return self.prefix + self.path()

    def placeholder(self) -> str:
        """The argument as a record holds it: the run, not its file."""
        return f'{self.prefix}<checkpoint of {self.run_dir}>'


class Task(NamedTuple):
    """A command of an experiment and what its result depends on.

    ``command``: strings and :class:`CheckpointIn`; ``log``: its output
    (the record of a finished run is ``log + '.done'``); ``depends``: names
    of the tasks to finish first; ``epochs``: its training epochs, for the
    progress board's total; ``config``: its config as it resolves, flat
    (:func:`.reuse.flatten`); ``data``: digests of the data files it reads;
    ``code``: files it runs beyond the package (its script).
    """
    name: str
    command: Sequence
    log: str
    depends: Sequence[str] = ()
    epochs: int = 1
    config: Mapping[str, str] = {}
    data: Mapping[str, str] = {}
    code: Sequence[str] = ()


class JobTime(NamedTuple):
    """Wall-clock and CPU (user + system) seconds of one finished job."""
    wall: float
    cpu: float


class JobFailed(RuntimeError):
    """A job exited with an error; the message ends with its log's end."""


def resolve_command(command: Sequence) -> List[str]:
    """The command with its :class:`CheckpointIn` arguments resolved."""
    return [arg.resolve() if isinstance(arg, CheckpointIn) else arg
            for arg in command]


def task_record(task: Task, keys: Mapping[str, str]) -> dict:
    """What ``task``'s result depends on now (its dependencies finished,
    their keys in ``keys``)."""
    return dict(
        command=[arg.placeholder() if isinstance(arg, CheckpointIn) else arg
                 for arg in task.command],
        config=dict(task.config), data=dict(task.data),
        code=code_digests(task.code),
        checkpoints={arg.run_dir: file_digest(arg.path())
                     for arg in task.command if isinstance(arg, CheckpointIn)},
        depends={name: keys[name] for name in task.depends})


def record_path(task: Task) -> str:
    return task.log + '.done'


def wait_nohang(process: subprocess.Popen) -> Optional[float]:
    """None while ``process`` runs; once it has ended, its CPU seconds (user
    + system, its own children included), its return code set."""
    pid, status, usage = os.wait4(process.pid, os.WNOHANG)
    if pid == 0:
        return None
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def job_environment(threads: int) -> Dict[str, str]:
    """The environment of a job: ``threads`` threads for torch's kernels,
    and this package first on the import path (a source checkout is run,
    not another installed copy)."""
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    env['PYTHONPATH'] = os.pathsep.join(
        [root] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    return env


class _Running(NamedTuple):
    task: Task
    process: subprocess.Popen
    log: object  # the open log file
    start: float
    record: dict


class _Scheduler:
    """The state of one :func:`run_tasks` call."""

    def __init__(self, board: ProgressBoard, threads: int,
                 cwd: Optional[str]):
        self.board, self.cwd = board, cwd
        self.env = job_environment(threads)
        self.running: Dict[str, _Running] = {}
        self.times: Dict[str, JobTime] = {}
        self.keys: Dict[str, str] = {}

    def ready(self, task: Task) -> bool:
        return all(dep in self.times for dep in task.depends)

    def start_or_reuse(self, task: Task) -> None:
        """Reuse ``task``'s earlier result if it ran on this content, else
        start it, saying what changed."""
        record = task_record(task, self.keys)
        earlier = read_record(record_path(task))
        if earlier is not None and earlier['key'] == job_key(record):
            self.times[task.name] = JobTime(**earlier['times'])
            self.keys[task.name] = earlier['key']
            self.board.message(f'  reused   {task.name}  (finished before '
                               f'on the same content: {task.log})')
            return
        os.makedirs(osp.dirname(task.log), exist_ok=True)
        why = []
        if earlier is not None:
            why = differences(earlier, record)
            os.remove(record_path(task))
        log = open(task.log, 'w')
        process = subprocess.Popen(
            resolve_command(task.command), cwd=self.cwd, env=self.env,
            stdout=log, stderr=subprocess.STDOUT)
        self.running[task.name] = _Running(task, process, log, time.time(),
                                           record)
        self.board.add(task.name, task.log, task.epochs)
        self.board.message(f'  started  {task.name}  (log: {task.log})' + (
            f'\n           again, as {"; ".join(why)}' if why else ''))

    def collect(self) -> None:
        """Record the jobs that have ended; :class:`JobFailed` for one that
        failed."""
        for name, job in list(self.running.items()):
            cpu = wait_nohang(job.process)
            if cpu is None:
                continue
            job.log.close()
            del self.running[name]
            self.board.remove(name)
            if job.process.returncode != 0:
                with open(job.task.log) as f:
                    tail = f.read()[-3000:]
                self.board.message('')
                raise JobFailed(f'{name} failed (exit code '
                                f'{job.process.returncode}); the end of '
                                f'{job.task.log}:\n{tail}')
            self.times[name] = JobTime(time.time() - job.start, cpu)
            record = dict(job.record, times=self.times[name]._asdict())
            write_record(record_path(job.task), record)
            self.keys[name] = job_key(record)
            self.board.message(f'  finished {name}  ('
                               f'{self.times[name].wall:.0f} s, CPU '
                               f'{cpu:.0f} s)')

    def stop(self) -> None:
        for job in self.running.values():
            job.process.terminate()
            job.process.wait()
            job.log.close()
        self.running.clear()


def run_tasks(tasks: Sequence[Task], jobs: int, threads: int,
              board: Optional[ProgressBoard] = None,
              cwd: Optional[str] = None) -> Dict[str, JobTime]:
    """Run ``tasks``, ``jobs`` at a time with ``threads`` threads each, a
    task once its dependencies are done, their progress on ``board``. A
    task whose record matches what it would run on now is reused (its
    earlier times returned); otherwise it runs, and the board says what
    changed. Stops everything at the first failure (:class:`JobFailed`) or
    interruption. Returns each task's times."""
    scheduler = _Scheduler(board or ProgressBoard(), threads, cwd)
    waiting = list(tasks)
    try:
        while waiting or scheduler.running:
            for task in list(waiting):
                if len(scheduler.running) >= jobs:
                    break
                if scheduler.ready(task):
                    waiting.remove(task)
                    scheduler.start_or_reuse(task)
            time.sleep(0.5)
            scheduler.board.refresh()
            scheduler.collect()
    except BaseException:
        # a failure, or the user's Ctrl-C: no job outlives the experiment
        scheduler.stop()
        raise
    return scheduler.times


def schedule_length(tasks: Sequence[Task], durations: Dict[str, float],
                    jobs: int) -> float:
    """How long :func:`run_tasks` takes if each task lasts
    ``durations[name]`` seconds: the same order, ``jobs`` at a time. Given
    CPU times of single-threaded jobs, the wall time on an otherwise idle
    machine with ``jobs`` cores."""
    waiting, running, finished, now = list(tasks), {}, {}, 0.0
    while waiting or running:
        for task in list(waiting):
            if len(running) >= jobs:
                break
            if all(finished.get(dep, now + 1) <= now for dep in task.depends):
                waiting.remove(task)
                running[task.name] = now + durations[task.name]
        name = min(running, key=running.get)
        now = running.pop(name)
        finished[name] = now
    return now
