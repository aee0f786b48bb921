"""How far each running job is: read from mmengine's log lines as the log
grows, shown one line per job (redrawn in place on a terminal, printed at
intervals elsewhere)."""
import re
import sys
import time
from typing import Dict, List, Optional, Tuple

# mmengine's progress lines: "Epoch(train)  [ 2][ 50/79]  ..." (epoch,
# iteration of the epoch / iterations per epoch) and "Epoch(test) [20/40]".
TRAIN_PROGRESS = re.compile(r'Epoch\(train\)\s*\[\s*(\d+)\]\[\s*(\d+)/(\d+)\]')
TEST_PROGRESS = re.compile(r'Epoch\(test\)\s*\[\s*(\d+)/(\d+)\]')


def parse_progress(text: str, epochs: int) -> Optional[Tuple[int, int]]:
    """(iterations done, total) from the last mmengine progress line of
    ``text``, a run's log of ``epochs`` training epochs; None before the
    first such line."""
    for line in reversed(text.splitlines()):
        found = TRAIN_PROGRESS.search(line)
        if found:
            epoch, done, per_epoch = map(int, found.groups())
            return (epoch - 1) * per_epoch + done, epochs * per_epoch
        found = TEST_PROGRESS.search(line)
        if found:
            done, total = map(int, found.groups())
            return done, total
    return None


def format_duration(seconds: float) -> str:
    """'m:ss' (or 'h:mm:ss')."""
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f'{hours}:{minutes:02d}:{secs:02d}' if hours else \
        f'{minutes}:{secs:02d}'


class JobProgress:
    """How far one running job is, read from its log as it grows."""

    def __init__(self, name: str, log: str, epochs: int, start: float):
        self.name, self.log, self.epochs, self.start = name, log, epochs, start
        self.offset = 0  # bytes of the log already read
        self.done = self.total = None
        self.first = None  # (time, iterations) of the first progress seen

    def update(self, now: float) -> None:
        """Read what the log gained since the last call."""
        try:
            with open(self.log, 'rb') as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return
        # only whole lines: the last one may still be being written
        data = data[:data.rfind(b'\n') + 1]
        self.offset += len(data)
        found = parse_progress(data.decode(errors='replace'), self.epochs)
        if found is not None:
            self.done, self.total = found
            if self.first is None:
                self.first = (now, self.done)

    def eta(self, now: float) -> Optional[float]:
        """Seconds left at the rate since the first progress line."""
        if self.first is None or self.done <= self.first[1]:
            return None
        rate = (self.done - self.first[1]) / (now - self.first[0])
        return (self.total - self.done) / rate if rate > 0 else None

    def line(self, now: float, width: int) -> str:
        """'<name>  done/total it  percent  elapsed, ETA m:ss'."""
        elapsed = format_duration(now - self.start)
        if self.total is None:
            return f'{self.name:<{width}}  starting ({elapsed})'
        eta = self.eta(now)
        return (f'{self.name:<{width}}  {self.done:>{len(str(self.total))}}'
                f'/{self.total} it  {100 * self.done / self.total:3.0f} %  '
                f'{elapsed} elapsed, ETA '
                f'{format_duration(eta) if eta is not None else "-"}')


class ProgressBoard:
    """One line per running job, redrawn in place on a terminal; elsewhere
    (a log file, CI) the lines are printed every ``interval`` seconds."""

    def __init__(self, stream=None, interactive: Optional[bool] = None,
                 interval: float = 30.0, clock=time.time):
        self.stream = stream or sys.stdout
        self.interactive = self.stream.isatty() if interactive is None \
            else interactive
        self.interval, self.clock = interval, clock
        self.jobs: Dict[str, JobProgress] = {}
        self.drawn = 0  # lines of the board now on the terminal
        self.printed = clock()  # when plain lines were last printed

    def add(self, name: str, log: str, epochs: int) -> None:
        self.jobs[name] = JobProgress(name, log, epochs, self.clock())

    def remove(self, name: str) -> None:
        self.jobs.pop(name)

    def _lines(self, now: float) -> List[str]:
        width = max(len(name) for name in self.jobs)
        return [job.line(now, width) for job in self.jobs.values()]

    def _erase(self) -> None:
        if self.drawn:
            # cursor up to the board's first line, clear to the end
            self.stream.write(f'\x1b[{self.drawn}F\x1b[J')
            self.drawn = 0

    def message(self, text: str) -> None:
        """Print ``text`` above the board."""
        self._erase()
        self.stream.write(text + '\n')
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        """Read the logs and show the lines (plain: if ``interval`` has
        passed)."""
        now = self.clock()
        for job in self.jobs.values():
            job.update(now)
        if self.interactive:
            self._erase()
            lines = self._lines(now) if self.jobs else []
            self.stream.write(''.join(f'{line}\n' for line in lines))
            self.drawn = len(lines)
        elif self.jobs and not force and now - self.printed >= self.interval:
            self.stream.write(''.join(f'  .. {line}\n'
                                      for line in self._lines(now)))
            self.printed = now
        self.stream.flush()
