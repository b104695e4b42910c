"""A textual progress bar for the long-running commands, written to stderr."""
import time

BAR_WIDTH = 30


def _plain(text):
    return text


class ProgressBar:
    """Redraws one line in place on a terminal; elsewhere (logs, CI) prints a line every tenth."""

    def __init__(self, stream, *, total, label):
        self.stream = stream
        self.total = max(total, 0)
        self.label = label
        self.done = 0
        self.started = time.monotonic()
        self.interactive = stream.isatty()
        self.last_tenth = -1

    def advance(self, note=""):
        self.done += 1
        if self.interactive:
            self._write("\r" + self._line(note) + "\x1b[K")
        else:
            tenth = 10 * self.done // self.total if self.total else 10
            if tenth != self.last_tenth:
                self.last_tenth = tenth
                self._write(self._line(note) + "\n")

    def finish(self):
        if self.interactive:
            self._write("\n")

    def _line(self, note):
        fraction = self.done / self.total if self.total else 1.0
        filled = round(BAR_WIDTH * fraction)
        elapsed = time.monotonic() - self.started
        text = f"{self.label} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {self.done}/{self.total} {elapsed:5.1f}s"
        return f"{text} {note}" if note else text

    def _write(self, text):
        self.stream.write(text, style_func=_plain, ending="")
        self.stream.flush()
