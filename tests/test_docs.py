"""The documentation stands alone: every link in the README and docs/ points at a file of this repository."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_relative_link_resolves_inside_the_repository():
    broken = []
    for page in PAGES:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # a web address or an anchor on the same page
            path = (page.parent / target.split("#")[0]).resolve()
            if not path.exists() or ROOT not in path.parents:
                broken.append(f"{page.name}: {target}")
    assert broken == []


def test_the_readme_links_the_roles_and_the_operators_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("docs/regulations.md", "docs/roles-and-flows.md", "docs/operations.md"):
        assert f"]({page})" in readme


def test_the_operators_page_names_every_setting():
    from feedback_app.config import Defaults

    page = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = [name for name in vars(Defaults) if name.isupper() and f"`{name}`" not in page]
    assert missing == []
