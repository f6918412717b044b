import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import interrupt_background_job

from fovex.cli import main
from fovex.data.samples import foolbox_imagenet_files


def test_explain_writes_figures_and_arrays_and_survives_a_bad_file(tmp_path, capsys):
    (first, first_label), (second, _) = foolbox_imagenet_files()[:2]
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg")
    out = tmp_path / "out"
    code = main(
        [
            "explain",
            str(first),
            str(broken),
            str(second),
            "--out",
            str(out),
            "--fixations",
            "2",
            "--steps",
            "2",
            "--quiet",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1  # one image failed ...
    assert "broken.jpg" in captured.err and "1 of 3" in captured.err
    # ... and the others were still explained.
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{first.stem}.npz", f"{first.stem}.png", f"{second.stem}.npz", f"{second.stem}.png"]
    )
    assert "explained: bull mastiff (243)" in captured.out
    assert captured.out.count("  1. ") == 2 and captured.out.count("  5. ") == 2
    arrays = np.load(out / f"{first.stem}.npz")
    assert arrays["attribution"].shape == (224, 224)
    assert arrays["fixations_xy"].shape == (2, 2)
    assert int(arrays["target"]) == first_label == 243
    assert (out / f"{first.stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_explain_with_a_named_target(tmp_path, capsys):
    (image, _), *_ = foolbox_imagenet_files()
    code = main(
        [
            "explain",
            str(image),
            "--target",
            "boxer",
            "--out",
            str(tmp_path),
            "--fixations",
            "1",
            "--steps",
            "1",
            "--quiet",
        ]
    )
    assert code == 0
    assert "explained: boxer (242)" in capsys.readouterr().out
    assert int(np.load(tmp_path / f"{image.stem}.npz")["target"]) == 242


def test_unknown_target_and_model_fail_cleanly(tmp_path, capsys):
    """Issue 27, C: a bad --target is a bad command (status 2, found before any image is explained)."""
    (image, _), *_ = foolbox_imagenet_files()
    for target, message in [("unicorn", "unknown class name 'unicorn'"), ("1000", "outside 0..999")]:
        assert main(["explain", str(image), "--target", target, "--out", str(tmp_path / "o"), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
        assert not (tmp_path / "o").exists() or list((tmp_path / "o").iterdir()) == []
    with pytest.raises(SystemExit):
        main(["explain", str(image), "--model", "alexnet"])


def test_console_script_and_data_subcommand():
    executable = Path(sys.executable).with_name("fovex")
    completed = subprocess.run([str(executable), "data", "list"], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0
    assert "samples" in completed.stdout and "mit1003" in completed.stdout


def test_explain_never_overwrites_earlier_outputs_or_same_named_inputs(tmp_path, capsys):
    """Issue 15, item 4: a second run, or two inputs with one stem, get new names unless --overwrite."""
    (image, _), *_ = foolbox_imagenet_files()
    twin = tmp_path / "b" / image.name
    twin.parent.mkdir()
    twin.write_bytes(image.read_bytes())
    out = tmp_path / "out"
    common = ["--out", str(out), "--fixations", "1", "--steps", "1", "--quiet"]
    assert main(["explain", str(image), str(twin), *common]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{image.stem}{n}.{e}" for n in ("", "-2") for e in ("npz", "png")
    )
    earlier = (out / f"{image.stem}.png").read_bytes()
    assert main(["explain", str(image), *common]) == 0
    assert (out / f"{image.stem}.png").read_bytes() == earlier and (out / f"{image.stem}-3.npz").exists()
    assert f"written as {image.stem}-3.png" in capsys.readouterr().out
    assert main(["explain", str(image), *common, "--overwrite"]) == 0
    assert not (out / f"{image.stem}-4.npz").exists()


def test_explain_bad_commands_fail_before_any_work_with_one_line(tmp_path, capsys):
    """Issue 15, item 9: bad sizes, settings, weights and --out end in one clear line and exit status 2."""
    (image, _), *_ = foolbox_imagenet_files()
    for size in ("30", "-5", "0"):
        with pytest.raises(SystemExit) as exit_info:
            main(["explain", str(image), "--size", size, "--out", str(tmp_path)])
        assert exit_info.value.code == 2
    assert "must be >= 32 pixels" in capsys.readouterr().err
    assert (
        main(["explain", str(image), "--out", str(tmp_path), "--fixations", "1", "--steps", "1", "--seed", "-1"]) == 0
    )
    garbage = tmp_path / "random.bin"
    garbage.write_bytes(b"\x80\x04not a checkpoint")
    assert main(["explain", str(image), "--out", str(tmp_path / "o"), "--weights", str(garbage)]) == 2
    err = capsys.readouterr().err
    assert "not a readable PyTorch or safetensors checkpoint" in err and "Traceback" not in err
    not_a_folder = tmp_path / "taken"
    not_a_folder.write_text("a file where --out should be")
    assert main(["explain", str(image), "--out", str(not_a_folder)]) == 2
    assert f"cannot write {not_a_folder}: {not_a_folder} is a file, not a folder" in capsys.readouterr().err
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not os.access(locked, os.W_OK):  # root can write anywhere: nothing to test then
            assert main(["explain", str(image), "--out", str(locked)]) == 2
            assert f"cannot write {locked}: Permission denied" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_explain_decompression_bomb_is_one_line_and_the_others_go_on(tmp_path, capsys):
    from PIL import Image

    (image, _), *_ = foolbox_imagenet_files()
    bomb = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(bomb)  # 400 Mpx: above PIL's decompression-bomb limit
    out = tmp_path / "out"
    code = main(["explain", str(bomb), str(image), "--out", str(out), "--fixations", "1", "--steps", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "bomb.png: refused, too many pixels" in err and "Traceback" not in err
    assert (out / f"{image.stem}.png").exists()


def test_explain_refuses_a_float_image_holding_0_to_255(tmp_path, capsys):
    """Issue 27, B4: a float32 TIFF with values 0..255 is refused with the hint, not explained as white."""
    from PIL import Image

    ramp = np.linspace(0, 255, 64 * 64, dtype=np.float32).reshape(64, 64)
    path = tmp_path / "float255.tif"
    Image.fromarray(ramp, mode="F").save(path)
    assert main(["explain", str(path), "--out", str(tmp_path / "o"), "--fixations", "1", "--steps", "1"]) == 1
    err = capsys.readouterr().err
    assert "float255.tif" in err and "divide by 255" in err and "Traceback" not in err
    assert not list((tmp_path / "o").glob("float255*"))


REPO = Path(__file__).resolve().parents[1]


def test_explain_stops_on_sigint_as_a_background_job_with_every_written_pair_complete(tmp_path):
    """Issue 27, B6: `fovex explain a b c d &` then `kill -INT` went on to explain them all (rc 0)."""
    (image, _), *_ = foolbox_imagenet_files()
    out = tmp_path / "out"
    count = 30
    command = [sys.executable, "-m", "fovex.cli", "explain", *[str(image)] * count, "--out", str(out)]
    command += ["--fixations", "1", "--steps", "1", "--quiet"]
    # The signal lands with work written and work left.
    returncode, stderr = interrupt_background_job(command, REPO, lambda process: list(out.glob("*.png")))
    assert returncode == 130, stderr[-3000:]
    assert stderr.strip().splitlines() == ["fovex: interrupted; the outputs written so far are complete"], stderr
    figures, arrays = {p.stem for p in out.glob("*.png")}, {p.stem for p in out.glob("*.npz")}
    assert figures == arrays and 1 <= len(figures) < count  # every image written has both files
    assert not [p.name for p in out.iterdir() if p.suffix not in (".png", ".npz")]  # no temporary file left
    assert all(np.load(out / f"{stem}.npz")["attribution"].shape == (224, 224) for stem in arrays)


def test_study_export_into_a_read_only_folder_is_one_line_and_rc_2(tmp_path, monkeypatch, capsys):
    """Issue 27, C: `fovex study export` into a read-only book/measurements raised a traceback (rc 1)."""
    import errno
    import functools
    import tempfile

    import fovex.study

    parts = tmp_path / "build" / "eval" / "study-held-out-variant"
    parts.mkdir(parents=True)
    (parts / "part-0000.csv").write_text("image_id,variant,drop_pct\nn01440764_1,s=0.1,3.5\n")
    measurements = tmp_path / "book" / "measurements"
    measurements.mkdir(parents=True)
    monkeypatch.setattr(fovex.study, "export_study", functools.partial(fovex.study.export_study, root=tmp_path))
    if os.geteuid() == 0:  # root writes through a 0o555 folder: refuse as the kernel refuses others
        mkstemp = tempfile.mkstemp

        def read_only(*args, dir=None, **kwargs):
            if dir is not None and Path(dir) == measurements:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(Path(dir) / ".x.tmp"))
            return mkstemp(*args, dir=dir, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", read_only)
    measurements.chmod(0o555)
    try:
        code = main(["study", "export", "held-out-variant"])
    finally:
        measurements.chmod(0o755)
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"cannot write into {measurements}" in err and "Permission denied" in err
    assert list(measurements.iterdir()) == []
    # Writable again, the same command exports.
    monkeypatch.undo()
    monkeypatch.setattr(fovex.study, "export_study", functools.partial(fovex.study.export_study, root=tmp_path))
    assert main(["study", "export", "held-out-variant"]) == 0
    assert (measurements / "study-held-out-variant.csv").is_file()


def test_a_signal_while_an_images_files_are_written_stops_after_both(tmp_path):
    """The files of one explained image are written both or neither: SIGINT/SIGTERM wait for the block."""
    import signal

    from fovex.evaluation.command import deferred_interrupts, handle_interrupts

    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        handle_interrupts()
        for signum in (signal.SIGINT, signal.SIGTERM):
            written, installed = [], signal.getsignal(signum)
            with pytest.raises(KeyboardInterrupt):
                with deferred_interrupts():
                    os.kill(os.getpid(), signum)
                    for name in ("a.npz", "a.png"):
                        (tmp_path / name).write_bytes(b"x")
                        written.append(name)
                written.append("after the block")  # not reached: the signal is raised on leaving the block
            assert written == ["a.npz", "a.png"]
            assert signal.getsignal(signum) is installed  # the command's handler is back
        # A signal the command ignores stays ignored.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with deferred_interrupts():
            os.kill(os.getpid(), signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


# ------------------------------------------------------------------- issue 36


def test_explain_refuses_an_empty_out_and_empty_weights(tmp_path, capsys, monkeypatch):
    """Issue 36: `--out ""` wrote into the current folder; `--weights ''` said "checkpoint . is a directory"."""
    (image, _), *_ = foolbox_imagenet_files()
    monkeypatch.chdir(tmp_path)
    assert main(["explain", str(image), "--out", "", "--fixations", "1", "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert '--out "" is empty' in err and err.count("\n") == 1
    assert main(["explain", str(image), "--out", "o", "--weights", ""]) == 2
    err = capsys.readouterr().err
    assert "weights is empty" in err and "directory" not in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) in ([], [tmp_path / "o"]) and not list(tmp_path.rglob("*.png"))


def test_a_second_interrupt_while_the_command_exits_prints_no_traceback(tmp_path):
    """Issue 36: a second Ctrl-C while a stopped command exited (PyTorch's exit handlers run then) printed a
    traceback. Here an exit handler that takes a moment, as PyTorch's do, meets the second SIGINT."""
    script = tmp_path / "command.py"
    script.write_text(
        "import atexit, os, signal, sys, time\n"
        "from fovex.evaluation.command import exit_status\n"
        "def slow_exit_handler():\n"
        "    os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C again\n"
        "    time.sleep(0.5)\n"
        "atexit.register(slow_exit_handler)\n"
        "def action():\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(30)\n"
        "sys.exit(exit_status('fovex evaluate', action))\n"
    )
    completed = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 130, completed.stderr
    assert completed.stderr.strip().splitlines() == [
        "fovex evaluate: interrupted; finished batches are kept, rerun the same command to resume"
    ], completed.stderr


def test_study_run_checks_its_device_before_any_run(monkeypatch, capsys):
    """Issue 36: a --device the machine does not have is refused before a run is restored or computed."""
    import fovex.study

    calls = []
    monkeypatch.setattr(fovex.study, "compute_study", lambda *args, **kwargs: calls.append(kwargs))
    for device in ("bogus", "cuda:99"):
        assert main(["study", "run", "faithfulness", "--device", device]) == 2
        err = capsys.readouterr().err
        assert f"--device {device}: " in err and err.count("\n") == 1, err
    assert calls == []
