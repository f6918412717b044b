"""Run pysaliency's own MIT1003 loader on a MIT1003-layout folder and print its fixations as JSON.

    PYTHON_WITH_PYSALIENCY tests/pysaliency_mit1003.py ROOT DATABASECODE [--initial]

``ROOT`` holds ALLSTIMULI/ and DATA/ (as the fixtures of tests/test_mit1003.py); ``DATABASECODE`` is a
folder with the MIT1003 code (``checkFixations.m``, from the data set's DatabaseCode.zip, and, for GNU
Octave, ``nanmedian.m`` / ``nanvar.m`` if its statistics package is missing). pysaliency
(``external_datasets.mit._get_mit1003``) downloads three archives and runs checkFixations in MATLAB or
Octave; here its download is replaced by zips of these folders, and nothing else of it is changed.
Output: ``{stimulus file name: {subject: [[x, y, t, duration], ...]}}``, pysaliency's conventions (x, y
as MATLAB's 1-based pixels, t = start / 240 s, duration in s). Used by test_mit1003.py's live check and
to pin the numbers it holds.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path


def _zip(folder: Path, target: Path, arcroot: str) -> None:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{arcroot}/{path.relative_to(folder).as_posix()}")


def main(argv: list[str]) -> int:
    root, code = Path(argv[0]), Path(argv[1])
    initial = "--initial" in argv[2:]
    import pysaliency.external_datasets.mit as mit

    with tempfile.TemporaryDirectory() as staging:
        staging = Path(staging)
        archives = {
            "ALLSTIMULI.zip": (root / "ALLSTIMULI", "ALLSTIMULI"),
            "DATA.zip": (root / "DATA", "DATA"),
            "DatabaseCode.zip": (code, "DatabaseCode"),
        }
        for name, (folder, arcroot) in archives.items():
            _zip(folder, staging / name, arcroot)

        def local_download(url, target, md5_hash, verify_ssl=True):  # the one replaced step
            shutil.copyfile(staging / Path(url).name, target)

        mit.download_and_check = local_download
        stimuli, fixations = mit._get_mit1003("MIT1003", location=None, include_initial_fixation=initial)
        from natsort import natsorted  # pysaliency's own order of the stimuli (its index ``n``)

        names = natsorted(p.name for p in (root / "ALLSTIMULI").glob("*.jpeg"))
        result: dict = {}
        for i in range(len(fixations.x)):
            name = names[int(fixations.n[i])]
            subject = str(int(fixations.subjects[i]))
            duration = float(fixations.duration[i]) if hasattr(fixations, "duration") else None
            row = [float(fixations.x[i]), float(fixations.y[i]), float(fixations.t[i]), duration]
            result.setdefault(name, {}).setdefault(subject, []).append(row)
    json.dump(result, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
