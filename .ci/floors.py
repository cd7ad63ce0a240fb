"""Print a pip constraints file pinning every dependency of pyproject.toml to its floor.

    python3 .ci/floors.py > floors.txt && pip install -c floors.txt -e '.[test]'

installs the oldest versions the project says it works with, so the test
suite can prove it. A floor is the ">=" (or "==") bound of each requirement.
"""

from pathlib import Path
import re
import sys
import tomllib

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(.*)$")


def floors(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    pins = {}
    for requirement in requirements:
        name, specifiers = REQUIREMENT.match(requirement).groups()
        for specifier in specifiers.split(","):
            specifier = specifier.strip()
            if specifier.startswith((">=", "==")):
                pins[name.lower()] = specifier[2:].strip()
    return pins


if __name__ == "__main__":
    for name, version in sorted(floors().items()):
        print(f"{name}=={version}")
    sys.exit(0)
