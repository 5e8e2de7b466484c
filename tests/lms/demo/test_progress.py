"""``seed_demo``'s progress when its stderr is a log file, not a terminal: a plain line at
each tenth of the total (a tqdm bar would be redrawn into the file at every chunk)."""

from lms.management.commands.seed_demo import LineProgress


def test_a_line_at_each_tenth_crossed_and_none_in_between():
    lines = []
    with LineProgress(200, "Bulk attempts", lines.append) as bar:
        for _ in range(8):
            bar.update(15)  # 15, 30, ... 120: tenths 0, 1, 2, 3, 3, 4, 5, 6
        bar.update(80)  # 200: the last tenth
    assert [line.split(" in ")[0] for line in lines] == [
        "Bulk attempts: 30/200 (15%)",
        "Bulk attempts: 45/200 (22%)",
        "Bulk attempts: 60/200 (30%)",
        "Bulk attempts: 90/200 (45%)",
        "Bulk attempts: 105/200 (52%)",
        "Bulk attempts: 120/200 (60%)",
        "Bulk attempts: 200/200 (100%)",
    ]
    assert all("\r" not in line for line in lines)


def test_nothing_to_do_says_nothing():
    lines = []
    with LineProgress(0, "Bulk attempts", lines.append):
        pass
    assert lines == []
