"""The ok/FAIL report shared by the interop checkers: one line per check,
its problems indented below, notes, then "N passed, M failed"."""


class Report:
    def __init__(self):
        self.passed = self.failed = 0
        self.notes = []

    def done(self, what, problems, detail=""):
        if problems:
            self.failed += 1
            print(f"FAIL {what}: {len(problems)} problem(s)")
            for p in problems:
                print(f"  {p}")
        else:
            self.passed += 1
            print(f"ok {what}" + (f": {detail}" if detail else ""))
