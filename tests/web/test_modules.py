"""The page's own readers, run in the browser as the page runs them: #SBATCH lines, Slurm's time
and memory formats, Server-Sent Events frames split anywhere, host lists."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Tab


def _run(tab: Tab, module: str, body: str) -> Any:
    """Evaluate ``body`` (an expression using ``m``, the module) in the page."""
    tab.open()
    return tab.page.evaluate(f"import('/web/js/{module}').then((m) => {body})")


def test_sbatch_lines_are_read_as_sbatch_reads_them(tab: Tab) -> None:
    script = (
        "#!/bin/bash\n"
        "# a comment\n"
        "#SBATCH -J first --job-name=second\n"
        "#SBATCH -c4 -p debug\n"
        '#SBATCH --time "1:30:00"  # ninety minutes\n'
        "#SBATCH --mail-type=END\n"
        "#SBATCH -H\n"
        "echo start\n"
        "#SBATCH --mem=2G\n"
    )
    found = _run(tab, "sbatch.js", f"m.parseDirectives({script!r})")
    values = _run(tab, "sbatch.js", f"m.directiveValues(m.parseDirectives({script!r}))")
    assert values == {
        "name": "second",
        "cpus": "4",
        "partition": "debug",
        "time": "1:30:00",
        "hold": True,
    }
    ignored = {entry["option"]: entry["ignored"] for entry in found if entry["ignored"]}
    assert ignored == {
        "--mail-type": "not understood by this page",
        "--mem": "after the first command: sbatch reads no further",
    }
    assert [entry["line"] for entry in found if entry["option"] == "-p"] == [4]


#: Time limits as written, and the minutes they are.
TIME_LIMITS = {
    "30": 30,
    "5:30": 6,
    "1:00:00": 60,
    "2-00:00:00": 2880,
    "1-12": 2160,
    "1-0:30": 1470,
    "unlimited": "Infinity",
    "an hour": None,
    "1:2:3:4": None,
}


def test_time_limits_in_slurm_formats(tab: Tab) -> None:
    texts = list(TIME_LIMITS)
    result = _run(
        tab,
        "sbatch.js",
        f"{texts!r}.map((t) => m.parseTimeLimit(t)).map((v) => (v === Infinity ? 'Infinity' : v))",
    )
    assert dict(zip(texts, result, strict=True)) == TIME_LIMITS


def test_memory_sizes(tab: Tab) -> None:
    sizes = ["4096", "512M", "4G", "1.5G", "1T", "2048K", "lots"]
    result = _run(tab, "sbatch.js", f"{sizes!r}.map(m.parseMemory)")
    assert result == [4096, 512, 4096, 1536, 1048576, 2, None]


def test_event_frames_split_anywhere_are_put_back_together(tab: Tab) -> None:
    stream = (
        ": heartbeat\r\n\r\n"
        'id: a-1\r\nevent: job.started\r\ndata: {"job_id": 7}\r\n\r\n'
        'id: a-2\nevent: job.completed\ndata: {"job_id":\ndata:  7}\nretry: 5000\n\n'
        "event: stream.missed\ndata: {}\n\n"
    )
    # Every way of cutting the stream in two gives the same frames.
    results = _run(
        tab,
        "events.js",
        f"""{{
            const text = {stream!r};
            const all = [];
            for (let cut = 0; cut <= text.length; cut++) {{
                const frames = [];
                const parser = new m.FrameParser((f) => frames.push(f));
                parser.push(text.slice(0, cut));
                parser.push(text.slice(cut));
                all.push(JSON.stringify(frames));
            }}
            return [...new Set(all)].map((s) => JSON.parse(s));
        }}""",
    )
    assert results == [
        [
            {"id": "a-1", "event": "job.started", "data": '{"job_id": 7}', "retry": None},
            {"id": "a-2", "event": "job.completed", "data": '{"job_id":\n 7}', "retry": 5000},
            {"id": None, "event": "stream.missed", "data": "{}", "retry": None},
        ]
    ]


def test_host_lists_are_expanded(tab: Tab) -> None:
    names = _run(tab, "views/nodes.js", "m.expand('node[01-03,7],gpu1,login')")
    assert names == ["node01", "node02", "node03", "node7", "gpu1", "login"]
